import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Appointments } from '../../src/modules/appointments/appointments.model.ts';
import { Slots } from '../../src/modules/slots/slots.model.ts';
import type { TestApp } from '../support/app.ts';
import {
  approvedDoctor,
  buildBookingApp,
  HOUR,
  hourFromNow,
  iso,
  plus,
  publishSlots,
  storedAppointment,
  storedSlot,
} from '../support/booking.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';

const ACTORS = ['owner', 'otherPatient', 'doctor', 'otherDoctor', 'admin', 'anonymous'] as const;
type Actor = (typeof ACTORS)[number];

let t: TestApp;
let users: Record<Exclude<Actor, 'anonymous'>, CreatedUser>;
let slotIds: string[];
let appointmentId: string;
beforeAll(async () => {
  t = await buildBookingApp();
  const [owner, otherPatient, doctor, otherDoctor, admin] = await Promise.all([
    createUser(t, { role: 'patient' }),
    createUser(t, { role: 'patient' }),
    approvedDoctor(t),
    approvedDoctor(t),
    createUser(t, { role: 'admin' }),
  ]);
  users = { owner, otherPatient, doctor, otherDoctor, admin };
  slotIds = await publishSlots(t, doctor, hourFromNow(t, 1), 8);
  const res = await t.call('POST', '/api/v1/appointments', {
    token: owner.accessToken,
    body: { slotId: slotIds[0] },
  });
  appointmentId = res.body.appointment.id;
});
afterAll(() => t.close());

const as = (actor: Actor, method: string, path: string, body?: unknown) =>
  t.call(method, path, {
    ...(actor === 'anonymous' ? {} : { token: users[actor].accessToken }),
    ...(body === undefined ? {} : { body }),
  });

const statuses = async (
  actors: readonly Actor[],
  call: (actor: Actor, i: number) => Promise<{ status: number }>,
): Promise<Record<string, number>> => {
  const result: Record<string, number> = {};
  for (const [i, actor] of actors.entries()) result[actor] = (await call(actor, i)).status;
  return result;
};

describe('authorization matrix: owner patient, other patient, the doctor, another doctor, admin, anonymous', () => {
  test('GET /doctors, /doctors/:id and /doctors/:id/slots are public', async () => {
    const doctorId = users.doctor.user.id;
    for (const path of [
      '/api/v1/doctors',
      `/api/v1/doctors/${doctorId}`,
      `/api/v1/doctors/${doctorId}/slots`,
    ]) {
      const all = Object.fromEntries(ACTORS.map((a) => [a, 200]));
      expect(await statuses(ACTORS, (actor) => as(actor, 'GET', path))).toEqual(all);
    }
  });

  test('POST /doctors/me/slots: doctors only, each for themselves', async () => {
    const start = plus(hourFromNow(t, 20), 0);
    const got = await statuses(ACTORS, (actor, i) =>
      as(actor, 'POST', '/api/v1/doctors/me/slots', {
        slots: [{ startsAt: iso(plus(start, i * HOUR)), endsAt: iso(plus(start, i * HOUR + 30 * 60_000)) }],
      }),
    );
    expect(got).toEqual({
      owner: 403,
      otherPatient: 403,
      doctor: 201,
      otherDoctor: 201,
      admin: 403,
      anonymous: 401,
    });
    const slots = t.container.store.collection(Slots);
    expect(await slots.count({ doctorId: users.doctor.user.id, startsAt: plus(start, 2 * HOUR) })).toBe(1);
    expect(await slots.count({ doctorId: users.otherDoctor.user.id, startsAt: plus(start, 3 * HOUR) })).toBe(
      1,
    );
    expect(await slots.count({ startsAt: { $in: [start, plus(start, HOUR), plus(start, 4 * HOUR)] } })).toBe(
      0,
    );
  });

  test('GET /doctors/me/slots: doctors only, each sees only their own', async () => {
    const got = await statuses(ACTORS, (actor) => as(actor, 'GET', '/api/v1/doctors/me/slots'));
    expect(got).toEqual({
      owner: 403,
      otherPatient: 403,
      doctor: 200,
      otherDoctor: 200,
      admin: 403,
      anonymous: 401,
    });
    const mine = await as('doctor', 'GET', '/api/v1/doctors/me/slots');
    expect(mine.body.items.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(slotIds));
    const theirs = await as('otherDoctor', 'GET', '/api/v1/doctors/me/slots');
    expect(theirs.body.items.map((s: { id: string }) => s.id)).not.toEqual(
      expect.arrayContaining([slotIds[0]]),
    );
  });

  test("DELETE /doctors/me/slots/:slotId: only the slot's doctor", async () => {
    const slotId = slotIds[7]!;
    const refused = await statuses(['owner', 'otherPatient', 'otherDoctor', 'admin', 'anonymous'], (actor) =>
      as(actor, 'DELETE', `/api/v1/doctors/me/slots/${slotId}`),
    );
    expect(refused).toEqual({ owner: 403, otherPatient: 403, otherDoctor: 404, admin: 403, anonymous: 401 });
    expect((await storedSlot(t, slotId)).status).toBe('open');
    expect((await as('doctor', 'DELETE', `/api/v1/doctors/me/slots/${slotId}`)).status).toBe(204);
  });

  test('POST /appointments: patients only', async () => {
    const got = await statuses(ACTORS, (actor, i) =>
      as(actor, 'POST', '/api/v1/appointments', { slotId: slotIds[1 + i] }),
    );
    expect(got).toEqual({
      owner: 201,
      otherPatient: 201,
      doctor: 403,
      otherDoctor: 403,
      admin: 403,
      anonymous: 401,
    });
    for (const slotId of slotIds.slice(3, 7)) expect((await storedSlot(t, slotId)).status).toBe('open');
  });

  test('GET /appointments: patients and doctors, each their own', async () => {
    const got = await statuses(ACTORS, (actor) => as(actor, 'GET', '/api/v1/appointments'));
    expect(got).toEqual({
      owner: 200,
      otherPatient: 200,
      doctor: 200,
      otherDoctor: 200,
      admin: 403,
      anonymous: 401,
    });
    const ids = async (actor: Actor) =>
      (await as(actor, 'GET', '/api/v1/appointments')).body.items.map((a: { id: string }) => a.id);
    expect(await ids('owner')).toContain(appointmentId);
    expect(await ids('doctor')).toContain(appointmentId);
    expect(await ids('otherPatient')).not.toContain(appointmentId);
    expect(await ids('otherDoctor')).toEqual([]);
    for (const actor of ['owner', 'otherPatient'] as const) {
      const own = await t.container.store.collection(Appointments).count({ patientId: users[actor].user.id });
      expect((await ids(actor)).length).toBe(own);
    }
  });

  test('GET /appointments/:id: its patient, its doctor, admin; 404 for the others', async () => {
    const got = await statuses(ACTORS, (actor) => as(actor, 'GET', `/api/v1/appointments/${appointmentId}`));
    expect(got).toEqual({
      owner: 200,
      otherPatient: 404,
      doctor: 200,
      otherDoctor: 404,
      admin: 200,
      anonymous: 401,
    });
  });

  test('POST /appointments/:id/cancel of an unpaid hold: only its patient (its doctor and admins: confirmed ones)', async () => {
    const refused = await statuses(['otherPatient', 'doctor', 'otherDoctor', 'admin', 'anonymous'], (actor) =>
      as(actor, 'POST', `/api/v1/appointments/${appointmentId}/cancel`),
    );
    expect(refused).toEqual({ otherPatient: 404, doctor: 409, otherDoctor: 404, admin: 409, anonymous: 401 });
    expect((await storedAppointment(t, appointmentId)).status).toBe('pending_payment');
    expect((await storedSlot(t, slotIds[0]!)).status).toBe('held');
    expect((await as('owner', 'POST', `/api/v1/appointments/${appointmentId}/cancel`)).status).toBe(200);
  });

  test('a forged or expired token is 401; a doctor awaiting approval reads an empty own list', async () => {
    const forged = await t.call('GET', '/api/v1/appointments', { token: `${users.owner.accessToken}x` });
    expect(forged.status).toBe(401);
    const saved = t.clock.now();
    t.clock.advance(31 * 24 * HOUR);
    const expired = await t.call('GET', '/api/v1/appointments', { token: users.owner.accessToken });
    t.clock.set(saved);
    expect(expired.status).toBe(401);
    const pending = await createUser(t, { role: 'doctor' });
    const own = await t.call('GET', '/api/v1/doctors/me/slots', { token: pending.accessToken });
    expect(own.status).toBe(200);
    expect(own.body.items).toEqual([]);
  });
});

describe('OpenAPI document', () => {
  const ROUTES: [method: string, path: string, body: boolean, secured: boolean, codes: string[]][] = [
    ['get', '/api/v1/doctors', false, false, ['200', '422']],
    ['get', '/api/v1/doctors/{id}', false, false, ['200', '404', '422']],
    ['get', '/api/v1/doctors/{id}/slots', false, false, ['200', '404', '422']],
    ['post', '/api/v1/doctors/me/slots', true, true, ['200', '201', '401', '403', '413', '415', '422']],
    ['get', '/api/v1/doctors/me/slots', false, true, ['200', '401', '403', '422']],
    ['delete', '/api/v1/doctors/me/slots/{slotId}', false, true, ['204', '401', '403', '404', '409', '422']],
    ['post', '/api/v1/appointments', true, true, ['201', '401', '403', '404', '409', '422']],
    ['get', '/api/v1/appointments', false, true, ['200', '401', '403', '422']],
    ['get', '/api/v1/appointments/{id}', false, true, ['200', '401', '404', '422']],
    ['post', '/api/v1/appointments/{id}/cancel', false, true, ['200', '401', '404', '409', '415', '422']],
  ];

  test.each(ROUTES)(
    '%s %s has tags, summary, parameters and a schema per status',
    async (method, path, body, secured, codes) => {
      const doc = (await t.call('GET', '/api-docs/json')).body;
      const operation = doc.paths[path]?.[method];
      expect(operation).toBeDefined();
      expect(operation.tags).toEqual([path.includes('appointments') ? 'Appointments' : 'Doctors']);
      expect(operation.summary).toBeString();
      if (body) expect(operation.requestBody.content['application/json'].schema).toBeDefined();
      for (const code of codes) {
        expect(operation.responses[code]).toBeDefined();
        if (code !== '204')
          expect(operation.responses[code].content['application/json'].schema).toBeDefined();
      }
      if (Number(codes.at(-1)) >= 400) {
        expect(JSON.stringify(operation.responses[codes.at(-1)!].content)).toContain('"error"');
      }
      if (secured) expect(operation.security).toEqual([{ bearer: [] }]);
      for (const name of path.match(/\{(\w+)\}/g) ?? []) {
        expect(operation.parameters).toContainEqual(
          expect.objectContaining({ name: name.slice(1, -1), in: 'path' }),
        );
      }
    },
  );

  test('query parameters and the Idempotency-Key header are declared; the hold body has no price', async () => {
    const doc = (await t.call('GET', '/api-docs/json')).body;
    const names = (path: string, method: string) =>
      doc.paths[path][method].parameters.map((p: { name: string }) => p.name);
    expect(names('/api/v1/doctors', 'get')).toEqual(
      expect.arrayContaining(['specialty', 'q', 'limit', 'cursor']),
    );
    expect(names('/api/v1/doctors/{id}/slots', 'get')).toEqual(expect.arrayContaining(['from', 'to']));
    expect(names('/api/v1/doctors/me/slots', 'get')).toEqual(
      expect.arrayContaining(['from', 'to', 'status']),
    );
    expect(names('/api/v1/appointments', 'get')).toEqual(expect.arrayContaining(['status', 'cursor']));
    expect(names('/api/v1/appointments', 'post')).toContain('idempotency-key');
    const holdBody = JSON.stringify(doc.paths['/api/v1/appointments'].post.requestBody.content);
    expect(holdBody).toContain('slotId');
    expect(holdBody).not.toMatch(/feePaise|status/);
  });
});
