import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Otps } from '../../src/modules/auth/auth.model.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { latestCode, nextClientIp } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

async function signUp(): Promise<{ email: string; password: string; code: string }> {
  const email = randomEmail();
  const password = 'correct horse battery';
  const res = await t.call('POST', '/api/v1/auth/signup', {
    body: { name: 'Ravi', email, password, role: 'patient' },
    headers: { 'x-forwarded-for': nextClientIp() },
  });
  expect(res.status).toBe(201);
  return { email, password, code: await latestCode(t, email) };
}

const verify = (email: string, code: string) =>
  t.call('POST', '/api/v1/auth/otp/verify', { body: { email, code } });
const resend = (email: string) => t.call('POST', '/api/v1/auth/otp/resend', { body: { email } });
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const user = (email: string) => t.container.store.collection(Users).findOne({ email });
const mailbox = async (email: string) =>
  (await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`)).body.messages as {
    text: string;
  }[];

describe('POST /auth/otp/verify', () => {
  test('the emailed code verifies the email and signs in', async () => {
    const { email, code } = await signUp();
    const res = await verify(email, code);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { email, emailVerified: true },
    });
    expect(res.body.accessToken.split('.')).toHaveLength(3);
    expect(res.body.refreshToken).toMatch(/^hvrt_/);
    expect((await user(email))!.emailVerified).toBe(true);
    const me = await t.call('GET', '/api/v1/me', { token: res.body.accessToken });
    expect(me.body.user.email).toBe(email);
  });

  test('the code is stored only as a keyed hash', async () => {
    const { email, code } = await signUp();
    const doc = (await t.container.store.collection(Otps).findOne({ email, purpose: 'verify_email' }))!;
    expect(doc.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(doc)).not.toContain(code);
  });

  test('single use: the same code a second time -> 422 OTP_EXPIRED', async () => {
    const { email, code } = await signUp();
    expect((await verify(email, code)).status).toBe(200);
    const again = await verify(email, code);
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('OTP_EXPIRED');
  });

  test('valid for 10 minutes by the clock: at 10 min + 1 s -> OTP_EXPIRED, still unverified', async () => {
    const { email, code } = await signUp();
    t.clock.advance(10 * 60_000 + 1000);
    const res = await verify(email, code);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('OTP_EXPIRED');
    expect((await user(email))!.emailVerified).toBe(false);
  });

  test('just inside 10 minutes it still works', async () => {
    const { email, code } = await signUp();
    t.clock.advance(10 * 60_000 - 1000);
    expect((await verify(email, code)).status).toBe(200);
  });

  test('a wrong code -> 422 OTP_INVALID with the tries left; after 5 the code is dead, even the right one', async () => {
    const { email, code } = await signUp();
    for (let left = 4; left >= 0; left--) {
      const res = await verify(email, wrong(code));
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'OTP_INVALID', details: { attemptsLeft: left } });
    }
    const locked = await verify(email, code);
    expect(locked.status).toBe(422);
    expect(locked.body.error.code).toBe('OTP_LOCKED');
    expect((await user(email))!.emailVerified).toBe(false);

    t.clock.advance(61_000);
    expect((await resend(email)).status).toBe(202);
    expect((await verify(email, await latestCode(t, email))).status).toBe(200);
  });

  test('parallel wrong guesses are counted exactly: 30 at once -> 5 counted, 25 locked out', async () => {
    const { email, code } = await signUp();
    const guesses = await Promise.all(Array.from({ length: 30 }, () => verify(email, wrong(code))));
    const codes = guesses.map((g) => g.body.error.code);
    expect(codes.filter((c) => c === 'OTP_INVALID')).toHaveLength(5);
    expect(codes.filter((c) => c === 'OTP_LOCKED')).toHaveLength(25);
    const left = guesses
      .filter((g) => g.body.error.code === 'OTP_INVALID')
      .map((g) => g.body.error.details.attemptsLeft)
      .sort();
    expect(left).toEqual([0, 1, 2, 3, 4]);
    const doc = (await t.container.store.collection(Otps).findOne({ email, purpose: 'verify_email' }))!;
    expect(doc.attempts).toBe(5);
    expect((await verify(email, code)).body.error.code).toBe('OTP_LOCKED');
  });

  test('a right guess racing wrong ones: verified at most once, never after the lock', async () => {
    const { email, code } = await signUp();
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => verify(email, wrong(code))),
      verify(email, code),
      verify(email, code),
    ]);
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
    const doc = (await t.container.store.collection(Otps).findOne({ email, purpose: 'verify_email' }))!;
    expect(doc.attempts).toBeLessThanOrEqual(5);
  });

  test('only the newest code counts: after a resend the earlier code is refused', async () => {
    const { email, code: first } = await signUp();
    t.clock.advance(61_000);
    expect((await resend(email)).status).toBe(202);
    const second = await latestCode(t, email);
    const old = await verify(email, first);
    if (first !== second) {
      expect(old.status).toBe(422);
      expect(old.body.error.code).toBe('OTP_INVALID');
    }
    expect((await verify(email, second)).status).toBe(200);
  });

  test('an unknown email -> 422 OTP_EXPIRED; a malformed code -> 422', async () => {
    const res = await verify(randomEmail(), '123456');
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('OTP_EXPIRED');
    expect((await verify(randomEmail(), '12345')).status).toBe(422);
    expect((await verify(randomEmail(), 'abcdef')).status).toBe(422);
  });
});

describe('POST /auth/otp/resend', () => {
  test('202 and a new code, at most once per 60 s (429 + Retry-After), then allowed again', async () => {
    const { email } = await signUp();
    const early = await resend(email);
    expect(early.status).toBe(429);
    expect(early.body.error.code).toBe('RATE_LIMITED');
    expect(Number(early.headers.get('retry-after'))).toBe(60);
    t.clock.advance(45_000);
    expect(Number((await resend(email)).headers.get('retry-after'))).toBe(15);
    t.clock.advance(15_000);
    const ok = await resend(email);
    expect(ok.status).toBe(202);
    expect(ok.body).toEqual({ status: 'accepted' });
    expect(await mailbox(email)).toHaveLength(2);
  });

  test('at most 5 sends an hour (the signup email counts), 429 until the first send is an hour old', async () => {
    const { email } = await signUp();
    for (let i = 0; i < 4; i++) {
      t.clock.advance(61_000);
      expect((await resend(email)).status).toBe(202);
    }
    t.clock.advance(61_000);
    const limited = await resend(email);
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBe(3600 - 5 * 61);
    expect(await mailbox(email)).toHaveLength(5);
    t.clock.advance(wait * 1000);
    expect((await resend(email)).status).toBe(202);
  });

  test('unknown and already verified emails get the same 202 and no email', async () => {
    const unknown = randomEmail();
    const res = await resend(unknown);
    expect(res.status).toBe(202);
    expect(await mailbox(unknown)).toHaveLength(0);

    const { email, code } = await signUp();
    await verify(email, code);
    t.clock.advance(61_000);
    expect((await resend(email)).status).toBe(202);
    expect(await mailbox(email)).toHaveLength(1);
  });

  test('the throttle applies to unknown emails alike, so 429 does not reveal an account', async () => {
    const unknown = randomEmail();
    expect((await resend(unknown)).status).toBe(202);
    expect((await resend(unknown)).status).toBe(429);
  });
});
