import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import ICAL from 'ical.js';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { newId } from '../../src/shared/ids.ts';
import type { TestApp } from '../support/app.ts';
import {
  approvedDoctor,
  HOUR,
  hold,
  hourFromNow,
  patients,
  publishSlots,
  storedAppointment,
  storedSlot,
} from '../support/booking.ts';
import { confirmedAppointment, pay } from '../support/confirmed.ts';
import { createUser } from '../support/factories.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import { buildRazorpayApp, expectAuditClean, fundWallet, storedPayment } from '../support/payments.ts';

let t: TestApp;
let fake: RazorpayFake;
beforeAll(async () => {
  ({ t, fake } = await buildRazorpayApp({
    ACCESS_TOKEN_TTL_SECONDS: String(365 * 86_400),
    REFRESH_TOKEN_TTL_SECONDS: String(365 * 86_400),
  }));
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});
afterEach(() => expectAuditClean(t));

const reschedule = (token: string, id: string, slotId: string, headers: Record<string, string> = {}) =>
  t.call('POST', `/api/v1/appointments/${id}/reschedule`, { token, body: { slotId }, headers });

/** The invites emailed to `to` whose subject starts with `subject`, parsed back with ical.js. */
async function invites(to: string, subject: string) {
  const records = await t.container.store.collection(Outbox).findAll({ kind: 'email', recipient: to });
  return records
    .filter((r) => r.subject.startsWith(subject))
    .map((r) => {
      const payload = JSON.parse(r.body!) as { attachments?: { content: string }[] };
      return parseInvite(payload.attachments![0]!.content);
    });
}
const parseInvite = (content: string) => {
  const calendar = new ICAL.Component(ICAL.parse(content));
  const vevent = calendar.getFirstSubcomponent('vevent')!;
  const event = new ICAL.Event(vevent);
  return {
    method: calendar.getFirstPropertyValue('method'),
    uid: event.uid,
    sequence: event.sequence,
    start: event.startDate.toJSDate().toISOString(),
  };
};

describe('rescheduling', () => {
  test('moves the same appointment, reopens the old slot, keeps the payment; invites: same UID, SEQUENCE up', async () => {
    const c = await confirmedAppointment(t, fake, 'wallet', 40_000, { slots: 3 });
    const paymentBefore = await storedPayment(t, c.paymentId);
    const res = await reschedule(c.patient.accessToken, c.appointmentId, c.slotIds[2]!);
    expect(res.status).toBe(200);
    expect(res.body.appointment).toMatchObject({
      id: c.appointmentId,
      slotId: c.slotIds[2],
      status: 'confirmed',
    });
    expect((await storedSlot(t, c.slotId)).status).toBe('open');
    expect(await storedSlot(t, c.slotIds[2]!)).toMatchObject({ status: 'booked', heldBy: c.appointmentId });
    expect(await storedPayment(t, c.paymentId)).toEqual(paymentBefore);

    for (const reader of [c.patient, c.doctor]) {
      const [booked] = await invites(reader.email, 'Appointment confirmed');
      const [moved] = await invites(reader.email, 'Appointment moved');
      expect(booked).toMatchObject({ method: 'REQUEST', sequence: 0 });
      expect(moved).toMatchObject({
        method: 'REQUEST',
        uid: booked!.uid,
        sequence: 1,
        start: res.body.appointment.startsAt,
      });
    }
    const ics = await t.call('GET', `/api/v1/appointments/${c.appointmentId}/calendar.ics`, {
      token: c.doctor.accessToken,
    });
    expect(ics.status).toBe(200);
    expect(ics.headers.get('content-type')).toStartWith('text/calendar');
    expect(parseInvite(ics.body)).toMatchObject({ method: 'REQUEST', sequence: 1 });
    const stranger = await createUser(t, { role: 'patient' });
    expect(
      (
        await t.call('GET', `/api/v1/appointments/${c.appointmentId}/calendar.ics`, {
          token: stranger.accessToken,
        })
      ).status,
    ).toBe(404);

    const cancelled = await t.call('POST', `/api/v1/appointments/${c.appointmentId}/cancel`, {
      token: c.patient.accessToken,
    });
    expect(cancelled.status).toBe(200);
    for (const reader of [c.patient, c.doctor]) {
      const [notice] = await invites(reader.email, 'Appointment cancelled');
      expect(notice).toMatchObject({ method: 'CANCEL', sequence: 2 });
    }
    const after = await t.call('GET', `/api/v1/appointments/${c.appointmentId}/calendar.ics`, {
      token: c.patient.accessToken,
    });
    expect(parseInvite(after.body)).toMatchObject({ method: 'CANCEL', sequence: 2 });
  });

  test('conflicts: a held target is 409 with the booking intact; another doctor, the same slot or a past one 422', async () => {
    const c = await confirmedAppointment(t, fake, 'razorpay', 30_000, { slots: 3 });
    const rival = await createUser(t, { role: 'patient' });
    expect((await hold(t, rival, c.slotIds[1]!)).status).toBe(201);
    const held = await reschedule(c.patient.accessToken, c.appointmentId, c.slotIds[1]!);
    expect(held.status).toBe(409);
    expect(held.body.error.code).toBe('SLOT_UNAVAILABLE');
    expect(await storedAppointment(t, c.appointmentId)).toMatchObject({
      slotId: c.slotId,
      status: 'confirmed',
    });
    expect((await storedSlot(t, c.slotId)).status).toBe('booked');
    expect((await storedSlot(t, c.slotIds[1]!)).status).toBe('held');

    const other = await approvedDoctor(t);
    const [foreign] = await publishSlots(t, other, hourFromNow(t, 3), 1);
    const [soon] = await publishSlots(t, c.doctor, hourFromNow(t, 0), 1);
    for (const slotId of [foreign!, c.slotId]) {
      const res = await reschedule(c.patient.accessToken, c.appointmentId, slotId);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('SLOT_NOT_ELIGIBLE');
    }
    t.clock.advance(2 * HOUR);
    const past = await reschedule(c.patient.accessToken, c.appointmentId, soon!);
    expect(past.status).toBe(422);
    const gone = await reschedule(c.patient.accessToken, c.appointmentId, newId());
    expect(gone.status).toBe(409);
    expect(gone.body.error.code).toBe('SLOT_UNAVAILABLE');
    expect((await reschedule(rival.accessToken, c.appointmentId, c.slotIds[2]!)).status).toBe(404);
    expect(await storedAppointment(t, c.appointmentId)).toMatchObject({
      slotId: c.slotId,
      status: 'confirmed',
    });
  });

  test(`at most MAX_RESCHEDULES (2) moves, until RESCHEDULE_CUTOFF_HOURS (2) before; an unpaid hold: 409`, async () => {
    const c = await confirmedAppointment(t, fake, 'hybrid', 30_000, { slots: 4 });
    expect((await reschedule(c.patient.accessToken, c.appointmentId, c.slotIds[1]!)).status).toBe(200);
    expect((await reschedule(c.patient.accessToken, c.appointmentId, c.slotIds[2]!)).status).toBe(200);
    const third = await reschedule(c.patient.accessToken, c.appointmentId, c.slotIds[3]!);
    expect(third.status).toBe(409);
    expect(third.body.error).toMatchObject({
      code: 'APPOINTMENT_NOT_RESCHEDULABLE',
      details: { status: 'confirmed' },
    });

    const d = await confirmedAppointment(t, fake, 'wallet', 30_000, { slots: 2 });
    t.clock.set(new Date(d.startsAt.getTime() - HOUR));
    const late = await reschedule(d.patient.accessToken, d.appointmentId, d.slotIds[1]!);
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('APPOINTMENT_NOT_RESCHEDULABLE');

    const doctor = await approvedDoctor(t, { consultationFeePaise: 10_000 });
    const slots = await publishSlots(t, doctor, hourFromNow(t, 2), 2);
    const patient = await createUser(t, { role: 'patient' });
    const unpaid = await hold(t, patient, slots[0]!);
    const res = await reschedule(patient.accessToken, unpaid.body.appointment.id, slots[1]!);
    expect(res.status).toBe(409);
    expect(res.body.error.details).toEqual({ status: 'pending_payment' });
  });

  test("the doctor's fee changed since: the paid amount stands, nothing is charged or refunded", async () => {
    const c = await confirmedAppointment(t, fake, 'razorpay', 20_000, { slots: 2 });
    const patched = await t.call('PATCH', '/api/v1/me', {
      token: c.doctor.accessToken,
      body: { consultationFeePaise: 90_000 },
    });
    expect(patched.status).toBe(200);
    const before = await storedPayment(t, c.paymentId);
    const res = await reschedule(c.patient.accessToken, c.appointmentId, c.slotIds[1]!);
    expect(res.status).toBe(200);
    expect(res.body.appointment.feePaise).toBe(20_000);
    expect(await storedPayment(t, c.paymentId)).toEqual(before);
  });

  test('the same Idempotency-Key replays the first answer and moves once', async () => {
    const c = await confirmedAppointment(t, fake, 'wallet', 20_000, { slots: 3 });
    const headers = { 'idempotency-key': crypto.randomUUID() };
    const first = await reschedule(c.patient.accessToken, c.appointmentId, c.slotIds[1]!, headers);
    const again = await reschedule(c.patient.accessToken, c.appointmentId, c.slotIds[1]!, headers);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await storedAppointment(t, c.appointmentId)).reschedules).toBe(1);
  });

  test('50 patients race into one slot: exactly one wins, the 49 others keep their original slots', async () => {
    const doctor = await approvedDoctor(t, { consultationFeePaise: 10_000 });
    const slotIds = await publishSlots(t, doctor, hourFromNow(t, 2), 51);
    const people = await patients(t, 50);
    const booked: string[] = [];
    for (const [i, patient] of people.entries()) {
      await fundWallet(t, fake, patient, 10_000);
      const held = await hold(t, patient, slotIds[i]!);
      await pay(t, fake, patient, held.body.appointment.id, 'wallet');
      booked.push(held.body.appointment.id);
    }
    const target = slotIds[50]!;
    const results = await Promise.all(
      people.map((patient, i) => reschedule(patient.accessToken, booked[i]!, target)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 200);
    expect(losers).toHaveLength(49);
    for (const r of losers) expect(r.body.error.code).toBe('SLOT_UNAVAILABLE');
    const winner = results.findIndex((r) => r.status === 200);
    for (const [i, id] of booked.entries()) {
      const appointment = await storedAppointment(t, id);
      expect(appointment.status).toBe('confirmed');
      expect(appointment.slotId).toBe(i === winner ? target : slotIds[i]!);
      expect((await storedSlot(t, slotIds[i]!)).status).toBe(i === winner ? 'open' : 'booked');
    }
    expect(await storedSlot(t, target)).toMatchObject({ status: 'booked', heldBy: booked[winner] });
  });
});

test('the OpenAPI document has the new routes, the invite as text/calendar', async () => {
  const doc = (await t.call('GET', '/api-docs/json')).body;
  const ics = doc.paths['/api/v1/appointments/{id}/calendar.ics'].get;
  expect(Object.keys(ics.responses['200'].content)).toEqual(['text/calendar']);
  expect(Object.keys(ics.responses)).toEqual(expect.arrayContaining(['200', '401', '404', '422']));
  const reschedule = doc.paths['/api/v1/appointments/{id}/reschedule'].post;
  expect(Object.keys(reschedule.responses)).toEqual(expect.arrayContaining(['200', '404', '409', '422']));
  for (const path of ['/api/v1/refunds/{id}', '/api/v1/admin/refunds'])
    expect(doc.paths[path].get).toBeDefined();
  expect(doc.paths['/api/v1/admin/refunds/{id}/retry'].post).toBeDefined();
});
