import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { type CreatedUser, createUser, nextClientIp } from '../support/factories.ts';
import { tempDir } from '../support/temp-dirs.ts';

let t: TestApp;
let admin: CreatedUser;
beforeAll(async () => {
  t = await buildTestApp();
  admin = await createUser(t, { role: 'admin' });
});
afterAll(() => t.close());

const asAdmin = (method: string, path: string, body?: unknown) =>
  t.call(method, `/api/v1${path}`, { token: admin.accessToken, body });
/** What the doctor finds in their inbox once the outbox has delivered (it does so after the answer). */
const mailbox = async (email: string) => {
  await t.container.outboxDeliverer.settled();
  return (await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(email)}`)).body.messages as {
    subject: string;
    text: string;
  }[];
};

describe('doctor review', () => {
  test('a doctor whose email is not verified cannot be approved (409), may be rejected, and is approved once verified', async () => {
    const email = randomEmail('unverified');
    const signup = await t.call('POST', '/api/v1/auth/signup', {
      body: {
        name: 'Dr Unproven',
        email,
        password: 'long enough 1',
        role: 'doctor',
        specialty: 'Dermatology',
        registrationNumber: 'REG-UNPROVEN',
        consultationFeePaise: 40_000,
        timezone: 'Asia/Kolkata',
      },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    const id: string = signup.body.user.id;
    const refused = await asAdmin('POST', `/admin/doctors/${id}/approve`);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'DOCTOR_EMAIL_NOT_VERIFIED']);
    const stored = (await t.container.store.collection(Users).findById(id))!;
    expect(stored.doctor?.approvalStatus).toBe('pending');
    expect((await mailbox(email)).map((m) => m.subject).join()).not.toMatch(/approved/i);
    const code = (await mailbox(email))[0]!.text.match(/\b(\d{6})\b/)![1];
    expect((await t.call('POST', '/api/v1/auth/otp/verify', { body: { email, code } })).status).toBe(200);
    expect((await asAdmin('POST', `/admin/doctors/${id}/approve`)).status).toBe(200);
  });

  test('GET /admin/doctors lists pending doctors by default, oldest first, paginated', async () => {
    const fresh = await buildTestApp();
    try {
      const reviewer = await createUser(fresh, { role: 'admin' });
      const made = [];
      for (let i = 0; i < 3; i++) {
        made.push(await createUser(fresh, { role: 'doctor' }));
        fresh.clock.advance(1000);
      }
      await createUser(fresh, { role: 'patient' });
      const first = await fresh.call('GET', '/api/v1/admin/doctors?limit=2', { token: reviewer.accessToken });
      expect(first.status).toBe(200);
      expect(first.body.items.map((u: { id: string }) => u.id)).toEqual([made[0]!.user.id, made[1]!.user.id]);
      expect(first.body.nextCursor).toBeString();
      const next = await fresh.call(
        'GET',
        `/api/v1/admin/doctors?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
        { token: reviewer.accessToken },
      );
      expect(next.body.items.map((u: { id: string }) => u.id)).toEqual([made[2]!.user.id]);
      expect(next.body.nextCursor).toBeNull();
      const approved = await fresh.call('GET', '/api/v1/admin/doctors?status=approved', {
        token: reviewer.accessToken,
      });
      expect(approved.body.items).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  test('bad query -> 422', async () => {
    expect((await asAdmin('GET', '/admin/doctors?status=maybe')).status).toBe(422);
    expect((await asAdmin('GET', '/admin/doctors?limit=0')).status).toBe(422);
    expect((await asAdmin('GET', '/admin/doctors?limit=1000')).status).toBe(422);
    expect((await asAdmin('GET', '/admin/doctors?cursor=garbage')).status).toBe(422);
  });

  test('approve: pending -> approved with reviewer and time, the doctor is emailed', async () => {
    const doctor = await createUser(t, { role: 'doctor' });
    const res = await asAdmin('POST', `/admin/doctors/${doctor.user.id}/approve`);
    expect(res.status).toBe(200);
    expect(res.body.user.doctor.approvalStatus).toBe('approved');
    expect(res.body.user.doctor.reviewedAt).toBe(t.clock.now().toISOString());
    const doc = (await t.container.store.collection(Users).findById(doctor.user.id))!;
    expect(doc.doctor).toMatchObject({ approvalStatus: 'approved', reviewedBy: admin.user.id });
    expect((await mailbox(doctor.email))[0]!.subject).toContain('approved');
  });

  test('reject with a reason: the doctor is emailed the reason', async () => {
    const doctor = await createUser(t, { role: 'doctor' });
    const res = await asAdmin('POST', `/admin/doctors/${doctor.user.id}/reject`, {
      reason: 'Registration not found',
    });
    expect(res.status).toBe(200);
    expect(res.body.user.doctor.approvalStatus).toBe('rejected');
    const [mail] = await mailbox(doctor.email);
    expect(mail!.subject).toContain('not approved');
    expect(mail!.text).toContain('Registration not found');
  });

  test('reject without a body works too', async () => {
    const doctor = await createUser(t, { role: 'doctor' });
    expect((await asAdmin('POST', `/admin/doctors/${doctor.user.id}/reject`)).status).toBe(200);
  });

  test('reject with a malformed, non-object or non-JSON body -> 422/415; the doctor stays pending, no email', async () => {
    const bodies: [raw: string, type: string][] = [
      ['{', 'application/json'],
      ['[1]', 'application/json'],
      ['[]', 'application/json'],
      ['"x"', 'application/json'],
      ['1', 'application/json'],
      ['null', 'application/json'],
      ['{"reason":""}', 'application/json'],
      ['{"reason":"no\\u0000"}', 'application/json'],
      ['reason=x', 'application/x-www-form-urlencoded'],
      ['x', 'text/plain'],
    ];
    for (const [raw, type] of bodies) {
      const doctor = await createUser(t, { role: 'doctor' });
      const mails = (await mailbox(doctor.email)).length;
      const res = await t.call('POST', `/api/v1/admin/doctors/${doctor.user.id}/reject`, {
        token: admin.accessToken,
        body: raw,
        headers: { 'content-type': type },
      });
      if (type === 'application/json') {
        // Not JSON at all is MALFORMED_BODY; JSON that is not a valid body (an array, null, a bad reason)
        // is VALIDATION_FAILED, as on every other JSON route.
        const expected = raw === '{' ? 'MALFORMED_BODY' : 'VALIDATION_FAILED';
        expect({ raw, status: res.status, code: res.body.error.code }).toEqual({
          raw,
          status: 422,
          code: expected,
        });
      } else {
        expect([415, 422]).toContain(res.status);
      }
      const doc = (await t.container.store.collection(Users).findById(doctor.user.id))!;
      expect(doc.doctor?.approvalStatus).toBe('pending');
      expect(doc.doctor?.reviewedAt).toBeUndefined();
      expect((await mailbox(doctor.email)).length).toBe(mails);
    }
  });

  test('reject with an empty JSON object works like no body', async () => {
    const doctor = await createUser(t, { role: 'doctor' });
    const res = await t.call('POST', `/api/v1/admin/doctors/${doctor.user.id}/reject`, {
      token: admin.accessToken,
      body: {},
    });
    expect(res.status).toBe(200);
    expect(res.body.user.doctor.approvalStatus).toBe('rejected');
  });

  test('a decision is made once: deciding again -> 409 ALREADY_REVIEWED, nothing changes, no email', async () => {
    const doctor = await createUser(t, { role: 'doctor', approved: true });
    const mails = (await mailbox(doctor.email)).length;
    const again = await asAdmin('POST', `/admin/doctors/${doctor.user.id}/reject`, { reason: 'x' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_REVIEWED');
    expect((await t.container.store.collection(Users).findById(doctor.user.id))!.doctor?.approvalStatus).toBe(
      'approved',
    );
    expect((await mailbox(doctor.email)).length).toBe(mails);
  });

  test('concurrent approve and reject: exactly one wins', async () => {
    const doctor = await createUser(t, { role: 'doctor' });
    const results = await Promise.all([
      asAdmin('POST', `/admin/doctors/${doctor.user.id}/approve`),
      asAdmin('POST', `/admin/doctors/${doctor.user.id}/reject`),
      asAdmin('POST', `/admin/doctors/${doctor.user.id}/approve`),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  });

  test('a patient id or an unknown id -> 404 DOCTOR_NOT_FOUND, as on the public route', async () => {
    const patient = await createUser(t, { role: 'patient' });
    for (const id of [patient.user.id, crypto.randomUUID()]) {
      for (const action of ['approve', 'reject']) {
        const res = await asAdmin('POST', `/admin/doctors/${id}/${action}`);
        expect({ action, status: res.status, code: res.body.error.code }).toEqual({
          action,
          status: 404,
          code: 'DOCTOR_NOT_FOUND',
        });
      }
      const pub = await t.call('GET', `/api/v1/doctors/${id}`);
      expect(pub.body.error.code).toBe('DOCTOR_NOT_FOUND');
    }
    expect((await t.container.usersRepo.findById(patient.user.id))?.doctor).toBeUndefined();
  });

  test('an id that is not a UUID -> 422 on admin and public routes alike', async () => {
    const doctor = await createUser(t, { role: 'doctor' });
    for (const id of ['12345', 'x'.repeat(64), `${doctor.user.id}x`]) {
      for (const action of ['approve', 'reject']) {
        const res = await asAdmin('POST', `/admin/doctors/${id}/${action}`);
        expect({ action, status: res.status, code: res.body.error.code }).toEqual({
          action,
          status: 422,
          code: 'VALIDATION_FAILED',
        });
      }
      expect((await t.call('GET', `/api/v1/doctors/${id}`)).status).toBe(422);
    }
    expect((await t.container.usersRepo.findById(doctor.user.id))?.doctor?.approvalStatus).toBe('pending');
  });

  test('patients and doctors -> 403; anonymous -> 401 on every admin route', async () => {
    const doctor = await createUser(t, { role: 'doctor' });
    const patient = await createUser(t, { role: 'patient' });
    const routes: [string, string][] = [
      ['GET', '/api/v1/admin/doctors'],
      ['POST', `/api/v1/admin/doctors/${doctor.user.id}/approve`],
      ['POST', `/api/v1/admin/doctors/${doctor.user.id}/reject`],
    ];
    for (const [method, path] of routes) {
      expect((await t.call(method, path)).status).toBe(401);
      expect((await t.call(method, path, { token: patient.accessToken })).status).toBe(403);
      expect((await t.call(method, path, { token: doctor.accessToken })).status).toBe(403);
    }
    expect((await t.container.store.collection(Users).findById(doctor.user.id))!.doctor?.approvalStatus).toBe(
      'pending',
    );
  });

  test('no route makes an admin: signup refuses role admin', async () => {
    const res = await t.call('POST', '/api/v1/auth/signup', {
      body: { name: 'Mallory', email: randomEmail(), password: 'password123', role: 'admin' },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    expect(res.status).toBe(422);
  });
});

describe('the first admin', () => {
  test('ADMIN_EMAIL/ADMIN_PASSWORD create an admin at boot, idempotently', async () => {
    const dir = tempDir('hv-admin-');
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      ADMIN_EMAIL: 'Boss@Example.test',
      ADMIN_PASSWORD: 'boot password 1',
    };
    const first = await buildTestApp(env);
    const id = (await first.container.usersRepo.findByEmail('boss@example.test'))!._id;
    await first.close();
    const second = await buildTestApp({ ...env, ADMIN_PASSWORD: 'a different password' });
    try {
      const admins = await second.container.store.collection(Users).findAll({ role: 'admin' });
      expect(admins.map((a) => a._id)).toEqual([id]);
      const login = await second.call('POST', '/api/v1/auth/login', {
        body: { email: 'boss@example.test', password: 'boot password 1' },
      });
      expect(login.status).toBe(200);
      expect(login.body.user).toMatchObject({ role: 'admin', emailVerified: true });
    } finally {
      await second.close();
    }
  });

  test('ensureAdmin never promotes an existing non-admin account', async () => {
    const patient = await createUser(t, { role: 'patient' });
    await expect(t.container.accounts.ensureAdmin(patient.email, 'whatever123')).rejects.toMatchObject({
      status: 409,
    });
    expect((await t.container.usersRepo.findById(patient.user.id))!.role).toBe('patient');
  });

  test('scripts/create-admin.ts creates the admin once (password on stdin) and is idempotent', async () => {
    const dir = tempDir('hv-cli-');
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
      LOG_LEVEL: 'silent',
      PASSWORD_HASH_MEMORY_KIB: '64',
      PASSWORD_HASH_TIME_COST: '1',
      ADMIN_EMAIL: '',
      ADMIN_PASSWORD: '',
    };
    const run = async (args: string[], stdin: string) => {
      const proc = Bun.spawn(['bun', 'scripts/create-admin.ts', ...args], {
        env,
        stdin: new TextEncoder().encode(stdin),
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      return { out, err, code };
    };
    const created = await run(['--email', 'root@example.test', '--name', 'Root'], 'cli password 123\n');
    expect(created.code).toBe(0);
    expect(created.out).toContain('Created admin root@example.test');
    expect(created.out + created.err).not.toContain('cli password 123');
    const again = await run(['--email', 'root@example.test'], 'cli password 123\n');
    expect(again.code).toBe(0);
    expect(again.out).toContain('already exists');
    const bad = await run(['--email', 'root2@example.test'], 'short\n');
    expect(bad.code).toBe(64);
    const usage = await run([], 'x\n');
    expect(usage.code).toBe(64);

    const app = await buildTestApp({ DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}` });
    try {
      const login = await app.call('POST', '/api/v1/auth/login', {
        body: { email: 'root@example.test', password: 'cli password 123' },
      });
      expect(login.status).toBe(200);
      expect(login.body.user).toMatchObject({ role: 'admin', name: 'Root' });
    } finally {
      await app.close();
    }
  });
});
