import { expect } from 'bun:test';
import { createApp } from '../../src/app.ts';
import type { ContainerOverrides } from '../../src/container.ts';
import { type AppointmentDoc, Appointments } from '../../src/modules/appointments/appointments.model.ts';
import { AppointmentsRepository } from '../../src/modules/appointments/appointments.repository.ts';
import { AppointmentsService } from '../../src/modules/appointments/appointments.service.ts';
import { type SlotDoc, Slots } from '../../src/modules/slots/slots.model.ts';
import { SlotsRepository } from '../../src/modules/slots/slots.repository.ts';
import { buildTestApp, type CallResult, type TestApp } from './app.ts';
import { type CreatedUser, createUser } from './factories.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * A test app for booking: tokens outlive the clock moves these tests make (holds last 15 minutes,
 * idempotency keys 24 hours), so a moved clock never turns into a 401.
 */
export const buildBookingApp = (env: Record<string, string> = {}, overrides: ContainerOverrides = {}) =>
  buildTestApp({ ACCESS_TOKEN_TTL_SECONDS: String(30 * 24 * 3600), ...env }, overrides);

/** The next whole hour at least `days` days after the app's clock: a clean base for slot times. */
export function hourFromNow(t: TestApp, days = 1): Date {
  const at = new Date(t.clock.now().getTime() + days * DAY);
  at.setUTCMinutes(0, 0, 0);
  return new Date(at.getTime() + HOUR);
}

export const iso = (date: Date): string => date.toISOString();
export const plus = (date: Date, ms: number): Date => new Date(date.getTime() + ms);

export const approvedDoctor = (t: TestApp, doctor: Parameters<typeof createUser>[1]['doctor'] = {}) =>
  createUser(t, { role: 'doctor', approved: true, doctor });

/** `count` patients made concurrently through the real signup flow. */
export const patients = (t: TestApp, count: number): Promise<CreatedUser[]> =>
  Promise.all(Array.from({ length: count }, () => createUser(t, { role: 'patient' })));

/** Publishes back-to-back slots of `minutes` starting at `start`; returns their ids in order. */
export async function publishSlots(
  t: TestApp,
  doctor: CreatedUser,
  start: Date,
  count: number,
  minutes = 30,
): Promise<string[]> {
  const slots = Array.from({ length: count }, (_, i) => ({
    startsAt: iso(plus(start, i * minutes * MINUTE)),
    endsAt: iso(plus(start, (i + 1) * minutes * MINUTE)),
  }));
  const res = await t.call('POST', '/api/v1/doctors/me/slots', {
    token: doctor.accessToken,
    body: { slots },
  });
  expect(res.status).toBe(201);
  expect(res.body.skipped).toEqual([]);
  return res.body.created.map((slot: { id: string }) => slot.id);
}

export const hold = (
  t: TestApp,
  patient: CreatedUser,
  slotId: string,
  headers: Record<string, string> = {},
) => t.call('POST', '/api/v1/appointments', { token: patient.accessToken, body: { slotId }, headers });

export async function storedSlot(t: TestApp, id: string): Promise<SlotDoc> {
  const slot = await t.container.store.collection(Slots).findById(id);
  if (!slot) throw new Error(`slot ${id} is not stored`);
  return slot;
}

export async function storedAppointment(t: TestApp, id: string): Promise<AppointmentDoc> {
  const appointment = await t.container.store.collection(Appointments).findById(id);
  if (!appointment) throw new Error(`appointment ${id} is not stored`);
  return appointment;
}

export const appointmentsOnSlot = (t: TestApp, slotId: string): Promise<AppointmentDoc[]> =>
  t.container.store.collection(Appointments).findAll({ slotId }, { sort: { createdAt: 1 } });

/** How many times the log says this appointment's hold expired. */
export const expiryLines = (t: TestApp, appointmentId: string): number =>
  t.logger.lines.filter((line) => line.msg === 'hold expired' && line.appointmentId === appointmentId).length;

/**
 * The booking invariants, read from the store: at most one active appointment per slot; a held slot is
 * held by its one pending appointment (or by a lapsed hold); every active appointment owns its slot.
 */
export async function expectConsistent(t: TestApp, slotIds: string[]): Promise<void> {
  const now = t.clock.now();
  for (const slotId of slotIds) {
    const slot = await storedSlot(t, slotId);
    const onSlot = await appointmentsOnSlot(t, slotId);
    const active = onSlot.filter((a) => a.status === 'pending_payment' || a.status === 'confirmed');
    expect(active.length).toBeLessThanOrEqual(1);
    // The unique index selects on `active`: it must be there exactly while the status is active.
    for (const a of onSlot) expect([a.status, a.active]).toEqual([a.status, active.includes(a) || undefined]);
    const live = active.filter((a) => a.holdExpiresAt > now);
    if (live.length === 1) {
      expect(slot.status).toBe('held');
      expect(slot.heldBy).toBe(live[0]!._id);
    }
    if (slot.status === 'open') {
      expect(slot.heldBy).toBeUndefined();
      expect(live).toEqual([]);
    }
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

class SlowReadSlots extends SlotsRepository {
  override async findById(id: string) {
    const slot = await super.findById(id);
    await nextTurn();
    return slot;
  }
}

class SlowReadAppointments extends AppointmentsRepository {
  override async countLiveHolds(patientId: string, now: Date) {
    const count = await super.countLiveHolds(patientId, now);
    await nextTurn();
    return count;
  }
}

/**
 * The same app and store, with a hold path that waits a turn of the event loop after each read, so
 * concurrent holds all pass their checks before any of them writes: only the conditional writes, the
 * store's indexes and the after-the-fact verification can keep the rules.
 */
export function holdWithSlowReads(t: TestApp) {
  const c = t.container;
  const appointments = new AppointmentsService(
    c.store,
    new SlowReadAppointments(c.store),
    new SlowReadSlots(c.store),
    c.usersRepo,
    c.clock,
    c.logger,
    { holdSeconds: c.config.BOOKING_HOLD_SECONDS, maxHoldsPerPatient: c.config.MAX_HOLDS_PER_PATIENT },
  );
  const app = createApp({ ...c, appointments });
  return async (patient: CreatedUser, slotId: string): Promise<CallResult> => {
    const response = await app.handle(
      new Request('http://localhost/api/v1/appointments', {
        method: 'POST',
        headers: { authorization: `Bearer ${patient.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ slotId }),
      }),
    );
    return { status: response.status, body: await response.json(), headers: response.headers };
  };
}
