import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { buildTestApp, type CallOptions, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, nextClientIp } from '../support/factories.ts';
import { PNG_1X1 } from '../support/images.ts';
import { type ObservedResponse, responseContract } from '../support/openapi-contract.ts';

let t: TestApp;
let check: ReturnType<typeof responseContract>;
const problems: string[] = [];
const seen = new Set<string>();

/** One request of the walkthrough; every answer is checked against the document. */
async function call(method: string, path: string, options: CallOptions = {}) {
  const res = await t.call(method, path, options);
  problems.push(...check(method, path, res));
  seen.add(`${method} ${res.status}`);
  return res;
}

const codeFrom = (messages: { subject: string; text: string }[], subject: string): string => {
  const code = messages.find((m) => m.subject.includes(subject))?.text.match(/\b(\d{6})\b/)?.[1];
  if (!code) throw new Error(`no ${subject} code in the mailbox`);
  return code;
};

beforeAll(async () => {
  t = await buildTestApp();
  check = responseContract((await t.call('GET', '/api-docs/json')).body);
});
afterAll(() => t.close());

describe('the frontend walkthrough answers as the OpenAPI document says', () => {
  test('signup with avatar, code, approval, schedule, hold, cancel, refresh, logout', async () => {
    // A doctor signs up with a picture (multipart), reads the code from the dev mailbox and verifies.
    const doctorEmail = randomEmail('doctor');
    const form = new FormData();
    for (const [key, value] of Object.entries({
      name: 'Dr Asha Rao',
      email: doctorEmail,
      password: 'correct horse battery',
      role: 'doctor',
      specialty: 'Cardiology',
      registrationNumber: 'KMC-12345',
      consultationFeePaise: '50000',
      timezone: 'UTC',
      languages: 'English,Kannada',
    }))
      form.set(key, value);
    form.set('avatar', new File([PNG_1X1], 'me.png', { type: 'image/png' }));
    const signup = await call('POST', '/api/v1/auth/signup', {
      body: form,
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    expect(signup.status).toBe(201);
    expect(signup.body.user.avatarUrl).toBeString();

    const again = await call('POST', '/api/v1/auth/signup', {
      body: { name: 'Dr Asha Rao', email: doctorEmail, password: 'another password', role: 'patient' },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    expect(again.body.error.code).toBe('EMAIL_TAKEN');

    // Email leaves through the outbox just after the answer; wait for the deliverer, as a reader would.
    await t.container.outboxDeliverer.settled();
    const mailbox = await call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(doctorEmail)}`);
    const code = codeFrom(mailbox.body.messages, 'verification');
    const wrong = await call('POST', '/api/v1/auth/otp/verify', {
      body: { email: doctorEmail, code: code === '000000' ? '111111' : '000000' },
    });
    expect(wrong.body.error).toMatchObject({ code: 'OTP_INVALID', details: { attemptsLeft: 4 } });
    const doctor = await call('POST', '/api/v1/auth/otp/verify', { body: { email: doctorEmail, code } });
    expect(doctor.status).toBe(200);
    const doctorToken: string = doctor.body.accessToken;

    // Avatar URLs are absolute, from the request's own origin.
    expect(doctor.body.user.avatarUrl).toStartWith('http://localhost/media/avatars/');
    const picture = await t.app.handle(new Request(doctor.body.user.avatarUrl));
    problems.push(
      ...check('GET', new URL(doctor.body.user.avatarUrl).pathname, {
        status: picture.status,
        headers: picture.headers,
        body: await picture.text(),
      }),
    );
    expect(picture.headers.get('content-type')).toBe('image/png');

    // Not approved yet: publishing is refused.
    const schedule = {
      schedule: {
        from: new Date(t.clock.now().getTime() + 86_400_000).toISOString().slice(0, 10),
        to: new Date(t.clock.now().getTime() + 86_400_000).toISOString().slice(0, 10),
        weekdays: [1, 2, 3, 4, 5, 6, 7],
        start: '09:00',
        end: '11:00',
        slotMinutes: 30,
        timezone: 'UTC',
      },
    };
    const early = await call('POST', '/api/v1/doctors/me/slots', { token: doctorToken, body: schedule });
    expect(early.body.error.code).toBe('DOCTOR_NOT_APPROVED');

    // An admin finds the doctor among the pending ones and approves.
    const admin = await createUser(t, { role: 'admin' });
    const adminLogin = await call('POST', '/api/v1/auth/login', {
      body: { email: admin.email, password: admin.password },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    const adminToken: string = adminLogin.body.accessToken;
    const pending = await call('GET', '/api/v1/admin/doctors?status=pending&limit=100', {
      token: adminToken,
    });
    expect(pending.body.items.map((u: { id: string }) => u.id)).toContain(doctor.body.user.id);
    const approve = await call('POST', `/api/v1/admin/doctors/${doctor.body.user.id}/approve`, {
      token: adminToken,
    });
    expect(approve.body.user.doctor.approvalStatus).toBe('approved');
    const twice = await call('POST', `/api/v1/admin/doctors/${doctor.body.user.id}/approve`, {
      token: adminToken,
    });
    expect(twice.body.error.code).toBe('ALREADY_REVIEWED');

    // The doctor publishes a schedule.
    const published = await call('POST', '/api/v1/doctors/me/slots', { token: doctorToken, body: schedule });
    expect(published.status).toBe(201);
    expect(published.body.created).toHaveLength(4);
    const own = await call('GET', '/api/v1/doctors/me/slots', { token: doctorToken });
    expect(own.body.items).toHaveLength(4);

    // A patient signs up (JSON), verifies, browses and holds a slot with an Idempotency-Key.
    const patientEmail = randomEmail('patient');
    await call('POST', '/api/v1/auth/signup', {
      body: { name: 'Ravi', email: patientEmail, password: 'patient password', role: 'patient' },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    await t.container.outboxDeliverer.settled();
    const patientMail = await call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(patientEmail)}`);
    const patient = await call('POST', '/api/v1/auth/otp/verify', {
      body: { email: patientEmail, code: codeFrom(patientMail.body.messages, 'verification') },
    });
    const patientToken: string = patient.body.accessToken;
    await call('GET', '/api/v1/me', { token: patientToken });
    const anonymous = await call('GET', '/api/v1/me');
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');

    const directory = await call('GET', '/api/v1/doctors?specialty=Cardiology&limit=10');
    const listed = directory.body.items.find((d: { id: string }) => d.id === doctor.body.user.id);
    expect(listed.consultationFeePaise).toBe(50_000);
    await call('GET', `/api/v1/doctors/${doctor.body.user.id}`);
    const slots = await call('GET', `/api/v1/doctors/${doctor.body.user.id}/slots`);
    expect(slots.body.items).toHaveLength(4);

    const hold = {
      token: patientToken,
      body: { slotId: slots.body.items[0].id },
      headers: { 'idempotency-key': 'walk-1' },
    };
    const held = await call('POST', '/api/v1/appointments', hold);
    expect(held.status).toBe(201);
    expect(held.body.appointment).toMatchObject({ status: 'pending_payment', feePaise: 50_000 });
    const replayed = await call('POST', '/api/v1/appointments', hold);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body.appointment.id).toBe(held.body.appointment.id);
    const reused = await call('POST', '/api/v1/appointments', {
      ...hold,
      body: { slotId: slots.body.items[1].id },
    });
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const taken = await call('POST', '/api/v1/appointments', {
      token: patientToken,
      body: { slotId: slots.body.items[0].id },
    });
    expect(taken.body.error.code).toBe('SLOT_UNAVAILABLE');

    await call('GET', '/api/v1/appointments', { token: patientToken });
    await call('GET', `/api/v1/appointments/${held.body.appointment.id}`, { token: patientToken });
    const adminList = await call('GET', '/api/v1/appointments', { token: adminToken });
    expect(adminList.body.error.code).toBe('FORBIDDEN');

    const cancelled = await call('POST', `/api/v1/appointments/${held.body.appointment.id}/cancel`, {
      token: patientToken,
    });
    expect(cancelled.body.appointment.status).toBe('cancelled');
    const cancelAgain = await call('POST', `/api/v1/appointments/${held.body.appointment.id}/cancel`, {
      token: patientToken,
    });
    expect(cancelAgain.body.error.code).toBe('APPOINTMENT_NOT_CANCELLABLE');

    // Refresh, reuse detection, sign-out.
    const refreshed = await call('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: patient.body.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    const logout = await call('POST', '/api/v1/auth/logout', {
      token: refreshed.body.accessToken,
      body: { refreshToken: refreshed.body.refreshToken },
    });
    expect(logout.status).toBe(204);
    const after = await call('GET', '/api/v1/me', { token: refreshed.body.accessToken });
    expect(after.body.error.code).toBe('SESSION_REVOKED');
    const stale = await call('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: patient.body.refreshToken },
    });
    expect(stale.status).toBe(401);

    const malformed = await call('POST', '/api/v1/auth/login', {
      body: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.body.error.code).toBe('MALFORMED_BODY');
    const invalid = await call('POST', '/api/v1/auth/login', { body: { email: 'not-an-email' } });
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');

    expect(problems).toEqual([]);
    // The walk covered successes, empty answers and errors alike.
    expect([...seen]).toEqual(
      expect.arrayContaining(['POST 201', 'POST 204', 'GET 200', 'POST 409', 'POST 422', 'GET 401']),
    );
  });
});

describe('the response check can fail', () => {
  const ok = (status: number, body: unknown, headers: Record<string, string> = {}): ObservedResponse => ({
    status,
    body,
    headers: new Headers({ 'content-type': 'application/json', 'x-request-id': 'r-1', ...headers }),
  });
  const user = {
    id: 'u',
    email: 'a@b.c',
    name: 'A',
    role: 'patient',
    emailVerified: true,
    createdAt: 'x',
    updatedAt: 'x',
  };

  test('an undocumented status, such as a 204 where none is declared', () => {
    expect(
      check('GET', '/api/v1/me', { ...ok(204, undefined), headers: new Headers({ 'x-request-id': 'r' }) }),
    ).toEqual([expect.stringContaining('status 204 is not documented')]);
  });

  test('a body off its schema: a fee as text, an unknown role, a missing field', () => {
    const doctor = { id: 'd', name: 'D', specialty: 'S', consultationFeePaise: '50000', timezone: 'UTC' };
    expect(check('GET', '/api/v1/doctors/abc', ok(200, { doctor })).join()).toContain('consultationFeePaise');
    expect(check('GET', '/api/v1/me', ok(200, { user: { ...user, role: 'root' } })).join()).toContain('role');
    const { email: _email, ...withoutEmail } = user;
    expect(check('GET', '/api/v1/me', ok(200, { user: withoutEmail })).join()).toContain('email');
    expect(check('GET', '/api/v1/me', ok(200, { user }))).toEqual([]);
  });

  test('an error code the route does not list, a missing X-Request-Id, an undeclared header, a wrong type', () => {
    const envelope = (code: string) => ({ error: { code, message: 'm' } });
    expect(check('GET', '/api/v1/me', ok(401, envelope('EMAIL_TAKEN'))).join()).toContain('code');
    const noId = { ...ok(200, { user }), headers: new Headers({ 'content-type': 'application/json' }) };
    expect(check('GET', '/api/v1/me', noId).join()).toContain('x-request-id is missing');
    expect(check('GET', '/api/v1/me', ok(200, { user }, { 'retry-after': '3' })).join()).toContain(
      'retry-after is sent but not declared',
    );
    expect(check('GET', '/api/v1/me', ok(200, { user }, { 'content-type': 'text/html' })).join()).toContain(
      'content type "text/html" is not documented',
    );
    expect(check('POST', '/api/v1/auth/login', ok(429, envelope('RATE_LIMITED'))).join()).toContain(
      'retry-after is missing',
    );
  });
});
