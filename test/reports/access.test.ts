import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { TestApp } from '../support/app.ts';
import { buildBookingApp } from '../support/booking.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';
import { analyzedReport, appointmentWithDoctor, sampleReport, uploadReport } from '../support/reports.ts';

let t: TestApp;
let owner: CreatedUser;
let otherPatient: CreatedUser;
let sharedDoctor: CreatedUser;
let otherDoctor: CreatedUser;
let admin: CreatedUser;
let appointmentId: string;
let otherAppointmentId: string;
let reportId: string;

beforeAll(async () => {
  t = await buildBookingApp();
  owner = await createUser(t, { role: 'patient' });
  otherPatient = await createUser(t, { role: 'patient' });
  admin = await createUser(t, { role: 'admin' });
  ({ doctor: sharedDoctor, appointmentId } = await appointmentWithDoctor(t, owner));
  ({ doctor: otherDoctor, appointmentId: otherAppointmentId } = await appointmentWithDoctor(t, otherPatient));
  reportId = await analyzedReport(t, owner);
  const shared = await t.call('POST', `/api/v1/reports/${reportId}/share`, {
    token: owner.accessToken,
    body: { appointmentId },
  });
  expect(shared.status).toBe(200);
  expect(shared.body.share).toEqual({ reportId, appointmentId, doctorId: sharedDoctor.user.id });
  const chat = await t.call('POST', `/api/v1/reports/${reportId}/chat`, {
    token: owner.accessToken,
    body: { message: 'Is my hemoglobin in range?' },
  });
  expect(chat.status).toBe(200);
});
afterAll(() => t.close());

type Who = 'owner' | 'otherPatient' | 'sharedDoctor' | 'otherDoctor' | 'admin' | 'anonymous';
const token = (who: Who): string | undefined =>
  ({
    owner: owner.accessToken,
    otherPatient: otherPatient.accessToken,
    sharedDoctor: sharedDoctor.accessToken,
    otherDoctor: otherDoctor.accessToken,
    admin: admin.accessToken,
    anonymous: undefined,
  })[who];

/** Each route and what each caller gets; writes that succeed run last (delete) or are idempotent. */
const ROUTES: Array<{ route: string; call: () => [string, string, unknown?]; expect: Record<Who, number> }> =
  [
    {
      route: 'GET /reports/:id',
      call: () => ['GET', `/api/v1/reports/${reportId}`],
      expect: {
        owner: 200,
        otherPatient: 404,
        sharedDoctor: 200,
        otherDoctor: 404,
        admin: 200,
        anonymous: 401,
      },
    },
    {
      route: 'GET /reports/:id/file',
      call: () => ['GET', `/api/v1/reports/${reportId}/file`],
      expect: {
        owner: 200,
        otherPatient: 404,
        sharedDoctor: 200,
        otherDoctor: 404,
        admin: 200,
        anonymous: 401,
      },
    },
    {
      route: 'GET /reports/:id/chat',
      call: () => ['GET', `/api/v1/reports/${reportId}/chat`],
      expect: {
        owner: 200,
        otherPatient: 404,
        sharedDoctor: 200,
        otherDoctor: 404,
        admin: 403,
        anonymous: 401,
      },
    },
    {
      route: 'POST /reports/:id/chat',
      call: () => ['POST', `/api/v1/reports/${reportId}/chat`, { message: 'What is my glucose?' }],
      expect: {
        owner: 200,
        otherPatient: 404,
        sharedDoctor: 403,
        otherDoctor: 403,
        admin: 403,
        anonymous: 401,
      },
    },
    {
      route: 'POST /reports/:id/analyze',
      call: () => ['POST', `/api/v1/reports/${reportId}/analyze`],
      expect: {
        owner: 409,
        otherPatient: 404,
        sharedDoctor: 403,
        otherDoctor: 403,
        admin: 403,
        anonymous: 401,
      },
    },
    {
      route: 'POST /reports/:id/share',
      call: () => ['POST', `/api/v1/reports/${reportId}/share`, { appointmentId }],
      expect: {
        owner: 200,
        otherPatient: 404,
        sharedDoctor: 403,
        otherDoctor: 403,
        admin: 403,
        anonymous: 401,
      },
    },
    {
      route: 'DELETE /reports/:id/share/:appointmentId (of another report owner)',
      call: () => ['DELETE', `/api/v1/reports/${reportId}/share/${otherAppointmentId}`],
      expect: {
        owner: 204,
        otherPatient: 404,
        sharedDoctor: 403,
        otherDoctor: 403,
        admin: 403,
        anonymous: 401,
      },
    },
  ];

describe('every route, every caller (BOLA matrix)', () => {
  for (const { route, call, expect: expected } of ROUTES) {
    for (const who of Object.keys(expected) as Who[]) {
      test(`${route} as ${who}: ${expected[who]}`, async () => {
        const [method, path, body] = call();
        const res = await t.call(method, path, {
          ...(token(who) ? { token: token(who) } : {}),
          ...(body ? { body } : {}),
        });
        expect(res.status).toBe(expected[who]);
        if (expected[who] === 404) {
          expect(res.body.error.code).toBe('REPORT_NOT_FOUND');
          // Nothing of the report leaks in a refusal.
          expect(JSON.stringify(res.body)).not.toContain('Hemoglobin');
        }
        if (expected[who] === 200 && method === 'GET' && path.endsWith(reportId)) {
          expect(res.body.report.analysis.findings.length).toBe(4);
        }
      });
    }
  }

  test('lists: a patient sees their own, a doctor what is shared with them, an admin is refused', async () => {
    const ids = async (who: Who) =>
      (await t.call('GET', '/api/v1/reports', { token: token(who)! })).body.items?.map(
        (r: { id: string }) => r.id,
      );
    expect(await ids('owner')).toContain(reportId);
    expect(await ids('otherPatient')).not.toContain(reportId);
    expect(await ids('sharedDoctor')).toEqual([reportId]);
    expect(await ids('otherDoctor')).toEqual([]);
    expect((await t.call('GET', '/api/v1/reports', { token: admin.accessToken })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/reports')).status).toBe(401);
  });

  test('DELETE /reports/:id: others are refused and nothing is removed; the owner removes it', async () => {
    for (const who of ['otherPatient', 'sharedDoctor', 'otherDoctor', 'admin', 'anonymous'] as Who[]) {
      const res = await t.call(
        'DELETE',
        `/api/v1/reports/${reportId}`,
        token(who) ? { token: token(who) } : {},
      );
      expect({ who, status: res.status }).toEqual({
        who,
        status: who === 'otherPatient' ? 404 : who === 'anonymous' ? 401 : 403,
      });
    }
    expect(await t.container.reportsRepo.findById(reportId)).not.toBeNull();
    const own = await t.call('DELETE', `/api/v1/reports/${reportId}`, { token: owner.accessToken });
    expect(own.status).toBe(204);
    expect(await t.container.reportsRepo.findById(reportId)).toBeNull();
    const gone = await t.call('GET', `/api/v1/reports/${reportId}`, { token: sharedDoctor.accessToken });
    expect(gone.status).toBe(404);
  });
});

describe('upload: patients only, with their own appointment', () => {
  test("doctors and admins 403, anonymous 401, another patient's appointment 404; nothing stored", async () => {
    const form = () => {
      const body = new FormData();
      body.append('file', new File([new Uint8Array([0x25, 0x50, 0x44, 0x46])], 'r.pdf'));
      return body;
    };
    for (const [who, status] of [
      ['sharedDoctor', 403],
      ['admin', 403],
      ['anonymous', 401],
    ] as const) {
      const res = await t.call('POST', '/api/v1/reports', {
        ...(token(who) ? { token: token(who) } : {}),
        body: form(),
      });
      expect({ who, status: res.status }).toEqual({ who, status });
    }
    const patient = await createUser(t, { role: 'patient' });
    const res = await uploadReport(t, patient, await sampleReport(), { appointmentId: otherAppointmentId });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('APPOINTMENT_NOT_FOUND');
    expect((await t.call('GET', '/api/v1/reports', { token: patient.accessToken })).body.items).toEqual([]);
    const { appointmentId: own } = await appointmentWithDoctor(t, patient);
    const linked = await uploadReport(t, patient, await sampleReport(), { appointmentId: own });
    expect(linked.status).toBe(201);
    expect(linked.body.report.appointmentId).toBe(own);
    await t.container.outboxDeliverer.settled();
  });
});

describe('sharing', () => {
  test('share, then unshare: the doctor gains and loses access; the chat is read only for them', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const { doctor, appointmentId: mine } = await appointmentWithDoctor(t, patient);
    const id = await analyzedReport(t, patient);
    const read = () => t.call('GET', `/api/v1/reports/${id}`, { token: doctor.accessToken });
    expect((await read()).status).toBe(404);
    expect(
      (
        await t.call('POST', `/api/v1/reports/${id}/share`, {
          token: patient.accessToken,
          body: { appointmentId: mine },
        })
      ).status,
    ).toBe(200);
    expect((await read()).status).toBe(200);
    const chat = await t.call('GET', `/api/v1/reports/${id}/chat`, { token: doctor.accessToken });
    expect(chat.status).toBe(200);
    const unshared = await t.call('DELETE', `/api/v1/reports/${id}/share/${mine}`, {
      token: patient.accessToken,
    });
    expect(unshared.status).toBe(204);
    expect((await read()).status).toBe(404);
    const list = await t.call('GET', '/api/v1/reports', { token: doctor.accessToken });
    expect(list.body.items).toEqual([]);
  });

  test("only through the owner's own held or confirmed appointment", async () => {
    const patient = await createUser(t, { role: 'patient' });
    const stranger = await createUser(t, { role: 'patient' });
    const { appointmentId: theirs } = await appointmentWithDoctor(t, stranger);
    const { appointmentId: mine } = await appointmentWithDoctor(t, patient);
    const id = await analyzedReport(t, patient);
    const share = (appointment: string) =>
      t.call('POST', `/api/v1/reports/${id}/share`, {
        token: patient.accessToken,
        body: { appointmentId: appointment },
      });
    const foreign = await share(theirs);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('APPOINTMENT_NOT_FOUND');
    const cancelled = await t.call('POST', `/api/v1/appointments/${mine}/cancel`, {
      token: patient.accessToken,
    });
    expect(cancelled.status).toBe(200);
    const inactive = await share(mine);
    expect(inactive.status).toBe(409);
    expect(inactive.body.error).toMatchObject({
      code: 'APPOINTMENT_NOT_ACTIVE',
      details: { status: 'cancelled' },
    });
    expect((await share(crypto.randomUUID())).status).toBe(404);
  });
});
