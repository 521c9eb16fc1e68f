import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, latestCode, nextClientIp } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const forgot = (email: unknown) => t.call('POST', '/api/v1/auth/password/forgot', { body: { email } });
const reset = (email: string, code: string, newPassword: string) =>
  t.call('POST', '/api/v1/auth/password/reset', { body: { email, code, newPassword } });
const login = (email: string, password: string) =>
  t.call('POST', '/api/v1/auth/login', {
    body: { email, password },
    headers: { 'x-forwarded-for': nextClientIp() },
  });
const mailbox = async (email: string) =>
  (await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`)).body.messages as {
    subject: string;
  }[];

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

  test('a new password outside 8-128 characters -> 422, an unknown email -> 422', async () => {
    const user = await createUser(t, { role: 'patient' });
    expect((await reset(user.email, '123456', 'short')).status).toBe(422);
    expect((await reset(user.email, '123456', 'x'.repeat(129))).status).toBe(422);
    expect((await reset(randomEmail(), '123456', 'long enough password')).status).toBe(422);
  });
});
