import { afterAll, beforeAll, expect, test } from 'bun:test';
import { jobSpecs } from '../../src/jobs/index.ts';
import { Appointments } from '../../src/modules/appointments/appointments.model.ts';
import type { TestApp } from '../support/app.ts';
import {
  approvedDoctor,
  buildBookingApp,
  expectConsistent,
  expiryLines,
  hold,
  hourFromNow,
  iso,
  MINUTE,
  patients,
  plus,
  publishSlots,
  storedAppointment,
  storedSlot,
} from '../support/booking.ts';
import type { CreatedUser } from '../support/factories.ts';

let t: TestApp;
let doctor: CreatedUser;
let alice: CreatedUser;
let bob: CreatedUser;
beforeAll(async () => {
  t = await buildBookingApp();
  doctor = await approvedDoctor(t);
  [alice, bob] = (await patients(t, 2)) as [CreatedUser, CreatedUser];
});
afterAll(() => t.close());

test('a hold lasts BOOKING_HOLD_SECONDS; at hold + 1 s another patient books before any sweeper runs', async () => {
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 1), 1);
  const heldAt = t.clock.now();
  const first = await hold(t, alice, slotId!);
  expect(first.status).toBe(201);
  const holdExpiresAt = new Date(first.body.appointment.holdExpiresAt);
  expect(holdExpiresAt.getTime()).toBe(heldAt.getTime() + 900 * 1000);

  t.clock.set(plus(holdExpiresAt, -1000));
  expect((await hold(t, bob, slotId!)).body.error.code).toBe('SLOT_UNAVAILABLE');
  const listed = await t.call('GET', `/api/v1/doctors/${doctor.user.id}/slots`);
  expect(listed.body.items.map((s: { id: string }) => s.id)).not.toContain(slotId);

  t.clock.set(plus(holdExpiresAt, 1000));
  // Bookable again at once, and listed as such, with no job having run.
  const relisted = await t.call('GET', `/api/v1/doctors/${doctor.user.id}/slots`);
  expect(relisted.body.items.map((s: { id: string }) => s.id)).toContain(slotId);
  const second = await hold(t, bob, slotId!);
  expect(second.status).toBe(201);

  const firstStored = await storedAppointment(t, first.body.appointment.id);
  expect(firstStored.status).toBe('expired');
  expect(firstStored.expiredAt).toEqual(t.clock.now());
  expect((await storedSlot(t, slotId!)).heldBy).toBe(second.body.appointment.id);

  // The sweeper runs afterwards: the first hold was expired exactly once, the second is untouched.
  await t.container.appointments.expireLapsedHolds();
  await t.container.appointments.expireLapsedHolds();
  expect(expiryLines(t, first.body.appointment.id)).toBe(1);
  expect((await storedAppointment(t, second.body.appointment.id)).status).toBe('pending_payment');
  await expectConsistent(t, [slotId!]);
});

test('with nobody claiming, the sweeper expires the lapsed hold once and reopens its slot', async () => {
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 2), 1);
  const res = await hold(t, alice, slotId!);
  const id = res.body.appointment.id;

  t.clock.set(plus(new Date(res.body.appointment.holdExpiresAt), -1000));
  await t.container.appointments.expireLapsedHolds();
  expect((await storedAppointment(t, id)).status).toBe('pending_payment');
  expect((await storedSlot(t, slotId!)).status).toBe('held');

  t.clock.advance(2000);
  const runs = await Promise.all([
    t.container.appointments.expireLapsedHolds(),
    t.container.appointments.expireLapsedHolds(),
  ]);
  expect(runs.reduce((sum, run) => sum + run.expired, 0)).toBeGreaterThanOrEqual(1);
  expect(expiryLines(t, id)).toBe(1);
  const stored = await storedAppointment(t, id);
  expect(stored.status).toBe('expired');
  const slot = await storedSlot(t, slotId!);
  expect(slot.status).toBe('open');
  expect(slot.heldBy).toBeUndefined();
  expect(slot.holdExpiresAt).toBeUndefined();

  // Cancelling an expired hold is refused; the patient sees it as expired.
  const cancel = await t.call('POST', `/api/v1/appointments/${id}/cancel`, { token: alice.accessToken });
  expect(cancel.status).toBe(409);
  expect(cancel.body.error).toMatchObject({
    code: 'APPOINTMENT_NOT_CANCELLABLE',
    details: { status: 'expired' },
  });
  const read = await t.call('GET', `/api/v1/appointments/${id}`, { token: alice.accessToken });
  expect(read.body.appointment.status).toBe('expired');
});

test('the sweeper reopens a slot left held by an appointment that is already over', async () => {
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 3), 1);
  const res = await hold(t, alice, slotId!);
  t.clock.advance(901 * 1000);
  // As if a process died between expiring the appointment and reopening its slot.
  await t.container.store
    .collection(Appointments)
    .updateOne({ _id: res.body.appointment.id }, { $set: { status: 'expired', expiredAt: t.clock.now() } });
  expect((await storedSlot(t, slotId!)).status).toBe('held');

  const run = await t.container.appointments.expireLapsedHolds();
  expect(run.reopened).toBeGreaterThanOrEqual(1);
  expect((await storedSlot(t, slotId!)).status).toBe('open');
});

test('a hold never outlasts the start of its slot', async () => {
  const startsAt = new Date(t.clock.now().getTime() + 10 * MINUTE);
  startsAt.setUTCSeconds(0, 0);
  const create = await t.call('POST', '/api/v1/doctors/me/slots', {
    token: doctor.accessToken,
    body: { slots: [{ startsAt: iso(startsAt), endsAt: iso(plus(startsAt, 30 * MINUTE)) }] },
  });
  const res = await hold(t, bob, create.body.created[0].id);
  expect(res.status).toBe(201);
  expect(res.body.appointment.holdExpiresAt).toBe(iso(startsAt));

  t.clock.set(startsAt);
  expect((await hold(t, alice, create.body.created[0].id)).body.error.code).toBe('SLOT_UNAVAILABLE');
});

test('the hold sweeper is a job every HOLD_SWEEP_SECONDS, next to housekeeping', async () => {
  const specs = jobSpecs(t.container);
  const sweeper = specs.find((spec) => spec.name === 'hold-sweeper')!;
  expect(sweeper.everySeconds).toBe(t.container.config.HOLD_SWEEP_SECONDS);
  expect(sweeper.everySeconds).toBe(30);
  expect(await sweeper.run()).toMatchObject({ expired: expect.any(Number), reopened: expect.any(Number) });
  expect(specs.map((spec) => spec.name)).toContain('housekeeping');
});

test('a lapsed hold reads as expired at once, before the sweeper writes it, in get, list and the status filter', async () => {
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 50), 1);
  const placed = await hold(t, alice, slotId!);
  const id: string = placed.body.appointment.id;
  const read = (path: string) => t.call('GET', path, { token: alice.accessToken });
  const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((a) => a.id);

  expect((await read(`/api/v1/appointments/${id}`)).body.appointment.status).toBe('pending_payment');
  expect(ids(await read('/api/v1/appointments?status=pending_payment'))).toContain(id);

  // The boundary, to the millisecond: pending 1 ms before holdExpiresAt, expired at it.
  const expiresAt = new Date(placed.body.appointment.holdExpiresAt);
  t.clock.set(plus(expiresAt, -1));
  expect((await read(`/api/v1/appointments/${id}`)).body.appointment.status).toBe('pending_payment');
  t.clock.set(expiresAt);
  expect((await read(`/api/v1/appointments/${id}`)).body.appointment.status).toBe('expired');

  t.clock.set(plus(new Date(placed.body.appointment.holdExpiresAt), 1000));
  const seen = (await read(`/api/v1/appointments/${id}`)).body.appointment;
  expect(seen).toMatchObject({ status: 'expired', expiredAt: placed.body.appointment.holdExpiresAt });
  expect((await storedAppointment(t, id))!.status).toBe('pending_payment');
  expect(ids(await read('/api/v1/appointments?status=pending_payment'))).not.toContain(id);
  expect(ids(await read('/api/v1/appointments?status=expired'))).toContain(id);
  const all = (await read('/api/v1/appointments')).body.items as { id: string; status: string }[];
  expect(all.find((a) => a.id === id)?.status).toBe('expired');
});
