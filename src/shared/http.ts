import { Elysia, ElysiaCustomStatusResponse } from 'elysia';
import { logAccess } from './http/access-log.ts';
import { type BodyLimits, bodyGuard } from './http/body-limits.ts';
import { toErrorResponse } from './http/error-envelope.ts';
import { identifyRequest, pathOf, requestMetaOf } from './http/request-id.ts';
import { cacheHeadersFor, SECURITY_HEADERS } from './http/security-headers.ts';
import type { Logger } from './logger.ts';

// What controllers use, from where they have always imported it.
export { accepts, mediaTypeOf, unsupportedMediaType } from './http/media-types.ts';

/** The status a route's answer goes out with: `status(code, body)`, a `Response`, or `set.status`. */
const statusOf = (responseValue: unknown, setStatus: unknown): number =>
  responseValue instanceof ElysiaCustomStatusResponse
    ? Number(responseValue.code)
    : responseValue instanceof Response
      ? responseValue.status
      : Number(setStatus ?? 200);

/**
 * Cross-cutting HTTP behaviour in one plugin, one file per job under `http/`: request ids, security
 * headers, the body size guard, the single error envelope and one JSON log line per request.
 */
export function httpBasics(options: { logger: Logger } & BodyLimits) {
  const { logger } = options;
  const guardBody = bodyGuard(options);

  return (
    new Elysia({ name: 'http-basics' })
      // Default headers: Elysia copies them into every response's headers in one step.
      .headers(SECURITY_HEADERS)
      .onRequest(({ request, set }) => {
        set.headers['x-request-id'] = identifyRequest(request, set).id;
        const path = pathOf(request.url);
        cacheHeadersFor(path, set.headers);
        return guardBody(request, path);
      })
      .onError({ as: 'global' }, ({ code, error, set, request, route }) => {
        // Destructured on purpose: given the whole context, Elysia assumes every part of it is used and
        // parses cookies, query and headers on every request.
        const meta = requestMetaOf(set);
        const response = toErrorResponse({ code, error, requestId: meta?.id }, logger);
        // Outside a route (none matched, or a hook before routing refused the request) no mapResponse
        // follows, so the line is written here; a route's errors are logged by mapResponse below.
        if (!route) logAccess(logger, { request, route, status: response.status, meta });
        return response;
      })
      // The access-log line, once the answer is known: after a route's handler (or its error, answered by
      // the hook above), as its response is made. An `onAfterResponse` hook would cost Elysia a
      // `setImmediate` and an async function on every request: 8% of a webhook delivery.
      .mapResponse({ as: 'global' }, ({ request, set, route, responseValue }) => {
        logAccess(logger, {
          request,
          route,
          status: statusOf(responseValue, set.status),
          meta: requestMetaOf(set),
        });
      })
      .as('global')
  );
}
