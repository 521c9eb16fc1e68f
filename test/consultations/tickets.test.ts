import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { createHash, createHmac } from 'node:crypto';
import { CallTickets } from '../../src/modules/consultations/consultations.model.ts';
import type { ManualClock } from '../../src/shared/clock.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { hold, MINUTE, publishSlots } from '../support/booking.ts';
import { CALL_TEST_ENV, confirmedCall, ticketFor } from '../support/calls.ts';
import { createUser } from '../support/factories.ts';

// One app per test: each moves the clock to its own appointment.
let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp(CALL_TEST_ENV);
});
afterEach(() => t.close());

describe('POST /api/v1/consultations/:appointmentId/ticket', () => {
  test('gives its patient and its doctor a random single-use ticket, stored only as its hash', async () => {
    const call = await confirmedCall(t);
    const patient = await ticketFor(t, call.patient, call.appointmentId);
    const doctor = await ticketFor(t, call.doctor, call.appointmentId);
    expect(patient.status).toBe(201);
    expect(doctor.status).toBe(201);
    expect(patient.body).toEqual({
      ticket: expect.stringMatching(/^hvct_[A-Za-z0-9_-]{43}$/),
      expiresInSeconds: 60,
      wsUrl: 'ws://localhost/ws/signaling',
      iceServers: [],
    });
    expect(doctor.body.ticket).not.toBe(patient.body.ticket);
    const hash = createHash('sha256').update(patient.body.ticket).digest('hex');
    const stored = await t.container.store.collection(CallTickets).findById(hash);
    expect(stored).toMatchObject({
      userId: call.patient.user.id,
      role: 'patient',
      appointmentId: call.appointmentId,
      expiresAt: new Date(t.clock.now().getTime() + 60_000),
    });
    expect(JSON.stringify(stored)).not.toContain(patient.body.ticket);
    const all = await t.container.store
      .collection(CallTickets)
      .findAll({ appointmentId: call.appointmentId });
    expect(all.map((ticket) => ticket.role).sort()).toEqual(['doctor', 'patient']);
  });

  test('outside the window: 409 CALL_NOT_OPEN with opensAt and closedAt, and no ticket', async () => {
    const call = await confirmedCall(t);
    const opensAt = new Date(call.startsAt.getTime() - 10 * MINUTE).toISOString();
    const closedAt = new Date(call.endsAt.getTime() + 30 * MINUTE).toISOString();
    const clock = t.clock as ManualClock;
    const at = async (time: number) => {
      clock.set(new Date(time));
      return ticketFor(t, call.patient, call.appointmentId);
    };
    for (const time of [call.startsAt.getTime() - 10 * MINUTE - 1, call.endsAt.getTime() + 30 * MINUTE]) {
      const res = await at(time);
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'CALL_NOT_OPEN', details: { opensAt, closedAt } });
    }
    expect((await at(call.startsAt.getTime() - 10 * MINUTE)).status).toBe(201);
    expect((await at(call.endsAt.getTime() + 30 * MINUTE - 1)).status).toBe(201);
    const stored = await t.container.store
      .collection(CallTickets)
      .count({ appointmentId: call.appointmentId });
    expect(stored).toBe(2);
  });

  test("someone else's appointment is 404; an admin cannot join (403); an unpaid hold has no call", async () => {
    const call = await confirmedCall(t);
    const stranger = await createUser(t, { role: 'patient' });
    const res = await ticketFor(t, stranger, call.appointmentId);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('APPOINTMENT_NOT_FOUND');
    const admin = await createUser(t, { role: 'admin' });
    expect((await ticketFor(t, admin, call.appointmentId)).body.error.code).toBe('FORBIDDEN');

    const [slotId] = await publishSlots(t, call.doctor, call.endsAt, 1);
    const held = await hold(t, call.patient, slotId!);
    expect(held.status).toBe(201);
    const unpaid = await ticketFor(t, call.patient, held.body.appointment.id);
    expect(unpaid.status).toBe(409);
    expect(unpaid.body.error).toMatchObject({
      code: 'APPOINTMENT_NOT_CONFIRMED',
      details: { status: 'pending_payment' },
    });
    const issued = t.container.store
      .collection(CallTickets)
      .count({ appointmentId: held.body.appointment.id });
    expect(await issued).toBe(0);
  });
});

describe('ICE servers', () => {
  test('STUN entries, and TURN with coturn REST credentials: <expiry>:<userId>, base64 HMAC-SHA1', async () => {
    const turned = await buildTestApp({
      ...CALL_TEST_ENV,
      STUN_URLS: 'stun:stun.example.org:3478, stun:stun2.example.org',
      TURN_URLS: 'turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349',
      TURN_SECRET: 'coturn-static-auth-secret',
      TURN_TTL_SECONDS: '600',
    });
    try {
      const call = await confirmedCall(turned);
      const res = await ticketFor(turned, call.doctor, call.appointmentId);
      expect(res.status).toBe(201);
      const expiry = Math.floor(turned.clock.now().getTime() / 1000) + 600;
      const username = `${expiry}:${call.doctor.user.id}`;
      expect(res.body.iceServers).toEqual([
        { urls: ['stun:stun.example.org:3478', 'stun:stun2.example.org'] },
        {
          urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
          username,
          credential: createHmac('sha1', 'coturn-static-auth-secret').update(username).digest('base64'),
        },
      ]);
    } finally {
      await turned.close();
    }
  });

  test('TURN_URLS without TURN_SECRET is a configuration error', async () => {
    await expect(buildTestApp({ TURN_URLS: 'turn:turn.example.org' })).rejects.toThrow(
      'TURN_URLS / TURN_SECRET: set both or neither',
    );
  });
});
