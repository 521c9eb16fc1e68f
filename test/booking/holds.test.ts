import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Appointments } from '../../src/modules/appointments/appointments.model.ts';
import { Slots } from '../../src/modules/slots/slots.model.ts';
import type { TestApp } from '../support/app.ts';
import {
  appointmentsOnSlot,
  approvedDoctor,
  buildBookingApp,
  hold,
  holdWithSlowReads,
  hourFromNow,
  patients,
  publishSlots,
  storedAppointment,
  storedSlot,
} from '../support/booking.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';

let t: TestApp;
let doctor: CreatedUser;
beforeAll(async () => {
  t = await buildBookingApp();
  doctor = await approvedDoctor(t, { consultationFeePaise: 75_000 });
});
afterAll(() => t.close());

describe('holding a slot', () => {
  test('201 pending_payment with the fee from the server; the slot is held by it', async () => {
    const [patient] = await patients(t, 1);
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 1), 1);
    const res = await t.call('POST', '/api/v1/appointments', {
      token: patient!.accessToken,
      // Price, status and ownership sent by the client are dropped.
      body: {
        slotId,
        reason: 'Persistent cough',
        feePaise: 1,
        status: 'confirmed',
        patientId: doctor.user.id,
        holdExpiresAt: '2099-01-01T00:00:00Z',
      },
    });
    expect(res.status).toBe(201);
    const appointment = res.body.appointment;
    expect(appointment).toMatchObject({
      patientId: patient!.user.id,
      doctorId: doctor.user.id,
      slotId,
      status: 'pending_payment',
      feePaise: 75_000,
      reason: 'Persistent cough',
      holdExpiresAt: new Date(t.clock.now().getTime() + 900_000).toISOString(),
    });

    const stored = await storedAppointment(t, appointment.id);
    expect(stored).toMatchObject({
      status: 'pending_payment',
      feePaise: 75_000,
      patientId: patient!.user.id,
    });
    expect(stored.holdExpiresAt).toEqual(new Date(appointment.holdExpiresAt));
    const slot = await storedSlot(t, slotId!);
    expect(slot).toMatchObject({ status: 'held', heldBy: appointment.id });
    expect(stored.startsAt).toEqual(slot.startsAt);
  });

  test('the fee is the one at hold time: a later fee change does not touch an existing hold', async () => {
    const [patient] = await patients(t, 1);
    const feeDoctor = await approvedDoctor(t, { consultationFeePaise: 40_000 });
    const [a, b] = await publishSlots(t, feeDoctor, hourFromNow(t, 2), 2);
    const before = await hold(t, patient!, a!);
    const patch = await t.call('PATCH', '/api/v1/me', {
      token: feeDoctor.accessToken,
      body: { consultationFeePaise: 90_000 },
    });
    expect(patch.status).toBe(200);
    const after = await hold(t, patient!, b!);
    expect(before.body.appointment.feePaise).toBe(40_000);
    expect(after.body.appointment.feePaise).toBe(90_000);
    expect((await storedAppointment(t, before.body.appointment.id)).feePaise).toBe(40_000);
  });

  test('a held slot is 409 SLOT_UNAVAILABLE for anyone else, and for the same patient', async () => {
    const [p1, p2] = await patients(t, 2);
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 3), 1);
    const first = await hold(t, p1!, slotId!);
    for (const patient of [p2!, p1!]) {
      const res = await hold(t, patient, slotId!);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('SLOT_UNAVAILABLE');
    }
    expect((await appointmentsOnSlot(t, slotId!)).map((a) => a._id)).toEqual([first.body.appointment.id]);
  });

  test('unknown slot 404; malformed slot id 422; a slot that started 409; nothing stored', async () => {
    const [patient] = await patients(t, 1);
    const unknown = await hold(t, patient!, Bun.randomUUIDv7());
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('SLOT_NOT_FOUND');
    const malformed = await hold(t, patient!, 'not-an-id');
    expect(malformed.status).toBe(422);
    expect(malformed.body.error.details.issues[0].path).toBe('slotId');
    const missing = await t.call('POST', '/api/v1/appointments', { token: patient!.accessToken, body: {} });
    expect(missing.status).toBe(422);

    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 4), 1);
    const slot = await storedSlot(t, slotId!);
    const saved = t.clock.now();
    t.clock.set(slot.startsAt);
    const started = await hold(t, patient!, slotId!);
    t.clock.set(saved);
    expect(started.status).toBe(409);
    expect(started.body.error.code).toBe('SLOT_UNAVAILABLE');
    expect(await t.container.store.collection(Appointments).count({ patientId: patient!.user.id })).toBe(0);
    expect((await storedSlot(t, slotId!)).status).toBe('open');
  });

  test('a slot of a doctor who is not approved is not bookable', async () => {
    const [patient] = await patients(t, 1);
    const pending = await createUser(t, { role: 'doctor' });
    const start = hourFromNow(t, 5);
    const inserted = await t.container.slotsRepo.insertMany([
      {
        doctorId: pending.user.id,
        startsAt: start,
        endsAt: new Date(start.getTime() + 1_800_000),
        status: 'open',
        createdAt: t.clock.now(),
        updatedAt: t.clock.now(),
      },
    ]);
    const res = await hold(t, patient!, inserted[0]!._id);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SLOT_UNAVAILABLE');
    expect((await storedSlot(t, inserted[0]!._id)).status).toBe('open');
  });
});

describe('at most 3 unpaid holds per patient', () => {
  test('the 4th is 409 TOO_MANY_HOLDS until one is cancelled or lapses', async () => {
    const [patient] = await patients(t, 1);
    const slotIds = await publishSlots(t, doctor, hourFromNow(t, 6), 6);
    for (const slotId of slotIds.slice(0, 3)) expect((await hold(t, patient!, slotId)).status).toBe(201);
    const fourth = await hold(t, patient!, slotIds[3]!);
    expect(fourth.status).toBe(409);
    expect(fourth.body.error.code).toBe('TOO_MANY_HOLDS');
    expect((await storedSlot(t, slotIds[3]!)).status).toBe('open');

    const [firstId] = (
      await t.container.store.collection(Appointments).findAll({ patientId: patient!.user.id })
    ).map((a) => a._id);
    const cancel = await t.call('POST', `/api/v1/appointments/${firstId}/cancel`, {
      token: patient!.accessToken,
    });
    expect(cancel.status).toBe(200);
    expect((await hold(t, patient!, slotIds[3]!)).status).toBe(201);
    expect((await hold(t, patient!, slotIds[4]!)).body.error.code).toBe('TOO_MANY_HOLDS');

    // Lapsed holds stop counting at once, before the sweeper.
    t.clock.advance(901_000);
    expect((await hold(t, patient!, slotIds[4]!)).status).toBe(201);
  });

  test('concurrent holds by one patient make exactly 3, never more', async () => {
    const [patient] = await patients(t, 1);
    const slotIds = await publishSlots(t, doctor, hourFromNow(t, 8), 12);
    expect((await hold(t, patient!, slotIds[0]!)).status).toBe(201);
    const results = await Promise.all(slotIds.slice(1).map((slotId) => hold(t, patient!, slotId)));
    const created = results.filter((r) => r.status === 201).length;
    // Exactly: the limit is counted inside each hold's transaction, so the holds fill it, never more.
    expect(created).toBe(2);
    expect(results.filter((r) => r.status !== 201).every((r) => r.body.error.code === 'TOO_MANY_HOLDS')).toBe(
      true,
    );
    const live = await t.container.appointmentsRepo.countLiveHolds(patient!.user.id, t.clock.now());
    expect(live).toBe(1 + created);
    // Each placed hold took the patient's hold lock; a refused one's write rolled back with its transaction.
    const user = await t.container.usersRepo.findById(patient!.user.id);
    expect(user?.holdRevision).toBe(1 + created);
    const me = await t.call('GET', '/api/v1/me', { token: patient!.accessToken });
    expect(JSON.stringify(me.body)).not.toContain('holdRevision');
    // Slots of refused holds were handed back.
    const held = await t.container.store.collection(Slots).count({ _id: { $in: slotIds }, status: 'held' });
    expect(held).toBe(live);
  });

  test('even when every check runs before any hold is written, one patient ends with exactly 3', async () => {
    const holdSlowly = holdWithSlowReads(t);
    const [patient] = await patients(t, 1);
    const slotIds = await publishSlots(t, doctor, hourFromNow(t, 11), 8);
    const results = await Promise.all(slotIds.map((slotId) => holdSlowly(patient!, slotId)));
    const created = results.filter((r) => r.status === 201).length;
    expect(created).toBe(3);
    expect(results.filter((r) => r.status !== 201).every((r) => r.body.error.code === 'TOO_MANY_HOLDS')).toBe(
      true,
    );
    expect(await t.container.appointmentsRepo.countLiveHolds(patient!.user.id, t.clock.now())).toBe(created);
    expect(await t.container.store.collection(Appointments).count({ patientId: patient!.user.id })).toBe(
      created,
    );
    const held = await t.container.store.collection(Slots).count({ _id: { $in: slotIds }, status: 'held' });
    expect(held).toBe(created);
  });
});

describe('cancelling an unpaid hold', () => {
  test('its patient cancels: cancelled, the slot reopens at once and another patient can hold it', async () => {
    const [p1, p2] = await patients(t, 2);
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 9), 1);
    const held = await hold(t, p1!, slotId!);
    const id = held.body.appointment.id;

    const res = await t.call('POST', `/api/v1/appointments/${id}/cancel`, { token: p1!.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.appointment).toMatchObject({
      id,
      status: 'cancelled',
      cancelledAt: t.clock.now().toISOString(),
    });
    expect((await storedAppointment(t, id)).status).toBe('cancelled');
    const slot = await storedSlot(t, slotId!);
    expect(slot.status).toBe('open');
    expect(slot.heldBy).toBeUndefined();
    expect((await hold(t, p2!, slotId!)).status).toBe(201);

    const again = await t.call('POST', `/api/v1/appointments/${id}/cancel`, { token: p1!.accessToken });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: 'APPOINTMENT_NOT_CANCELLABLE',
      details: { status: 'cancelled' },
    });
    // The second cancel did not release the new hold.
    expect((await storedSlot(t, slotId!)).status).toBe('held');
  });

  test('a lapsed hold the sweeper has not seen yet is expired, not cancelled, and its slot reopens', async () => {
    const [p1] = await patients(t, 1);
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 37), 1);
    const id = (await hold(t, p1!, slotId!)).body.appointment.id;
    t.clock.advance(t.container.config.BOOKING_HOLD_SECONDS * 1000 + 1000);

    const res = await t.call('POST', `/api/v1/appointments/${id}/cancel`, { token: p1!.accessToken });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'APPOINTMENT_NOT_CANCELLABLE',
      details: { status: 'expired' },
    });
    const stored = await storedAppointment(t, id);
    expect(stored.status).toBe('expired');
    expect(stored.cancelledAt).toBeUndefined();
    expect((await storedSlot(t, slotId!)).status).toBe('open');
  });

  test('cancel of an unknown or malformed id', async () => {
    const [patient] = await patients(t, 1);
    const unknown = await t.call('POST', `/api/v1/appointments/${Bun.randomUUIDv7()}/cancel`, {
      token: patient!.accessToken,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('APPOINTMENT_NOT_FOUND');
    const malformed = await t.call('POST', '/api/v1/appointments/xyz/cancel', {
      token: patient!.accessToken,
    });
    expect(malformed.status).toBe(422);
  });
});

describe('listing appointments', () => {
  test('a patient sees their own, a doctor those with them; status filter; newest first; pages', async () => {
    const listDoctor = await approvedDoctor(t);
    const [p1, p2] = await patients(t, 2);
    const slotIds = await publishSlots(t, listDoctor, hourFromNow(t, 10), 4);
    const ids: string[] = [];
    for (const [i, slotId] of slotIds.entries()) {
      const res = await hold(t, i < 2 ? p1! : p2!, slotId);
      ids.push(res.body.appointment.id);
    }
    await t.call('POST', `/api/v1/appointments/${ids[0]}/cancel`, { token: p1!.accessToken });

    const mine = await t.call('GET', '/api/v1/appointments', { token: p1!.accessToken });
    console.log(
      ids,
      JSON.stringify(mine.body),
      await t.container.store.collection(Appointments).findAll({ patientId: p1!.user.id }),
    );
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((a: { id: string }) => a.id)).toEqual([ids[1], ids[0]]);
    const cancelled = await t.call('GET', '/api/v1/appointments?status=cancelled', {
      token: p1!.accessToken,
    });
    expect(cancelled.body.items.map((a: { id: string }) => a.id)).toEqual([ids[0]]);

    const theirs = await t.call('GET', '/api/v1/appointments?limit=3', { token: listDoctor.accessToken });
    expect(theirs.body.items.map((a: { id: string }) => a.id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(theirs.body.nextCursor).toEqual(expect.any(String));
    const rest = await t.call(
      'GET',
      `/api/v1/appointments?limit=3&cursor=${encodeURIComponent(theirs.body.nextCursor)}`,
      { token: listDoctor.accessToken },
    );
    expect(rest.body.items.map((a: { id: string }) => a.id)).toEqual([ids[0]]);
    expect(rest.body.nextCursor).toBeNull();
  });

  test('bad cursor, bad status and an over-cap limit are 422', async () => {
    const [patient] = await patients(t, 1);
    for (const query of ['cursor=garbage!', 'cursor=eyJzIjoieCJ9', 'status=paid', 'limit=101', 'limit=0']) {
      const res = await t.call('GET', `/api/v1/appointments?${query}`, { token: patient!.accessToken });
      expect(res.status).toBe(422);
    }
  });
});
