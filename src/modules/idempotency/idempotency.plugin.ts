import { Elysia, ElysiaCustomStatusResponse } from 'elysia';
import type { IdempotencyService, Lease } from './idempotency.service.ts';

/** The codes `{ idempotent }` can answer, for a route's `errors(...)`. */
export const IDEMPOTENCY_ERRORS = ['IDEMPOTENCY_KEY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'] as const;

/** What the handler answered: an explicit `status(code, body)`, or a body with `set.status`. */
const outcomeOf = (response: unknown, setStatus: unknown) =>
  response instanceof ElysiaCustomStatusResponse
    ? { status: Number(response.code), body: response.response as unknown }
    : { status: typeof setStatus === 'number' ? setStatus : 200, body: response };

/**
 * `{ idempotent: 'POST /appointments' }` gives a route `Idempotency-Key` semantics (see
 * `IdempotencyService`): with the header, a retry gets the first success back (`Idempotent-Replayed:
 * true`) without the handler running again. The route declares `auth` (keys are per user) and
 * `headers: IdempotencyHeaders`, and lists `IDEMPOTENCY_ERRORS`; the handler just answers.
 */
export function idempotencyPlugin(idempotency: IdempotencyService) {
  // The lease a request took, from the hook before its handler to the hook after it.
  const leases = new WeakMap<Request, Lease>();
  return new Elysia({ name: 'idempotency' }).macro({
    idempotent: (scope: string) => ({
      // Runs after every `resolve`, so the auth macro's `user` is there.
      async beforeHandle(context) {
        const key = context.headers['idempotency-key'];
        if (key === undefined) return;
        const user = (context as { user?: { id: string } }).user;
        if (!user) throw new Error(`${scope}: an idempotent route needs { auth }`);
        // The path is part of the request: one key on /appointments/A and /appointments/B is a reuse.
        const params = context.params as Record<string, string> | undefined;
        const request = params && Object.keys(params).length ? { params, body: context.body } : context.body;
        const begun = await idempotency.begin({ userId: user.id, key, scope }, request);
        if ('replay' in begun) {
          context.set.headers['idempotent-replayed'] = 'true';
          return context.status(begun.replay.status, begun.replay.body);
        }
        leases.set(context.request, begun.lease);
      },
      async afterHandle({ request, responseValue, set }) {
        const lease = leases.get(request);
        if (!lease) return;
        leases.delete(request);
        await idempotency.finish(lease, outcomeOf(responseValue, set.status));
      },
      // A failed request's answer passes here too, once the app's onError has made it (that hook answers
      // first, so a route's own `error` hook would never run): the key is free before the answer is sent.
      async mapResponse({ request }) {
        const lease = leases.get(request);
        if (!lease) return;
        leases.delete(request);
        await idempotency.release(lease);
      },
    }),
  });
}

export type IdempotencyPlugin = ReturnType<typeof idempotencyPlugin>;
