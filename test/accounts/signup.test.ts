import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { nextClientIp } from '../support/factories.ts';
import { FAKE_PNG, imageFile, JPEG_HEADER, PNG_1X1, pngOfSize, WEBP_HEADER } from '../support/images.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ AVATAR_MAX_BYTES: '4096' });
});
afterAll(() => t.close());

const signup = (body: unknown, ip = nextClientIp()) =>
  t.call('POST', '/api/v1/auth/signup', { body, headers: { 'x-forwarded-for': ip } });
const stored = (email: string) => t.container.store.collection(Users).findOne({ email: email.toLowerCase() });
const avatarFiles = () => {
  try {
    return readdirSync(join(t.dataDir, 'avatars'));
  } catch {
    return [];
  }
};

const patient = (overrides: Record<string, unknown> = {}) => ({
  name: 'Asha Rao',
  email: randomEmail('patient'),
  password: 'correct horse battery',
  role: 'patient',
  ...overrides,
});
const doctor = (overrides: Record<string, unknown> = {}) => ({
  ...patient({ email: randomEmail('doctor'), role: 'doctor' }),
  specialty: 'Cardiology',
  registrationNumber: 'MCI-12345',
  consultationFeePaise: 75_000,
  timezone: 'Asia/Kolkata',
  languages: ['English', 'Hindi'],
  bio: 'Twenty years of practice.',
  ...overrides,
});

describe('POST /auth/signup (JSON)', () => {
  test('creates an unverified patient, answers 201 { user } without secrets, and emails a code', async () => {
    const body = patient({
      phone: '+91 98765 43210',
      email: `Mixed.Case.${crypto.randomUUID().slice(0, 6)}@Example.TEST`,
    });
    const res = await signup(body);
    expect(res.status).toBe(201);
    const email = (body.email as string).trim().toLowerCase();
    expect(res.body.user).toMatchObject({
      email,
      name: 'Asha Rao',
      role: 'patient',
      emailVerified: false,
    });
    expect(Object.keys(res.body.user).sort()).toEqual(
      ['createdAt', 'email', 'emailVerified', 'id', 'name', 'phone', 'role', 'updatedAt'].sort(),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/argon2|password|hash|otp|token/i);

    const doc = (await stored(email))!;
    expect(doc.passwordHash).toStartWith('$argon2id$');
    expect(doc.emailVerified).toBe(false);
    await t.container.outboxDeliverer.settled();
    const mail = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`);
    expect(mail.body.messages).toHaveLength(1);
    expect(mail.body.messages[0].subject).toContain('verification code');
    expect(mail.body.messages[0].text).toMatch(/\b\d{6}\b/);
  });

  test('a doctor signs up pending, with the practice details stored', async () => {
    const body = doctor();
    const res = await signup(body);
    expect(res.status).toBe(201);
    expect(res.body.user.doctor).toEqual({
      specialty: 'Cardiology',
      registrationNumber: 'MCI-12345',
      consultationFeePaise: 75_000,
      timezone: 'Asia/Kolkata',
      languages: ['English', 'Hindi'],
      bio: 'Twenty years of practice.',
      approvalStatus: 'pending',
    });
    expect((await stored(body.email as string))!.doctor?.approvalStatus).toBe('pending');
  });

  test('an email already taken (in any case) -> 409 EMAIL_TAKEN, the first account untouched', async () => {
    const body = patient();
    expect((await signup(body)).status).toBe(201);
    const again = await signup({ ...body, email: (body.email as string).toUpperCase(), name: 'Other' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EMAIL_TAKEN');
    expect((await stored(body.email as string))!.name).toBe('Asha Rao');
  });

  test.each([
    ['password too short', { password: 'short' }, 'password'],
    ['password too long', { password: 'x'.repeat(129) }, 'password'],
    ['bad email', { email: 'not-an-email' }, 'email'],
    ['role admin', { role: 'admin' }, 'role'],
    ['missing name', { name: undefined }, 'name'],
    ['bad phone', { phone: 'call me' }, 'phone'],
  ])('%s -> 422 and nothing stored', async (_label, change, path) => {
    const body = patient(change);
    const res = await signup(body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(res.body.error.details)).toContain(path);
    if (typeof body.email === 'string') expect(await stored(body.email)).toBeNull();
  });

  test('operator objects are refused with 422, never used as a query', async () => {
    const res = await signup({ ...patient(), email: { $gt: '' } });
    expect(res.status).toBe(422);
    const login = await t.call('POST', '/api/v1/auth/login', {
      body: { email: { $gt: '' }, password: { $ne: null } },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    expect(login.status).toBe(422);
    expect(login.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(['email', 'password']),
    );
    const forgot = await t.call('POST', '/api/v1/auth/password/forgot', { body: { email: { $ne: 'x' } } });
    expect(forgot.status).toBe(422);
  });

  test('mass assignment: unknown and privileged fields are dropped, as the stored document shows', async () => {
    const body = doctor({
      emailVerified: true,
      admin: true,
      isAdmin: true,
      walletBalancePaise: 1_000_000,
      approvalStatus: 'approved',
      _id: 'chosen-id',
      id: 'chosen-id',
      passwordHash: 'x',
      createdAt: '2000-01-01T00:00:00.000Z',
    });
    const res = await signup(body);
    expect(res.status).toBe(201);
    const doc = (await stored(body.email as string))!;
    expect(doc._id).not.toBe('chosen-id');
    expect(doc.emailVerified).toBe(false);
    expect('walletBalancePaise' in doc).toBe(false);
    expect(doc.doctor?.approvalStatus).toBe('pending');
    expect(doc.passwordHash).toStartWith('$argon2id$');
    expect(doc.createdAt.getFullYear()).toBeGreaterThan(2000);
    expect(Object.keys(doc)).not.toContain('admin');
    expect(Object.keys(doc)).not.toContain('isAdmin');
  });

  test('a doctor without practice details, or with an unknown time zone -> 422, nothing stored', async () => {
    const missing = doctor({ specialty: undefined, timezone: undefined });
    const res = await signup(missing);
    expect(res.status).toBe(422);
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'specialty',
      'timezone',
    ]);
    expect(await stored(missing.email as string)).toBeNull();

    const badZone = doctor({ timezone: 'Mars/Olympus_Mons' });
    expect((await signup(badZone)).status).toBe(422);
    expect(await stored(badZone.email as string)).toBeNull();

    const fractionalFee = doctor({ consultationFeePaise: 10.5 });
    expect((await signup(fractionalFee)).status).toBe(422);
  });

  test('consultationFeePaise in JSON is an integer only: strings and fractions -> 422, nothing stored', async () => {
    for (const fee of [' ', '', '1e3', '100', '0x10', 10.5, -1, 100_000_001, null, true]) {
      const body = doctor({ consultationFeePaise: fee });
      const res = await signup(body);
      expect({ fee, status: res.status }).toEqual({ fee, status: 422 });
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(
        'consultationFeePaise',
      );
      expect(await stored(body.email as string)).toBeNull();
    }
  });

  test('a patient giving doctor fields -> 422 (not silently turned into a doctor)', async () => {
    const body = patient({ specialty: 'Cardiology' });
    const res = await signup(body);
    expect(res.status).toBe(422);
    expect(await stored(body.email as string)).toBeNull();
  });
});

describe('POST /auth/signup (multipart with an avatar)', () => {
  const form = (fields: Record<string, unknown>, avatar?: File) => {
    const data = new FormData();
    for (const [key, value] of Object.entries(fields)) {
      if (Array.isArray(value)) for (const item of value) data.append(key, String(item));
      else if (value !== undefined) data.append(key, String(value));
    }
    if (avatar) data.append('avatar', avatar);
    return data;
  };

  test.each([
    ['PNG', PNG_1X1, 'png'],
    ['JPEG', JPEG_HEADER, 'jpg'],
    ['WebP', WEBP_HEADER, 'webp'],
  ])('a %s avatar is stored and served by the app', async (_label, bytes, extension) => {
    const body = doctor({ consultationFeePaise: '60000', languages: 'English, Tamil' });
    const res = await signup(form(body, imageFile(bytes, 'whatever.bin', 'application/octet-stream')));
    expect(res.status).toBe(201);
    expect(res.body.user.doctor.consultationFeePaise).toBe(60_000);
    expect(res.body.user.doctor.languages).toEqual(['English', 'Tamil']);
    const url: string = res.body.user.avatarUrl;
    expect(url).toMatch(
      new RegExp(`^http://localhost/media/avatars/${res.body.user.id}-[0-9a-f]{12}\\.${extension}$`),
    );
    const served = await t.app.handle(new Request(url));
    expect(served.status).toBe(200);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(bytes);
  });

  test('consultationFeePaise as multipart text must be 1-9 digits: else 422 naming the field, nothing stored', async () => {
    for (const fee of [
      '0x10',
      ' ',
      '',
      '1e3',
      '-1',
      '1.5',
      ' 100',
      '+100',
      '１００',
      '1234567890',
      '100000001',
    ]) {
      const body = doctor({ consultationFeePaise: fee, languages: undefined });
      const res = await signup(form(body));
      expect({ fee, status: res.status }).toEqual({ fee, status: 422 });
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(
        'consultationFeePaise',
      );
      expect(await stored(body.email as string)).toBeNull();
    }
    const body = doctor({ consultationFeePaise: '0', languages: undefined });
    const ok = await signup(form(body));
    expect(ok.status).toBe(201);
    expect((await stored(body.email as string))!.doctor!.consultationFeePaise).toBe(0);
  });

  test('text named .png and declared image/png -> 415, no user and no file stored', async () => {
    const before = avatarFiles().length;
    const body = patient();
    const res = await signup(form(body, imageFile(FAKE_PNG, 'avatar.png', 'image/png')));
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_IMAGE');
    expect(await stored(body.email as string)).toBeNull();
    expect(avatarFiles().length).toBe(before);
  });

  test('an avatar over AVATAR_MAX_BYTES -> 413, no user and no file stored', async () => {
    const before = avatarFiles().length;
    const body = patient();
    const res = await signup(form(body, imageFile(pngOfSize(4097))));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('AVATAR_TOO_LARGE');
    expect(await stored(body.email as string)).toBeNull();
    expect(avatarFiles().length).toBe(before);
  });

  test('the avatar route limit lets a body larger than BODY_LIMIT_BYTES through to the avatar check', async () => {
    const small = await buildTestApp({ BODY_LIMIT_BYTES: '2048', AVATAR_MAX_BYTES: '8192' });
    try {
      const data = form(patient(), imageFile(pngOfSize(6000)));
      const ok = await small.call('POST', '/api/v1/auth/signup', {
        body: data,
        headers: { 'x-forwarded-for': nextClientIp() },
      });
      expect(ok.status).toBe(201);
      const tooBig = await small.call('POST', '/api/v1/auth/signup', {
        body: form(patient(), imageFile(pngOfSize(200_000))),
        headers: { 'x-forwarded-for': nextClientIp() },
      });
      expect(tooBig.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  test('unknown multipart fields are dropped too', async () => {
    const body = patient({ emailVerified: 'true', role: 'patient', walletBalancePaise: '500' });
    const res = await signup(form(body));
    expect(res.status).toBe(201);
    const doc = (await stored(body.email as string))!;
    expect(doc.emailVerified).toBe(false);
    expect('walletBalancePaise' in doc).toBe(false);
  });
});

describe('signup rate limit', () => {
  test('5 per minute per IP, then 429 with Retry-After until the window ends', async () => {
    const ip = nextClientIp();
    for (let i = 0; i < 5; i++) expect((await signup(patient(), ip)).status).toBe(201);
    const limited = await signup(patient(), ip);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await signup(patient(), nextClientIp())).status).toBe(201);
    t.clock.advance(retryAfter * 1000);
    expect((await signup(patient(), ip)).status).toBe(201);
  });

  test('without TRUST_PROXY, X-Forwarded-For is ignored: every in-process client shares one address', async () => {
    const direct = await buildTestApp({ TRUST_PROXY: 'false' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await direct.call('POST', '/api/v1/auth/signup', {
          body: patient(),
          headers: { 'x-forwarded-for': nextClientIp() },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
    } finally {
      await direct.close();
    }
  });

  test('RATE_LIMITS_ENABLED=false switches the limit off', async () => {
    const open = await buildTestApp({ RATE_LIMITS_ENABLED: 'false' });
    try {
      for (let i = 0; i < 7; i++) {
        const res = await open.call('POST', '/api/v1/auth/signup', {
          body: patient(),
          headers: { 'x-forwarded-for': '1.2.3.4' },
        });
        expect(res.status).toBe(201);
      }
    } finally {
      await open.close();
    }
  });
});
