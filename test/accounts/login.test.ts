import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test';
import { RateLimits } from '../../src/modules/rate-limits/rate-limits.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, nextClientIp } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const login = (email: unknown, password: unknown, ip = nextClientIp()) =>
  t.call('POST', '/api/v1/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': ip } });

describe('POST /auth/login', () => {
  test('right credentials -> 200 with a token pair and the user', async () => {
    const { email, password, user } = await createUser(t, { role: 'patient' });
    const res = await login(email.toUpperCase(), password);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id, email } });
    const me = await t.call('GET', '/api/v1/me', { token: res.body.accessToken });
    expect(me.status).toBe(200);
  });

  test('unknown email and wrong password get the same status and body', async () => {
    const { email } = await createUser(t, { role: 'patient' });
    const wrongPassword = await login(email, 'not the password');
    const unknownEmail = await login(randomEmail(), 'not the password');
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(unknownEmail.body).toEqual(wrongPassword.body);
    expect(wrongPassword.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  test('both cases do the same argon2 work: an unknown email is verified against a dummy hash', async () => {
    const { email } = await createUser(t, { role: 'patient' });
    const verify = spyOn(Bun.password, 'verify');
    try {
      await login(email, 'not the password');
      const forKnown = verify.mock.calls.length;
      await login(randomEmail(), 'not the password');
      const forUnknown = verify.mock.calls.length - forKnown;
      expect(forKnown).toBe(1);
      expect(forUnknown).toBe(1);
      expect(String(verify.mock.calls[1]![1])).toStartWith('$argon2id$v=19$m=64,t=1');
    } finally {
      verify.mockRestore();
    }
  });

  test('an unverified email with the right password -> 403 EMAIL_NOT_VERIFIED and no tokens', async () => {
    const email = randomEmail();
    await t.call('POST', '/api/v1/auth/signup', {
      body: { name: 'Unverified', email, password: 'correct horse battery', role: 'patient' },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    const res = await login(email, 'correct horse battery');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('EMAIL_NOT_VERIFIED');
    expect(JSON.stringify(res.body)).not.toContain('Token');
    const wrong = await login(email, 'wrong password!');
    expect(wrong.status).toBe(401);
  });

  test('missing fields -> 422', async () => {
    expect((await login(undefined, 'x')).status).toBe(422);
    expect((await login(randomEmail(), '')).status).toBe(422);
  });
});

describe('login rate limits', () => {
  test('10 a minute per IP, then 429 with Retry-After; another IP is unaffected', async () => {
    const ip = nextClientIp();
    for (let i = 0; i < 10; i++) expect((await login(randomEmail(), 'whatever1', ip)).status).toBe(401);
    const limited = await login(randomEmail(), 'whatever1', ip);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await login(randomEmail(), 'whatever1')).status).toBe(401);
    t.clock.advance(retryAfter * 1000);
    expect((await login(randomEmail(), 'whatever1', ip)).status).toBe(401);
  });

  test('10 a minute per email across many IPs; the right password is refused too while limited', async () => {
    const { email, password } = await createUser(t, { role: 'patient' });
    for (let i = 0; i < 10; i++) expect((await login(email, 'guess-number-x')).status).toBe(401);
    const limited = await login(email, password);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).not.toBeNull();
    t.clock.advance(Number(limited.headers.get('retry-after')) * 1000);
    expect((await login(email, password)).status).toBe(200);
  });

  test('no burst across a minute boundary: of 20 tries within 3 s from one IP, 10 pass (sliding window)', async () => {
    const ip = nextClientIp();
    const minute = 60_000;
    const edge = Math.ceil((t.clock.now().getTime() + minute) / minute) * minute;
    t.clock.set(new Date(edge - 1500));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await login(randomEmail(), 'whatever1', ip)).status);
      t.clock.advance(150);
    }
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(10).fill(429)]);
    // Room comes back when the first counted try is a minute old, not at the next window edge.
    t.clock.set(new Date(edge - 1500 + minute - 1));
    const early = await login(randomEmail(), 'whatever1', ip);
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('1');
    t.clock.advance(1);
    expect((await login(randomEmail(), 'whatever1', ip)).status).toBe(401);
    expect((await login(randomEmail(), 'whatever1', ip)).status).toBe(429);
  });

  test('the per-email limit slides too: 20 tries on one email from many IPs across a boundary, 10 pass', async () => {
    const { email, password } = await createUser(t, { role: 'patient' });
    const minute = 60_000;
    const edge = Math.ceil((t.clock.now().getTime() + minute) / minute) * minute;
    t.clock.set(new Date(edge - 1500));
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await login(email, 'guess-number-x')).status);
      t.clock.advance(150);
    }
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(10).fill(429)]);
    const limited = await login(email, password);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe(String(60 - 3));
    const log = await t.container.store.collection(RateLimits).findById(`login:email:${email}`);
    expect(log!.hits).toHaveLength(10);
  });

  test('30 tries at once from one IP: exactly 10 pass (each counted hit is a conditional write)', async () => {
    const ip = nextClientIp();
    const results = await Promise.all(
      Array.from({ length: 30 }, () => login(randomEmail(), 'whatever1', ip)),
    );
    expect(results.filter((r) => r.status === 401)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20);
    const log = await t.container.store.collection(RateLimits).findById(`login:ip:${ip}`);
    expect(log!.hits).toHaveLength(10);
  });

  test('the counters live in the store, so a second app instance on the same store shares them', async () => {
    const second = await buildTestApp({}, { store: t.container.store, clock: t.clock });
    const ip = nextClientIp();
    for (let i = 0; i < 5; i++) await login(randomEmail(), 'whatever1', ip);
    for (let i = 0; i < 5; i++) {
      await second.call('POST', '/api/v1/auth/login', {
        body: { email: randomEmail(), password: 'whatever1' },
        headers: { 'x-forwarded-for': ip },
      });
    }
    expect((await login(randomEmail(), 'whatever1', ip)).status).toBe(429);
  });
});
