import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { TestApp } from '../support/app.ts';
import {
  appointmentsOnSlot,
  approvedDoctor,
  buildBookingApp,
  expectConsistent,
  expiryLines,
  HOUR,
  hold,
  holdWithSlowReads,
  hourFromNow,
  patients,
  publishSlots,
  storedAppointment,
  storedSlot,
} from '../support/booking.ts';
import type { CreatedUser } from '../support/factories.ts';

let t: TestApp;
let crowd: CreatedUser[];
beforeAll(async () => {
  t = await buildBookingApp();
  crowd = await patients(t, 50);
});
afterAll(() => t.close());

const codes = (results: { status: number; body: { error?: { code: string } } }[]) => ({
  created: results.filter((r) => r.status === 201).length,
  unavailable: results.filter((r) => r.status === 409 && r.body.error?.code === 'SLOT_UNAVAILABLE').length,
});

describe('no double booking, ever', () => {
  test('50 concurrent holds on one slot: exactly one 201 and 49 x 409 SLOT_UNAVAILABLE', async () => {
    const doctor = await approvedDoctor(t);
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 1), 1);

    const results = await Promise.all(crowd.map((patient) => hold(t, patient, slotId!)));
    expect(codes(results)).toEqual({ created: 1, unavailable: 49 });

    const winner = results.find((r) => r.status === 201)!.body.appointment;
    const stored = await appointmentsOnSlot(t, slotId!);
    expect(stored.map((a) => a._id)).toEqual([winner.id]);
    expect(stored[0]!.status).toBe('pending_payment');
    const slot = await storedSlot(t, slotId!);
    expect(slot.status).toBe('held');
    expect(slot.heldBy).toBe(winner.id);
    expect(slot.holdExpiresAt).toEqual(new Date(winner.holdExpiresAt));
  });

  test('50 concurrent holds that all read the slot as open before anyone writes: still exactly one 201', async () => {
    const holdSlowly = holdWithSlowReads(t);
    const doctor = await approvedDoctor(t);
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 6), 1);
    const results = await Promise.all(crowd.map((patient) => holdSlowly(patient, slotId!)));
    expect(codes(results)).toEqual({ created: 1, unavailable: 49 });
    expect((await appointmentsOnSlot(t, slotId!)).length).toBe(1);

    t.clock.advance(t.container.config.BOOKING_HOLD_SECONDS * 1000 + 1000);
    const again = await Promise.all(crowd.map((patient) => holdSlowly(patient, slotId!)));
    expect(codes(again)).toEqual({ created: 1, unavailable: 49 });
    const stored = await appointmentsOnSlot(t, slotId!);
    expect(stored.map((a) => a.status).sort()).toEqual(['expired', 'pending_payment']);
    expect(expiryLines(t, stored.find((a) => a.status === 'expired')!._id)).toBe(1);
    await expectConsistent(t, [slotId!]);
  });

  test('when the hold lapses, 49 concurrent re-claims again give exactly one 201; the old hold expires once', async () => {
    const doctor = await approvedDoctor(t);
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 2), 1);
    const [first, ...others] = crowd;
    const firstHold = await hold(t, first!, slotId!);
    expect(firstHold.status).toBe(201);
    const firstId = firstHold.body.appointment.id;

    t.clock.set(new Date(new Date(firstHold.body.appointment.holdExpiresAt).getTime() + 1000));
    const results = await Promise.all(others.map((patient) => hold(t, patient, slotId!)));
    expect(codes(results)).toEqual({ created: 1, unavailable: 48 });

    const secondId = results.find((r) => r.status === 201)!.body.appointment.id;
    expect((await storedAppointment(t, firstId)).status).toBe('expired');
    expect(expiryLines(t, firstId)).toBe(1);
    const active = (await appointmentsOnSlot(t, slotId!)).filter((a) => a.status === 'pending_payment');
    expect(active.map((a) => a._id)).toEqual([secondId]);
    expect((await storedSlot(t, slotId!)).heldBy).toBe(secondId);

    // A sweeper run afterwards leaves that slot alone: the old hold is not expired twice.
    await t.container.appointments.expireLapsedHolds();
    expect(expiryLines(t, firstId)).toBe(1);
    expect((await storedAppointment(t, secondId)).status).toBe('pending_payment');
    await expectConsistent(t, [slotId!]);
  });

  test('sweepers on several instances racing re-claims: every lapsed hold expires exactly once, no slot is double booked', async () => {
    const doctor = await approvedDoctor(t);
    // Fresh holders: a crowd member may still hold the slot it won in an earlier race (its limit is 3).
    const holders = await patients(t, 3);
    const expiredBy = { sweeper: 0, claim: 0 };
    // Each round starts the sweepers a few ticks later, so both orders (sweeper first, claimer first) occur.
    for (const [round, delayTicks] of [0, 1, 3, 6, 12, 25].entries()) {
      const slotIds = await publishSlots(t, doctor, plusHours(hourFromNow(t, 10), round * 6), 8);
      const firstHolds: string[] = [];
      for (const [i, slotId] of slotIds.entries()) {
        const res = await hold(t, holders[Math.floor(i / 3)]!, slotId);
        expect(res.status).toBe(201);
        firstHolds.push(res.body.appointment.id);
      }
      t.clock.advance(t.container.config.BOOKING_HOLD_SECONDS * 1000 + 1000);

      // Three sweeper runs (think three instances) interleaved with four claimers per slot.
      const claims = slotIds.flatMap((slotId, i) =>
        Array.from({ length: 4 }, (_, k) => hold(t, crowd[20 + ((i * 4 + k) % 30)]!, slotId)),
      );
      const sweeps = (async () => {
        for (let tick = 0; tick < delayTicks; tick++) await new Promise((resolve) => setImmediate(resolve));
        return Promise.all(Array.from({ length: 3 }, () => t.container.appointments.expireLapsedHolds()));
      })();
      const [claimResults] = await Promise.all([Promise.all(claims), sweeps]);
      expect(claimResults.every((r) => r.status === 201 || r.status === 409)).toBe(true);

      for (const id of firstHolds) {
        expect((await storedAppointment(t, id)).status).toBe('expired');
        expect(expiryLines(t, id)).toBe(1);
        const line = t.logger.lines.find((l) => l.msg === 'hold expired' && l.appointmentId === id)!;
        expiredBy[line.by as 'sweeper' | 'claim']++;
      }
      for (const slotId of slotIds) {
        const live = (await appointmentsOnSlot(t, slotId)).filter((a) => a.status === 'pending_payment');
        expect(live.length).toBeLessThanOrEqual(1);
        const slot = await storedSlot(t, slotId);
        // Either a claimer holds it, or it is open again (or still marked held by a lapsed hold, claimable).
        if (live.length === 1) expect(slot.heldBy).toBe(live[0]!._id);
        else expect(slot.status === 'open' || slot.holdExpiresAt! <= t.clock.now()).toBe(true);
      }
      await expectConsistent(t, slotIds);
    }
    expect(expiredBy.sweeper).toBeGreaterThan(0);
    expect(expiredBy.claim).toBeGreaterThan(0);
  });

  test('a slot reopened by the sweeper is claimed by exactly one of many', async () => {
    const doctor = await approvedDoctor(t);
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 4), 1);
    const first = await hold(t, crowd[0]!, slotId!);
    t.clock.advance(t.container.config.BOOKING_HOLD_SECONDS * 1000 + 1000);
    expect((await t.container.appointments.expireLapsedHolds()).expired).toBeGreaterThanOrEqual(1);
    expect((await storedSlot(t, slotId!)).status).toBe('open');
    expect(expiryLines(t, first.body.appointment.id)).toBe(1);

    const results = await Promise.all(crowd.slice(1, 40).map((patient) => hold(t, patient, slotId!)));
    expect(codes(results)).toEqual({ created: 1, unavailable: 38 });
    await expectConsistent(t, [slotId!]);
  });
});

test('the store itself refuses a second active appointment on a slot', async () => {
  const doctor = await approvedDoctor(t);
  const [slotId] = await publishSlots(t, doctor, plusHours(hourFromNow(t, 5), 1), 1);
  const res = await hold(t, crowd[45]!, slotId!);
  expect(res.status).toBe(201);
  const existing = await storedAppointment(t, res.body.appointment.id);
  // Bypassing the service: the partial unique index alone says no, and the repository names it.
  await expect(
    t.container.appointmentsRepo.insert({ ...existing, _id: undefined, patientId: crowd[46]!.user.id }),
  ).rejects.toMatchObject({ status: 409, code: 'SLOT_UNAVAILABLE' });
  // A finished appointment does not count.
  await t.container.appointmentsRepo.insert({
    ...existing,
    _id: undefined,
    patientId: crowd[46]!.user.id,
    status: 'expired',
  });
  expect((await appointmentsOnSlot(t, slotId!)).map((a) => [a.status, a.active])).toEqual([
    ['pending_payment', true],
    ['expired', undefined],
  ]);
});

const plusHours = (date: Date, hours: number) => new Date(date.getTime() + hours * HOUR);
