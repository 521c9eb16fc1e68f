import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import * as schedule from '../../src/modules/slots/schedule.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { canonicalTimeZone, isTimeZone } from '../../src/shared/time-zones.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, nextClientIp } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const signup = (body: unknown) =>
  t.call('POST', '/api/v1/auth/signup', { body, headers: { 'x-forwarded-for': nextClientIp() } });
const patch = (token: string, body: unknown) => t.call('PATCH', '/api/v1/me', { token, body });
const storedByEmail = (email: string) =>
  t.container.store.collection(Users).findOne({ email: email.toLowerCase() });
const storedById = (id: string) => t.container.store.collection(Users).findById(id);
const issuePaths = (res: { body: { error: { details?: { issues: { path: string }[] } } } }) =>
  res.body.error.details?.issues.map((i) => i.path) ?? [];

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
  ...overrides,
});
const form = (fields: Record<string, unknown>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.append(key, String(value));
  return data;
};

/** A refusal a client can act on: 422 VALIDATION_FAILED naming the field (or an item of it), not a storage message. */
const expectFieldRefused = (res: Awaited<ReturnType<typeof signup>>, field: string, label: unknown) => {
  expect({ label, status: res.status, code: res.body?.error?.code }).toEqual({
    label,
    status: 422,
    code: 'VALIDATION_FAILED',
  });
  expect(res.body.error.message).not.toContain('schema');
  expect(issuePaths(res).filter((path) => path === field || path.startsWith(`${field}.`))).not.toEqual([]);
};

describe('blank text is refused field by field, on signup and PATCH /me alike', () => {
  test('a whitespace-only name -> 422 naming `name`, nothing stored', async () => {
    for (const name of ['   ', '\t \u00a0', '\u3000']) {
      const body = patient({ name });
      expectFieldRefused(await signup(body), 'name', name);
      expect(await storedByEmail(body.email as string)).toBeNull();
    }
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    const before = await storedById(user.id);
    expectFieldRefused(await patch(accessToken, { name: '    ' }), 'name', 'patch');
    expect(await storedById(user.id)).toEqual(before);
  });

  test('a whitespace-only or too short (once trimmed) specialty -> 422 naming `specialty`', async () => {
    for (const specialty of ['      ', ' a ']) {
      const body = doctor({ specialty });
      expectFieldRefused(await signup(body), 'specialty', specialty);
      expect(await storedByEmail(body.email as string)).toBeNull();
    }
    const { accessToken, user } = await createUser(t, { role: 'doctor' });
    const before = await storedById(user.id);
    for (const specialty of ['      ', ' a ']) {
      expectFieldRefused(await patch(accessToken, { specialty }), 'specialty', specialty);
    }
    expect(await storedById(user.id)).toEqual(before);
  });

  test('PATCH /me trims what it stores, as signup does', async () => {
    const { accessToken, user } = await createUser(t, { role: 'doctor' });
    const res = await patch(accessToken, { name: '  Dr. Meera  ', specialty: '  Dermatology ' });
    expect(res.status).toBe(200);
    const doc = (await storedById(user.id))!;
    expect(doc.name).toBe('Dr. Meera');
    expect(doc.doctor!.specialty).toBe('Dermatology');
  });
});

describe('time zones are stored by their canonical name', () => {
  test('signup and PATCH /me store `asia/kolkata` as `Asia/Kolkata`', async () => {
    const body = doctor({ timezone: 'asia/kolkata' });
    const res = await signup(body);
    expect(res.status).toBe(201);
    expect(res.body.user.doctor.timezone).toBe('Asia/Kolkata');
    expect((await storedByEmail(body.email as string))!.doctor!.timezone).toBe('Asia/Kolkata');

    const { accessToken, user } = await createUser(t, { role: 'doctor' });
    expect((await patch(accessToken, { timezone: 'europe/LONDON' })).status).toBe(200);
    expect((await storedById(user.id))!.doctor!.timezone).toBe('Europe/London');
    expect((await patch(accessToken, { timezone: 'utc' })).status).toBe(200);
    expect((await storedById(user.id))!.doctor!.timezone).toBe('UTC');
  });

  test('one definition of a time zone, shared by accounts and schedules', () => {
    expect(schedule.isTimeZone).toBe(isTimeZone);
    expect(canonicalTimeZone('asia/kolkata')).toBe('Asia/Kolkata');
    for (const zone of ['+05:30', 'Mars/Olympus', '', ' Asia/Kolkata', 'EST']) {
      expect({ zone, ok: isTimeZone(zone) }).toEqual({ zone, ok: false });
    }
  });
});

describe('languages', () => {
  test('a list with no names in it (",,,", blanks) -> 422 naming `languages`, nothing stored', async () => {
    const multipart = doctor({ languages: ',,,' });
    expectFieldRefused(await signup(form(multipart)), 'languages', ',,,');
    expect(await storedByEmail(multipart.email as string)).toBeNull();
    for (const languages of [
      ['   ', '    '],
      ['English', '   '],
    ]) {
      const body = doctor({ languages });
      expectFieldRefused(await signup(body), 'languages', languages);
      expect(await storedByEmail(body.email as string)).toBeNull();
    }
    const { accessToken, user } = await createUser(t, { role: 'doctor' });
    const before = await storedById(user.id);
    expectFieldRefused(await patch(accessToken, { languages: ['   '] }), 'languages', 'patch');
    expect(await storedById(user.id)).toEqual(before);
  });

  test('names are trimmed; empty items of a comma-separated value are dropped', async () => {
    const body = doctor({ languages: 'English, ,Hindi,' });
    const res = await signup(form(body));
    expect(res.status).toBe(201);
    expect((await storedByEmail(body.email as string))!.doctor!.languages).toEqual(['English', 'Hindi']);
    const { accessToken, user } = await createUser(t, { role: 'doctor' });
    expect((await patch(accessToken, { languages: [' Tamil ', 'Urdu'] })).status).toBe(200);
    expect((await storedById(user.id))!.doctor!.languages).toEqual(['Tamil', 'Urdu']);
  });
});

describe('invisible and control characters', () => {
  const sneaky = [
    ['zero-width space', '\u200b'],
    ['zero-width non-joiner', '\u200c'],
    ['zero-width joiner', '\u200d'],
    ['word joiner', '\u2060'],
    ['byte order mark', '\ufeff'],
    ['soft hyphen', '\u00ad'],
    ['right-to-left override', '\u202e'],
    ['NUL', '\u0000'],
    ['bell', '\u0007'],
    ['DEL', '\u007f'],
    ['next line (C1)', '\u0085'],
    ['lone surrogate', '\ud800'],
  ] as const;

  test.each(sneaky)(
    'an email with a %s -> 422 on signup, login, resend and forgot; nothing stored',
    async (_label, ch) => {
      const email = `asha${ch}.${crypto.randomUUID().slice(0, 6)}@example.test`;
      expectFieldRefused(await signup(patient({ email })), 'email', email);
      expect(await storedByEmail(email)).toBeNull();
      const headers = { 'x-forwarded-for': nextClientIp() };
      for (const [path, body] of [
        ['/auth/login', { email, password: 'correct horse battery' }],
        ['/auth/otp/resend', { email }],
        ['/auth/password/forgot', { email }],
      ] as const) {
        const res = await t.call('POST', `/api/v1${path}`, { body, headers });
        expect({ path, status: res.status }).toEqual({ path, status: 422 });
      }
    },
  );

  test('names with NUL, control characters or lone surrogates -> 422 on signup and PATCH /me', async () => {
    const { accessToken, user } = await createUser(t, { role: 'patient' });
    const before = await storedById(user.id);
    for (const name of [
      'Asha\u0000Rao',
      'Asha\u0007',
      'Asha\u001b[31m',
      'Asha\u007f',
      'Asha\ud800',
      '\udc00Asha',
    ]) {
      const body = patient({ name });
      expectFieldRefused(await signup(body), 'name', name);
      expect(await storedByEmail(body.email as string)).toBeNull();
      expectFieldRefused(await patch(accessToken, { name }), 'name', `patch ${JSON.stringify(name)}`);
    }
    expect(await storedById(user.id)).toEqual(before);
  });

  test('real names still pass: accents, scripts that need joiners, emoji as whole pairs', async () => {
    for (const name of ['Zoë Ñúñez', 'ശ്രീ\u200dകുമാർ', 'क्\u200dष', 'Asha 🌸']) {
      const body = patient({ name });
      const res = await signup(body);
      expect({ name, status: res.status }).toEqual({ name, status: 201 });
      expect((await storedByEmail(body.email as string))!.name).toBe(name);
    }
  });
});

describe('operator objects are refused with 422 on every account route', () => {
  test.each([
    ['/auth/otp/verify', { email: { $gt: '' }, code: '123456' }],
    ['/auth/otp/verify', { email: 'a@example.test', code: { $ne: '' } }],
    ['/auth/otp/resend', { email: { $gt: '' } }],
    ['/auth/refresh', { refreshToken: { $gt: '' } }],
    ['/auth/password/reset', { email: { $gt: '' }, code: '123456', newPassword: 'new password 1' }],
    [
      '/auth/password/reset',
      { email: 'a@example.test', code: { $regex: '.*' }, newPassword: 'new password 1' },
    ],
  ] as const)('POST %s %j -> 422', async (path, body) => {
    const res = await t.call('POST', `/api/v1${path}`, {
      body,
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });
});
