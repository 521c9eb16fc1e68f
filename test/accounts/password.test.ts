import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Otps } from '../../src/modules/auth/auth.model.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, latestCode, nextClientIp } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

// Each call from its own address, so the per-IP limits (tested on their own below) stay out of the way.
const forgot = (email: unknown, ip = nextClientIp()) =>
  t.call('POST', '/api/v1/auth/password/forgot', { body: { email }, headers: { 'x-forwarded-for': ip } });
const reset = (email: string, code: string, newPassword: string, ip = nextClientIp()) =>
  t.call('POST', '/api/v1/auth/password/reset', {
    body: { email, code, newPassword },
    headers: { 'x-forwarded-for': ip },
  });
const login = (email: string, password: string) =>
  t.call('POST', '/api/v1/auth/login', {
    body: { email, password },
    headers: { 'x-forwarded-for': nextClientIp() },
  });
const mailbox = async (email: string) => {
  await t.container.outboxDeliverer.settled();
  return (await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`)).body.messages as {
    subject: string;
  }[];
};

describe('POST /auth/password/forgot', () => {
  test('202 for an existing account, which gets a reset code by email', async () => {
    const { email } = await createUser(t, { role: 'patient' });
    const res = await forgot(email);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted' });
    expect((await mailbox(email))[0]!.subject).toContain('password reset');
  });

  test('the same 202 for an unknown email, and no email is sent', async () => {
    const email = randomEmail();
    const res = await forgot(email);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted' });
    expect(await mailbox(email)).toHaveLength(0);
  });

  test('throttled per email (60 s) alike for known and unknown addresses', async () => {
    const { email } = await createUser(t, { role: 'patient' });
    const unknown = randomEmail();
    for (const address of [email, unknown]) {
      expect((await forgot(address)).status).toBe(202);
      const again = await forgot(address);
      expect(again.status).toBe(429);
      expect(again.headers.get('retry-after')).toBe('60');
    }
  });

  test('a bad email -> 422', async () => {
    expect((await forgot('nope')).status).toBe(422);
  });

  test('an unknown address gets a decoy code: stored hashed like a real one, never sent, matching no code', async () => {
    const email = randomEmail();
    expect((await forgot(email)).status).toBe(202);
    const doc = (await t.container.store.collection(Otps).findOne({ email, purpose: 'reset_password' }))!;
    expect(doc.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.sentAt).toHaveLength(1);
    expect(await mailbox(email)).toHaveLength(0);
  });

  test('10 a minute per IP across addresses, known or not, then 429', async () => {
    const ip = nextClientIp();
    const { email } = await createUser(t, { role: 'patient' });
    expect((await forgot(email, ip)).status).toBe(202);
    for (let i = 0; i < 9; i++) expect((await forgot(randomEmail(), ip)).status).toBe(202);
    const limited = await forgot(randomEmail(), ip);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toBe('60');
    expect((await forgot(randomEmail())).status).toBe(202);
  });

  test('and 50 an hour per IP, however slowly they come', async () => {
    const ip = nextClientIp();
    for (let i = 0; i < 50; i++) {
      expect((await forgot(randomEmail(), ip)).status).toBe(202);
      t.clock.advance(10_000);
    }
    const limited = await forgot(randomEmail(), ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe(String(3600 - 500));
  });
});

describe('POST /auth/password/reset', () => {
  test('204; the new password works, the old does not, and every session is revoked', async () => {
    const user = await createUser(t, { role: 'patient' });
    const second = await login(user.email, user.password);
    await forgot(user.email);
    const code = await latestCode(t, user.email, 'password reset');
    const res = await reset(user.email, code, 'a brand new password');
    expect(res.status).toBe(204);

    expect((await login(user.email, user.password)).status).toBe(401);
    expect((await login(user.email, 'a brand new password')).status).toBe(200);
    for (const token of [user.accessToken, second.body.accessToken]) {
      const me = await t.call('GET', '/api/v1/me', { token });
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('SESSION_REVOKED');
    }
    const refreshed = await t.call('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: user.refreshToken },
    });
    expect(refreshed.status).toBe(401);
    expect((await reset(user.email, code, 'yet another password')).body.error.code).toBe('OTP_EXPIRED');
  });

  test('a wrong code -> 422 and the password is unchanged', async () => {
    const user = await createUser(t, { role: 'patient' });
    await forgot(user.email);
    const code = await latestCode(t, user.email, 'password reset');
    const before = (await t.container.store.collection(Users).findById(user.user.id))!.passwordHash;
    const wrong = String((Number(code) + 7) % 1_000_000).padStart(6, '0');
    const res = await reset(user.email, wrong, 'a brand new password');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('OTP_INVALID');
    expect((await t.container.store.collection(Users).findById(user.user.id))!.passwordHash).toBe(before);
    expect((await t.call('GET', '/api/v1/me', { token: user.accessToken })).status).toBe(200);
  });

  test('the verification code cannot reset a password (codes are bound to their purpose)', async () => {
    const email = randomEmail();
    await t.call('POST', '/api/v1/auth/signup', {
      body: { name: 'Mira', email, password: 'original password', role: 'patient' },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    const verifyCode = await latestCode(t, email, 'verification');
    const res = await reset(email, verifyCode, 'a brand new password');
    expect(res.status).toBe(422);
  });

  test('the reset code expires after 10 minutes', async () => {
    const user = await createUser(t, { role: 'patient' });
    await forgot(user.email);
    const code = await latestCode(t, user.email, 'password reset');
    t.clock.advance(10 * 60_000 + 1);
    expect((await reset(user.email, code, 'a brand new password')).body.error.code).toBe('OTP_EXPIRED');
  });

  test('resetting an unverified account verifies its email (the code came through it)', async () => {
    const email = randomEmail();
    await t.call('POST', '/api/v1/auth/signup', {
      body: { name: 'Mira', email, password: 'original password', role: 'patient' },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    await forgot(email);
    expect(
      (await reset(email, await latestCode(t, email, 'password reset'), 'new password here')).status,
    ).toBe(204);
    expect((await login(email, 'new password here')).status).toBe(200);
  });

  test('a new password outside 8-128 characters -> 422 VALIDATION_FAILED', async () => {
    const user = await createUser(t, { role: 'patient' });
    expect((await reset(user.email, '123456', 'short')).body.error.code).toBe('VALIDATION_FAILED');
    expect((await reset(user.email, '123456', 'x'.repeat(129))).status).toBe(422);
  });

  test('a wrong code for an unknown address answers exactly as for an account, down to the lock', async () => {
    const user = await createUser(t, { role: 'patient' });
    const unknown = randomEmail();
    await forgot(user.email);
    await forgot(unknown);
    const code = await latestCode(t, user.email, 'password reset');
    const guess = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 6; i++) {
      const real = await reset(user.email, guess, 'a brand new password');
      const none = await reset(unknown, guess, 'a brand new password');
      expect(none.status).toBe(422);
      expect(none.body).toEqual(real.body);
      expect(none.body.error.code).toBe(i < 5 ? 'OTP_INVALID' : 'OTP_LOCKED');
    }
    // Without any forgot first, alike too.
    const neverAsked = await createUser(t, { role: 'patient' });
    const [real, none] = [
      await reset(neverAsked.email, '123456', 'a brand new password'),
      await reset(randomEmail(), '123456', 'a brand new password'),
    ];
    expect(none.body).toEqual(real.body);
    expect(real.body.error).toMatchObject({ code: 'OTP_INVALID', details: { attemptsLeft: 4 } });
  });

  test('10 a minute per IP, then 429', async () => {
    const ip = nextClientIp();
    for (let i = 0; i < 10; i++) {
      expect((await reset(randomEmail(), '123456', 'long enough password', ip)).status).toBe(422);
    }
    const limited = await reset(randomEmail(), '123456', 'long enough password', ip);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
  });
});
