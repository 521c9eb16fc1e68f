import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Appointments } from '../../src/modules/appointments/appointments.model.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { textProblem } from '../../src/shared/text.ts';
import type { CallResult, TestApp } from '../support/app.ts';
import {
  approvedDoctor,
  buildBookingApp,
  hourFromNow,
  patients,
  publishSlots,
  storedSlot,
} from '../support/booking.ts';
import { type CreatedUser, createUser, nextClientIp } from '../support/factories.ts';

let t: TestApp;
let admin: CreatedUser;
let doctor: CreatedUser;
let patient: CreatedUser;
beforeAll(async () => {
  t = await buildBookingApp();
  admin = await createUser(t, { role: 'admin' });
  doctor = await approvedDoctor(t);
  [patient] = (await patients(t, 1)) as [CreatedUser];
});
afterAll(() => t.close());

const signup = (body: Record<string, unknown>) =>
  t.call('POST', '/api/v1/auth/signup', { body, headers: { 'x-forwarded-for': nextClientIp() } });
const doctorBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Dr. Meera Iyer',
  email: `doc.${crypto.randomUUID().slice(0, 8)}@example.test`,
  password: 'correct horse battery',
  role: 'doctor',
  specialty: 'Cardiology',
  registrationNumber: 'MCI-12345',
  consultationFeePaise: 75_000,
  timezone: 'Asia/Kolkata',
  ...overrides,
});
const storedUser = (id: string) => t.container.store.collection(Users).findById(id);
const storedByEmail = (email: string) => t.container.store.collection(Users).findOne({ email });

/** 422 VALIDATION_FAILED in the one envelope, naming `path` (or an item of it). */
function expectRefused(res: CallResult, path: string, label: unknown): void {
  expect({ label, status: res.status, code: res.body?.error?.code }).toEqual({
    label,
    status: 422,
    code: 'VALIDATION_FAILED',
  });
  const paths: string[] = res.body.error.details.issues.map((issue: { path: string }) => issue.path);
  expect({ label, named: paths.some((p) => p === path || p.startsWith(`${path}.`)) }).toEqual({
    label,
    named: true,
  });
}

const invisibleOnly = [
  ['zero-width space', '\u200b'],
  ['zero-width joiner and non-joiner', '\u200c\u200d'],
  ['word joiner', '\u2060'],
  ['byte order mark', '\ufeff'],
  ['soft hyphen', '\u00ad'],
  ['Hangul filler', '\u3164'],
  ['Braille blank', '\u2800'],
  ['right-to-left mark', '\u200f'],
  ['spaces around a zero-width space', ' \u200b '],
] as const;

const bidiControls = [
  ['right-to-left override', 'Dr. \u202eayiI areeM'],
  ['left-to-right embedding', 'Dr. \u202aMeera'],
  ['pop directional formatting', 'Dr. Meera\u202c'],
  ['right-to-left isolate', 'Dr. \u2067Meera\u2069'],
  ['first strong isolate', '\u2068Meera'],
] as const;

describe('one text rule for every free-text field', () => {
  test.each(invisibleOnly)(
    'a name of only a %s is blank -> 422 on signup and PATCH /me',
    async (_label, name) => {
      const body = doctorBody({ name });
      expectRefused(await signup(body), 'name', name);
      expect(await storedByEmail(body.email)).toBeNull();
      const before = await storedUser(patient.user.id);
      expectRefused(
        await t.call('PATCH', '/api/v1/me', { token: patient.accessToken, body: { name } }),
        'name',
        name,
      );
      expect(await storedUser(patient.user.id)).toEqual(before);
    },
  );

  test.each(bidiControls)(
    'a doctor name with a %s -> 422; /doctors keeps showing the real name',
    async (_label, name) => {
      const body = doctorBody({ name });
      expectRefused(await signup(body), 'name', name);
      expect(await storedByEmail(body.email)).toBeNull();

      expectRefused(
        await t.call('PATCH', '/api/v1/me', { token: doctor.accessToken, body: { name } }),
        'name',
        name,
      );
      const listed = await t.call('GET', `/api/v1/doctors?q=${encodeURIComponent(doctor.user.name)}`);
      expect(listed.body.items.find((d: { id: string }) => d.id === doctor.user.id)?.name).toBe(
        doctor.user.name,
      );
    },
  );

  test('specialty, registration number, bio and languages follow the same rule', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ specialty: '\u200b\u200b\u200b' }, 'specialty'],
      [{ specialty: 'Cardio\u202elogy' }, 'specialty'],
      [{ specialty: '\u200bC\u200b' }, 'specialty'],
      [{ registrationNumber: '\u2060\u2060\u2060\u2060' }, 'registrationNumber'],
      [{ registrationNumber: 'MCI\u0000123' }, 'registrationNumber'],
      [{ bio: '\u200b\n\u200b' }, 'bio'],
      [{ bio: 'Twenty years\u2066 of practice' }, 'bio'],
      [{ bio: 'Twenty years\u0007' }, 'bio'],
      [{ bio: 'Twenty \ud83d years' }, 'bio'],
      [{ languages: ['English', '\u200b\u200b'] }, 'languages'],
      [{ languages: ['Eng\u202elish'] }, 'languages'],
    ];
    for (const [fields, path] of cases) {
      const body = doctorBody(fields);
      expectRefused(await signup(body), path, fields);
      expect(await storedByEmail(body.email)).toBeNull();
    }
    const before = await storedUser(doctor.user.id);
    for (const [fields, path] of cases.filter(([fields]) => !('registrationNumber' in fields))) {
      expectRefused(
        await t.call('PATCH', '/api/v1/me', { token: doctor.accessToken, body: fields }),
        path,
        fields,
      );
    }
    expect(await storedUser(doctor.user.id)).toEqual(before);
  });

  test('text that needs joiners, marks, tabs and newlines still passes', async () => {
    const fields = {
      name: 'ശ്രീ\u200dകുമാർ',
      specialty: 'Cardiology \u{1f468}\u200d\u2695\ufe0f',
      bio: 'Line one.\n\tLine two, in עברית\u200f.',
      languages: ['فارسی', 'हिन्दी'],
    };
    const body = doctorBody(fields);
    const res = await signup(body);
    expect(res.status).toBe(201);
    const stored = (await storedByEmail(body.email))!;
    expect(stored.name).toBe(fields.name);
    expect(stored.doctor).toMatchObject({
      specialty: fields.specialty,
      bio: fields.bio,
      languages: fields.languages,
    });
  });

  test('a hold reason with NUL, a lone surrogate, a bidi override or nothing visible -> 422, the slot stays open', async () => {
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 3), 1);
    for (const reason of ['cough\u0000', 'cough \ud800', '\udfff', 'cough \u202e', '\u200b', '']) {
      const res = await t.call('POST', '/api/v1/appointments', {
        token: patient.accessToken,
        body: { slotId, reason },
      });
      expectRefused(res, 'reason', reason);
    }
    expect((await storedSlot(t, slotId!)).status).toBe('open');
    expect(await t.container.store.collection(Appointments).count({ slotId: slotId! })).toBe(0);
    const ok = await t.call('POST', '/api/v1/appointments', {
      token: patient.accessToken,
      body: { slotId, reason: 'Cough for a week,\nworse at night' },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.appointment.reason).toBe('Cough for a week,\nworse at night');
  });

  test("an admin's reject reason follows the rule; the doctor stays pending", async () => {
    const pending = await createUser(t, { role: 'doctor' });
    for (const reason of ['\u200b\u200b', 'Not found\u202e', 'Not\u0000found', '\ud800']) {
      const res = await t.call('POST', `/api/v1/admin/doctors/${pending.user.id}/reject`, {
        token: admin.accessToken,
        body: { reason },
      });
      expectRefused(res, 'reason', reason);
    }
    expect((await storedUser(pending.user.id))!.doctor!.approvalStatus).toBe('pending');
  });
});

describe('textProblem', () => {
  test.each([
    ['Asha', false, undefined],
    ['a\tb', false, 'must not contain control characters'],
    ['a\tb\nc\r\n', true, undefined],
    ['a\u2028b', false, 'must be a single line'],
    ['a\u2028b', true, undefined],
    ['a\u0085b', true, 'must not contain control characters other than tab and newline'],
    ['\ud800', true, 'must not contain unpaired surrogates'],
    ['a\u202db', false, 'must not contain bidirectional overrides, embeddings or isolates'],
    ['\u200e\u200f', false, 'must not be blank'],
    ['\u00a0\u3000', true, 'must not be blank'],
    ['', false, undefined],
  ] as const)('%j (multiline %p) -> %p', (value, multiline, problem) => {
    expect(textProblem(value, multiline)).toBe(problem);
  });
});
