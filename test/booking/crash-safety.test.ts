import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppointmentDoc } from '../../src/modules/appointments/appointments.model.ts';
import { AppointmentsRepository } from '../../src/modules/appointments/appointments.repository.ts';
import { AppointmentsService } from '../../src/modules/appointments/appointments.service.ts';
import type { TestApp } from '../support/app.ts';
import {
  appointmentsOnSlot,
  approvedDoctor,
  buildBookingApp,
  expectConsistent,
  hold,
  hourFromNow,
  MINUTE,
  patients,
  publishSlots,
  storedAppointment,
  storedSlot,
} from '../support/booking.ts';
import type { CreatedUser } from '../support/factories.ts';

class InsertFails extends AppointmentsRepository {
  override async insert(): Promise<AppointmentDoc> {
    throw new Error('simulated crash at the appointment insert');
  }
}

/** The app's hold path, except that the appointment insert fails after the slot has been claimed. */
const failingHold = (t: TestApp) => {
  const c = t.container;
  return new AppointmentsService(
    c.store,
    new InsertFails(c.store),
    c.slotsRepo,
    c.usersRepo,
    c.clock,
    c.logger,
    {
      holdSeconds: c.config.BOOKING_HOLD_SECONDS,
      maxHoldsPerPatient: c.config.MAX_HOLDS_PER_PATIENT,
    },
  );
};

describe('a hold whose appointment insert fails leaves the store as it was', () => {
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

  test('on an open slot: the claim is rolled back, not undone by a later write', async () => {
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 1), 1);
    const before = await storedSlot(t, slotId!);
    t.clock.advance(MINUTE);

    await expect(failingHold(t).hold(alice.user.id, { slotId: slotId! })).rejects.toThrow('simulated crash');
    // The very document that was there (updatedAt included): no claim was ever visible.
    expect(await storedSlot(t, slotId!)).toEqual(before);
    expect(await appointmentsOnSlot(t, slotId!)).toEqual([]);
    expect((await hold(t, bob, slotId!)).status).toBe(201);
    await expectConsistent(t, [slotId!]);
  });

  test('on a lapsed hold: the previous holder is not expired either', async () => {
    const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 2), 1);
    const first = await hold(t, alice, slotId!);
    expect(first.status).toBe(201);
    t.clock.advance(t.container.config.BOOKING_HOLD_SECONDS * 1000 + 1000);
    const slotBefore = await storedSlot(t, slotId!);
    const holderBefore = await storedAppointment(t, first.body.appointment.id);

    await expect(failingHold(t).hold(bob.user.id, { slotId: slotId! })).rejects.toThrow('simulated crash');
    expect(await storedSlot(t, slotId!)).toEqual(slotBefore);
    expect(await storedAppointment(t, first.body.appointment.id)).toEqual(holderBefore);
    expect(holderBefore.status).toBe('pending_payment');
    expect(t.logger.lines.some((line) => line.msg === 'hold expired' && line.by === 'claim')).toBe(false);

    const second = await hold(t, bob, slotId!);
    expect(second.status).toBe(201);
    expect((await storedAppointment(t, first.body.appointment.id)).status).toBe('expired');
    await expectConsistent(t, [slotId!]);
  });
});

describe('kill -9 between the claim and the insert', () => {
  const CHILD = join(import.meta.dir, '../support/hold-then-crash.ts');
  const dir = mkdtempSync(join(tmpdir(), 'hv-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the SQLite file store comes back with the slot open and no appointment', async () => {
    const databaseUrl = `sqlite:${join(dir, 'healthvision.sqlite')}`;
    const first = await buildBookingApp({ DATABASE_URL: databaseUrl });
    const doctor = await approvedDoctor(first);
    const [patient] = await patients(first, 1);
    const [slotId] = await publishSlots(first, doctor, hourFromNow(first, 1), 1);
    const before = await storedSlot(first, slotId!);
    await first.close();

    const child = Bun.spawn([process.execPath, CHILD, dir, databaseUrl, patient!.user.id, slotId!], {
      stdout: 'ignore',
      stderr: 'pipe',
    });
    await child.exited;
    // Killed at the insert, so the claim had been made (a refused hold would exit with an error).
    expect({ signal: child.signalCode, stderr: await new Response(child.stderr).text() }).toEqual({
      signal: 'SIGKILL',
      stderr: '',
    });

    const reopened = await buildBookingApp({ DATABASE_URL: databaseUrl });
    try {
      expect(await storedSlot(reopened, slotId!)).toEqual(before);
      expect(await appointmentsOnSlot(reopened, slotId!)).toEqual([]);
      const res = await hold(reopened, patient!, slotId!);
      expect(res.status).toBe(201);
      expect((await storedSlot(reopened, slotId!)).heldBy).toBe(res.body.appointment.id);
    } finally {
      await reopened.close();
    }
  });
});
