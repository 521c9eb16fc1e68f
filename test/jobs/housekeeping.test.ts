import { afterAll, beforeAll, expect, test } from 'bun:test';
import { purgeExpiredRecords } from '../../src/jobs/housekeeping.ts';
import { Otps, RefreshTokens, Sessions } from '../../src/modules/auth/auth.model.ts';
import { RateLimits } from '../../src/modules/rate-limits/rate-limits.model.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const DAY = 86_400_000;

test('housekeeping deletes expired sessions, refresh tokens, stale codes and ended rate windows, and keeps live ones', async () => {
  const { store } = t.container;
  const old = await createUser(t, { role: 'patient' });
  const oldSessions = await store.collection(Sessions).count({ userId: old.user.id });
  expect(oldSessions).toBe(1);
  expect(await store.collection(RateLimits).count()).toBeGreaterThan(0);

  t.clock.advance(31 * DAY);
  const fresh = await createUser(t, { role: 'patient' });
  const removed = await purgeExpiredRecords(t.container.purges, t.clock, t.logger);

  expect(removed.sessions).toBe(1);
  expect(removed.refreshTokens).toBeGreaterThanOrEqual(1);
  expect(removed.otps).toBeGreaterThanOrEqual(1);
  expect(removed.rateLimits).toBeGreaterThan(0);
  expect(await store.collection(Sessions).count({ userId: old.user.id })).toBe(0);
  expect(await store.collection(Sessions).count({ userId: fresh.user.id })).toBe(1);
  expect(await store.collection(RefreshTokens).count({ expiresAt: { $lt: t.clock.now() } })).toBe(0);
  expect(await store.collection(Otps).count({ email: fresh.email })).toBe(1);
  expect(await store.collection(RateLimits).count({ windowEndsAt: { $lt: t.clock.now() } })).toBe(0);

  expect((await t.call('GET', '/api/v1/me', { token: fresh.accessToken })).status).toBe(200);
  const refresh = await t.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: old.refreshToken } });
  expect(refresh.status).toBe(401);

  const again = await purgeExpiredRecords(t.container.purges, t.clock, t.logger);
  expect(Object.values(again).every((n) => n === 0)).toBe(true);
});
