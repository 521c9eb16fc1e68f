import { afterAll, beforeAll, expect, test } from 'bun:test';
import { Elysia, t as types } from 'elysia';
import { createApp } from '../../src/app.ts';
import { authPlugin } from '../../src/modules/auth/auth.plugin.ts';
import { IdempotencyHeaders, IdempotencyKeys } from '../../src/modules/idempotency/idempotency.model.ts';
import { idempotencyPlugin } from '../../src/modules/idempotency/idempotency.plugin.ts';
import { AppError } from '../../src/shared/errors.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';

/**
 * `{ idempotent }` on routes other than the hold, as payments and top-ups will use it: the real app,
 * plus routes whose handlers count their runs and answer as each test needs.
 */
let t: TestApp;
let app: { handle(request: Request): Promise<Response> };
let patient: CreatedUser;
const runs = { charge: 0, refuse: 0, fail: 0, move: 0 };
let failNext = true;

beforeAll(async () => {
  t = await buildTestApp();
  patient = await createUser(t, { role: 'patient' });
  const routes = new Elysia({ prefix: '/test' })
    .use(authPlugin(t.container.tokens))
    .use(idempotencyPlugin(t.container.idempotency))
    .post(
      '/charge',
      ({ body, set }) => {
        runs.charge++;
        set.status = 202;
        return { charged: body.amountPaise, run: runs.charge };
      },
      {
        auth: true,
        idempotent: 'POST /test/charge',
        headers: IdempotencyHeaders,
        body: types.Object({ amountPaise: types.Integer() }),
      },
    )
    .post(
      '/items/:id/move',
      ({ params, body }) => {
        runs.move++;
        return { moved: params.id, to: body.to };
      },
      {
        auth: true,
        idempotent: 'POST /test/items/:id/move',
        headers: IdempotencyHeaders,
        params: types.Object({ id: types.String() }),
        body: types.Object({ to: types.String() }),
      },
    )
    .post(
      '/refuse',
      ({ status }) => {
        runs.refuse++;
        return status(409, { error: { code: 'REFUSED', message: 'Refused' } });
      },
      { auth: true, idempotent: 'POST /test/refuse', headers: IdempotencyHeaders },
    )
    .post(
      '/fail',
      () => {
        runs.fail++;
        if (failNext) {
          failNext = false;
          throw new AppError(402, 'PAYMENT_DECLINED', 'The card was declined');
        }
        return { ok: true };
      },
      { auth: true, idempotent: 'POST /test/fail', headers: IdempotencyHeaders },
    );
  app = createApp(t.container).use(routes);
});
afterAll(() => t.close());

type Answer = { error?: { code: string } } & Record<string, unknown>;

const post = async (path: string, key: string | undefined, body: unknown = {}) => {
  const headers: Record<string, string> = {
    authorization: `Bearer ${patient.accessToken}`,
    'content-type': 'application/json',
  };
  if (key) headers['idempotency-key'] = key;
  const response = await app.handle(
    new Request(`http://localhost${path}`, { method: 'POST', headers, body: JSON.stringify(body) }),
  );
  return { status: response.status, body: (await response.json()) as Answer, headers: response.headers };
};
const keyCount = () => t.container.store.collection(IdempotencyKeys).count({ userId: patient.user.id });
const newKey = () => `key-${crypto.randomUUID()}`;

test('a success is replayed with its own status and body, and the handler runs once', async () => {
  const key = newKey();
  const first = await post('/test/charge', key, { amountPaise: 500 });
  expect(first.status).toBe(202);
  expect(first.body).toEqual({ charged: 500, run: runs.charge });
  expect(first.headers.get('idempotent-replayed')).toBeNull();
  const before = runs.charge;

  const retry = await post('/test/charge', key, { amountPaise: 500 });
  expect(retry.status).toBe(202);
  expect(retry.body).toEqual(first.body);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(runs.charge).toBe(before);

  const other = await post('/test/charge', key, { amountPaise: 501 });
  expect(other.status).toBe(422);
  expect(other.body.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(runs.charge).toBe(before);
});

test('without the header the route runs every time', async () => {
  const before = runs.charge;
  await post('/test/charge', undefined, { amountPaise: 1 });
  await post('/test/charge', undefined, { amountPaise: 1 });
  expect(runs.charge).toBe(before + 2);
});

test('a key is bound to its operation: the same key on another idempotent route is a reuse', async () => {
  const key = newKey();
  expect((await post('/test/charge', key, { amountPaise: 7 })).status).toBe(202);
  const before = runs.fail;
  const elsewhere = await post('/test/fail', key);
  expect(elsewhere.status).toBe(422);
  expect(elsewhere.body.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(runs.fail).toBe(before);
});

test('an answer that is not a success frees the key: the retry runs again', async () => {
  const key = newKey();
  const keysBefore = await keyCount();
  const first = await post('/test/refuse', key);
  expect(first.status).toBe(409);
  expect(first.body.error?.code).toBe('REFUSED');
  expect(await keyCount()).toBe(keysBefore);
  const retry = await post('/test/refuse', key);
  expect(retry.status).toBe(409);
  expect(retry.headers.get('idempotent-replayed')).toBeNull();
  expect(runs.refuse).toBe(2);
});

test('a handler that throws frees the key before its error is answered; the retry runs afresh', async () => {
  const key = newKey();
  const keysBefore = await keyCount();
  const failed = await post('/test/fail', key);
  expect(failed.status).toBe(402);
  expect(failed.body.error?.code).toBe('PAYMENT_DECLINED');
  expect(await keyCount()).toBe(keysBefore);

  const retry = await post('/test/fail', key);
  expect(retry.status).toBe(200);
  expect(retry.body).toEqual({ ok: true });
  expect(runs.fail).toBe(2);
  const replay = await post('/test/fail', key);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(runs.fail).toBe(2);
});

test('the path is part of the request: one key with the same body on another item is a reuse, not a replay', async () => {
  const key = newKey();
  const first = await post('/test/items/a/move', key, { to: 'slot-1' });
  expect([first.status, first.body]).toEqual([200, { moved: 'a', to: 'slot-1' }]);
  const replay = await post('/test/items/a/move', key, { to: 'slot-1' });
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  const before = runs.move;
  const other = await post('/test/items/b/move', key, { to: 'slot-1' });
  expect([other.status, other.body.error?.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
  expect(runs.move).toBe(before);
});
