import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, nextClientIp } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const signupPatient = (email: string, timezone?: string) =>
  t.call('POST', '/api/v1/auth/signup', {
    body: {
      name: 'Asha',
      email,
      password: 'correct horse',
      role: 'patient',
      ...(timezone ? { timezone } : {}),
    },
    headers: { 'x-forwarded-for': nextClientIp() },
  });

describe("a patient's time zone", () => {
  test('is optional at signup, stored under its canonical IANA name and shown on the profile', async () => {
    const email = randomEmail();
    const res = await signupPatient(email, 'europe/london');
    expect(res.status).toBe(201);
    expect(res.body.user.timezone).toBe('Europe/London');
    expect((await t.container.usersRepo.findByEmail(email))?.timezone).toBe('Europe/London');
    const without = await signupPatient(randomEmail());
    expect(without.status).toBe(201);
    expect(without.body.user.timezone).toBeUndefined();
  });

  test('an offset, an abbreviation or an unknown name -> 422 and no account', async () => {
    for (const timezone of ['+05:30', 'EST', 'Mars/Olympus']) {
      const email = randomEmail();
      const res = await signupPatient(email, timezone);
      expect(res.status).toBe(422);
      expect(res.body.error.details.issues).toContainEqual({
        path: 'timezone',
        message: 'must be an IANA time zone such as Asia/Kolkata',
      });
      expect(await t.container.usersRepo.findByEmail(email)).toBeNull();
    }
  });

  test('PATCH /me sets it for a patient, validated the same way', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const set = await t.call('PATCH', '/api/v1/me', {
      body: { timezone: 'asia/tokyo' },
      token: patient.accessToken,
    });
    expect(set.status).toBe(200);
    expect(set.body.user.timezone).toBe('Asia/Tokyo');
    expect((await t.container.usersRepo.findById(patient.user.id))?.timezone).toBe('Asia/Tokyo');
    const bad = await t.call('PATCH', '/api/v1/me', {
      body: { timezone: 'GMT+2' },
      token: patient.accessToken,
    });
    expect(bad.status).toBe(422);
    expect((await t.container.usersRepo.findById(patient.user.id))?.timezone).toBe('Asia/Tokyo');
  });

  test("a doctor's PATCH timezone still changes the practice zone, not a patient field", async () => {
    const doctor = await createUser(t, { role: 'doctor' });
    const res = await t.call('PATCH', '/api/v1/me', {
      body: { timezone: 'Europe/Paris' },
      token: doctor.accessToken,
    });
    expect(res.status).toBe(200);
    const stored = await t.container.usersRepo.findById(doctor.user.id);
    expect(stored?.doctor?.timezone).toBe('Europe/Paris');
    expect(stored?.timezone).toBeUndefined();
  });
});

describe('emails show times in the reader’s zone', () => {
  test("the doctor's review email names the doctor's zone", async () => {
    const admin = await createUser(t, { role: 'admin' });
    const doctor = await createUser(t, { role: 'doctor', doctor: { timezone: 'America/Sao_Paulo' } });
    const approved = await t.call('POST', `/api/v1/admin/doctors/${doctor.user.id}/approve`, {
      token: admin.accessToken,
    });
    expect(approved.status).toBe(200);
    await t.container.outboxDeliverer.settled();
    const res = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(doctor.email)}`);
    const message = res.body.messages.find((m: { subject: string }) => m.subject.includes('approved'));
    expect(message.text).toMatch(
      /approved your profile on \w+day, .* (am|pm) GMT-3 \(America\/Sao_Paulo\)\./,
    );
  });
});
