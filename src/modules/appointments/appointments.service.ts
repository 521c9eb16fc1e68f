import type { Page, Store, Stored } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import { isApprovedDoctor } from '../doctors/doctors.model.ts';
import { isLapsed } from '../slots/slots.model.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import type { Role } from '../users/users.model.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import {
  APPOINTMENT_PAGE_DEFAULT,
  type AppointmentDoc,
  type AppointmentsQuery,
  asSeenAt,
  type HoldBody,
  isLapsedHold,
} from './appointments.model.ts';
import type { AppointmentsRepository } from './appointments.repository.ts';

export interface HoldRules {
  /** How long a hold lasts (`BOOKING_HOLD_SECONDS`). */
  holdSeconds: number;
  /** Unpaid holds a patient may have at once (`MAX_HOLDS_PER_PATIENT`). */
  maxHoldsPerPatient: number;
}

export interface Viewer {
  id: string;
  role: Role;
}

export interface SweepResult {
  /** Appointments this run moved pending_payment -> expired. */
  expired: number;
  /** Slots this run reopened. */
  reopened: number;
}

const SWEEP_BATCH = 200;

const slotUnavailable = (message = 'The slot cannot be booked now') =>
  new ConflictError('SLOT_UNAVAILABLE', message);

const tooManyHolds = (max: number) =>
  new ConflictError(
    'TOO_MANY_HOLDS',
    `You already hold ${max} unpaid appointments; pay for or cancel one before holding another`,
  );

/** Booking holds: claiming a slot while the patient pays, cancelling, and letting lapsed holds go. */
export class AppointmentsService {
  constructor(
    private readonly store: Store,
    private readonly appointments: AppointmentsRepository,
    private readonly slots: SlotsRepository,
    private readonly users: UsersRepository,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly rules: HoldRules,
  ) {}

  /**
   * Holds the slot for the patient until `holdExpiresAt`. One store transaction, so a crash leaves all of
   * it or none: the patient's hold lock, the per-patient limit counted, the claim (one conditional write on
   * the slot: open, or held by a lapsed hold), the expiry of a lapsed holder and the appointment insert;
   * the one-active-per-slot index backs the insert. The lock (a write to the patient's document) makes
   * concurrent holds of one patient conflict, so each counts the others that committed before it: MongoDB
   * retries the later transaction, SQLite queues it. So the limit is exact, and concurrent holds of one
   * patient fill it rather than all stepping back.
   */
  async hold(patientId: string, input: HoldBody): Promise<AppointmentDoc> {
    const now = this.clock.now();
    const slot = await this.slots.findById(input.slotId);
    if (!slot) throw new NotFoundError('No such slot', 'SLOT_NOT_FOUND');
    const doctor = await this.users.findById(slot.doctorId);
    if (!isApprovedDoctor(doctor)) throw slotUnavailable('The doctor is not taking bookings');
    if (slot.startsAt <= now) throw slotUnavailable('The slot has already started');
    if (slot.status !== 'open' && !isLapsed(slot, now)) throw slotUnavailable();
    const max = this.rules.maxHoldsPerPatient;

    const appointmentId = newId();
    const holdEnds = now.getTime() + this.rules.holdSeconds * 1000;
    // A hold never outlasts the start of the consultation.
    const holdExpiresAt = new Date(Math.min(holdEnds, slot.startsAt.getTime()));
    // The engine may run this more than once: it touches only the store, and logs after it commits.
    const { appointment, retired } = await this.store.transaction(async (tx) => {
      const slots = this.slots.within(tx);
      const appointments = this.appointments.within(tx);
      await appointments.lockPatientHolds(patientId);
      if ((await appointments.countLiveHolds(patientId, now)) >= max) throw tooManyHolds(max);
      if (!(await slots.claim(slot._id, appointmentId, now, holdExpiresAt))) throw slotUnavailable();
      const retired = await this.retireLapsedHolders(appointments, slot._id, appointmentId, now);
      // A second active appointment on the slot is refused by the store: 409 `SLOT_UNAVAILABLE`.
      const appointment = await appointments.insert({
        _id: appointmentId,
        patientId,
        doctorId: slot.doctorId,
        slotId: slot._id,
        startsAt: slot.startsAt,
        endsAt: slot.endsAt,
        status: 'pending_payment',
        feePaise: doctor.doctor.consultationFeePaise,
        holdExpiresAt,
        ...(input.reason === undefined ? {} : { reason: input.reason }),
        createdAt: now,
        updatedAt: now,
      });
      return { appointment, retired };
    });
    for (const previous of retired) this.logExpired(previous, 'claim');
    this.logger.info('hold placed', { appointmentId, slotId: slot._id, patientId });
    return appointment;
  }

  /** pending_payment -> cancelled by its patient; the slot reopens at once. */
  /**
   * The patient cancels the unpaid hold: the appointment and the slot, and whatever `alsoInTx` does (the
   * payment attempts' wallet reservations released), in one transaction.
   */
  async cancel(
    patientId: string,
    appointmentId: string,
    alsoInTx?: (tx: Store, cancelled: AppointmentDoc, now: Date) => Promise<void>,
  ): Promise<AppointmentDoc> {
    const existing = await this.appointments.findById(appointmentId);
    if (!existing || existing.patientId !== patientId) throw this.notFound();
    const now = this.clock.now();
    const cancelled = await this.store.transaction(async (tx) => {
      const cancelled = await this.appointments.within(tx).cancel(appointmentId, patientId, now);
      if (!cancelled) return null;
      await this.slots.within(tx).release(cancelled.slotId, cancelled._id, now);
      await alsoInTx?.(tx, cancelled, now);
      return cancelled;
    });
    if (!cancelled && isLapsedHold(existing, now)) {
      // The hold lapsed before the sweeper saw it: it is expired, not cancellable.
      if (await this.expire(appointmentId, now, 'cancel'))
        await this.slots.release(existing.slotId, appointmentId, now);
    }
    if (!cancelled) {
      const current = (await this.appointments.findById(appointmentId)) ?? existing;
      throw new ConflictError(
        'APPOINTMENT_NOT_CANCELLABLE',
        `Only an unpaid hold can be cancelled; this appointment is ${current.status}`,
        { status: current.status },
      );
    }
    this.logger.info('hold cancelled', { appointmentId, slotId: cancelled.slotId });
    return cancelled;
  }

  /** Its patient, its doctor or an admin may read an appointment; anyone else gets 404. */
  async get(viewer: Viewer, appointmentId: string): Promise<Stored<AppointmentDoc>> {
    // Read in the stored form: it goes out as JSON at once, so no instant is built to be formatted back.
    const appointment = await this.appointments.findByIdStored(appointmentId);
    if (
      !appointment ||
      (viewer.role !== 'admin' && appointment.patientId !== viewer.id && appointment.doctorId !== viewer.id)
    ) {
      throw this.notFound();
    }
    return asSeenAt(appointment, this.clock.now());
  }

  /**
   * A patient's own appointments, or a doctor's appointments with them; newest first. Statuses are as
   * seen now: a lapsed hold is listed (and filtered) as expired, before the sweeper has written it.
   */
  async list(viewer: Viewer, query: AppointmentsQuery): Promise<Page<AppointmentDoc>> {
    if (viewer.role === 'admin') throw new ForbiddenError('Your role cannot do this');
    const party = viewer.role === 'doctor' ? { doctorId: viewer.id } : { patientId: viewer.id };
    const now = this.clock.now();
    const page = await this.appointments.page(party, query.status, now, {
      limit: query.limit ?? APPOINTMENT_PAGE_DEFAULT,
      cursor: query.cursor,
    });
    return { ...page, items: page.items.map((appointment) => asSeenAt(appointment, now)) };
  }

  /**
   * The sweeper: every lapsed unpaid hold becomes `expired` (a conditional write, so with several
   * instances and concurrent claimers each is expired exactly once) and its slot reopens if that
   * appointment still holds it. Then a backstop reopens lapsed slots whose holder is gone or final.
   */
  async expireLapsedHolds(): Promise<SweepResult> {
    const now = this.clock.now();
    const result: SweepResult = { expired: 0, reopened: 0 };
    for (let round = 0; round < 100; round++) {
      const lapsed = await this.appointments.findLapsed(now, SWEEP_BATCH);
      for (const appointment of lapsed) {
        if (!(await this.expire(appointment._id, now, 'sweeper'))) continue;
        result.expired++;
        if (await this.slots.release(appointment.slotId, appointment._id, now)) result.reopened++;
      }
      if (lapsed.length < SWEEP_BATCH) break;
    }
    for (const slot of await this.slots.findLapsedHolds(now, SWEEP_BATCH)) {
      if (!slot.heldBy) continue;
      const holder = await this.appointments.findById(slot.heldBy);
      // A holder still pending or confirmed is the payment flow's business, not the sweeper's.
      if (holder && (holder.status === 'pending_payment' || holder.status === 'confirmed')) continue;
      if (await this.slots.release(slot._id, slot.heldBy, now)) result.reopened++;
    }
    if (result.expired || result.reopened) this.logger.info('holds swept', { ...result });
    return result;
  }

  /**
   * The claimer of a slot with a lapsed hold expires the previous holder itself, before its insert;
   * returns the appointments it expired (for the log, once the transaction has committed).
   */
  private async retireLapsedHolders(
    appointments: AppointmentsRepository,
    slotId: string,
    claimerId: string,
    now: Date,
  ): Promise<AppointmentDoc[]> {
    const retired: AppointmentDoc[] = [];
    for (const previous of await appointments.findActiveOnSlot(slotId, claimerId)) {
      if (isLapsedHold(previous, now)) {
        const expired = await appointments.markExpired(previous._id, now);
        if (expired) retired.push(expired);
      }
    }
    return retired;
  }

  private async expire(appointmentId: string, now: Date, by: 'sweeper' | 'cancel'): Promise<boolean> {
    const expired = await this.appointments.markExpired(appointmentId, now);
    if (expired) this.logExpired(expired, by);
    return expired !== null;
  }

  private logExpired(appointment: AppointmentDoc, by: 'sweeper' | 'claim' | 'cancel'): void {
    this.logger.info('hold expired', { appointmentId: appointment._id, slotId: appointment.slotId, by });
  }

  private notFound(): NotFoundError {
    return new NotFoundError('No such appointment', 'APPOINTMENT_NOT_FOUND');
  }
}
