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

// Each call from its own address, so the per-IP limits (tested on their own below) stay out of the way.
const verify = (email: string, code: string, ip = nextClientIp()) =>
  t.call('POST', '/api/v1/auth/otp/verify', { body: { email, code }, headers: { 'x-forwarded-for': ip } });
const resend = (email: string, ip = nextClientIp()) =>
  t.call('POST', '/api/v1/auth/otp/resend', { body: { email }, headers: { 'x-forwarded-for': ip } });
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
const user = (email: string) => t.container.store.collection(Users).findOne({ email });
const mailbox = async (email: string) => {
  await t.container.outboxDeliverer.settled();
  return (await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`)).body.messages as {
    text: string;
  }[];
};

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

  test('an unknown email answers a wrong code exactly as a pending account does, down to the lock', async () => {
    const { email } = await signUp();
    const unknown = randomEmail();
    for (let i = 0; i < 6; i++) {
      const real = await verify(email, '000000');
      const none = await verify(unknown, '000000');
      expect(none.status).toBe(422);
      expect(none.body).toEqual(real.body);
      expect(none.body.error.code).toBe(i < 5 ? 'OTP_INVALID' : 'OTP_LOCKED');
      if (i < 5) expect(none.body.error.details).toEqual({ attemptsLeft: 4 - i });
    }
    const doc = (await t.container.store
      .collection(Otps)
      .findOne({ email: unknown, purpose: 'verify_email' }))!;
    expect(doc.attempts).toBe(5);
    expect(doc.codeHash).toBeUndefined();
  });

  test('a verified account answers a wrong code as an unknown address; only its spent code says OTP_EXPIRED', async () => {
    const { email, code } = await signUp();
    expect((await verify(email, code)).status).toBe(200);
    const real = await verify(email, wrong(code));
    const none = await verify(randomEmail(), wrong(code));
    expect(real.body).toEqual(none.body);
    expect(real.body.error).toMatchObject({ code: 'OTP_INVALID', details: { attemptsLeft: 4 } });
    expect((await verify(email, code)).body.error.code).toBe('OTP_EXPIRED');
  });

  test('a malformed code -> 422 VALIDATION_FAILED', async () => {
    expect((await verify(randomEmail(), '12345')).body.error.code).toBe('VALIDATION_FAILED');
    expect((await verify(randomEmail(), 'abcdef')).status).toBe(422);
  });

  test('10 a minute per IP, for any address; then 429 until the oldest counted try is a minute old', async () => {
    const ip = nextClientIp();
    for (let i = 0; i < 10; i++) {
      expect((await verify(randomEmail(), '123456', ip)).body.error.code).toBe('OTP_INVALID');
    }
    const limited = await verify(randomEmail(), '123456', ip);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toBe('60');
    expect((await verify(randomEmail(), '123456')).body.error.code).toBe('OTP_INVALID');
    t.clock.advance(60_000);
    expect((await verify(randomEmail(), '123456', ip)).body.error.code).toBe('OTP_INVALID');
  });
});

describe('POST /auth/otp/resend', () => {
  test('RATE_LIMITS_ENABLED=false lifts the code limits too: resend and forgot answer 202 each time', async () => {
    const open = await buildTestApp({ RATE_LIMITS_ENABLED: 'false' });
    try {
      const email = randomEmail();
      await open.call('POST', '/api/v1/auth/signup', {
        body: { name: 'Asha', email, password: 'long enough 1', role: 'patient' },
      });
      for (let i = 0; i < 7; i++) {
        for (const path of ['/api/v1/auth/otp/resend', '/api/v1/auth/password/forgot']) {
          const res = await open.call('POST', path, { body: { email } });
          expect({ path, i, status: res.status }).toEqual({ path, i, status: 202 });
        }
      }
    } finally {
      await open.close();
    }
  });

  test('202 and a new code, at most once per 60 s (429 + Retry-After), then allowed again', async () => {
    const { email } = await signUp();
    expect((await resend(email)).status).toBe(202);
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
    expect(await mailbox(email)).toHaveLength(3);
  });

  test('the signup email does not count: a resend right after signup answers as for an unknown address', async () => {
    const { email } = await signUp();
    const unknown = randomEmail();
    const [real, none] = [await resend(email), await resend(unknown)];
    expect(real.status).toBe(202);
    expect(none.body).toEqual(real.body);
    const [realAgain, noneAgain] = [await resend(email), await resend(unknown)];
    expect(realAgain.status).toBe(429);
    expect(noneAgain.body).toEqual(realAgain.body);
    expect(noneAgain.headers.get('retry-after')).toBe(realAgain.headers.get('retry-after'));
  });

  test('at most 5 resends an hour per address, 429 until the first is an hour old', async () => {
    const { email } = await signUp();
    for (let i = 0; i < 5; i++) {
      expect((await resend(email)).status).toBe(202);
      t.clock.advance(61_000);
    }
    const limited = await resend(email);
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBe(3600 - 5 * 61);
    expect(await mailbox(email)).toHaveLength(6);
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

  test('10 a minute per IP across addresses, then 429', async () => {
    const ip = nextClientIp();
    for (let i = 0; i < 10; i++) expect((await resend(randomEmail(), ip)).status).toBe(202);
    const limited = await resend(randomEmail(), ip);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
  });
});
