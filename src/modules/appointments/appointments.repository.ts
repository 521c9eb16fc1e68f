import type { InsertDoc } from '../../db/collection.ts';
import { isDuplicateOn } from '../../db/errors.ts';
import type { Filter, Page, Store, Stored } from '../../db/index.ts';
import { ConflictError } from '../../shared/errors.ts';
import { Users } from '../users/users.model.ts';
import {
  ACTIVE_APPOINTMENT_STATUSES,
  type AppointmentDoc,
  type AppointmentStatus,
  Appointments,
  canAppointmentMove,
  isActiveAppointmentStatus,
} from './appointments.model.ts';

/** Appointment documents. Every state change is one conditional write on the expected state. */
export class AppointmentsRepository {
  constructor(private readonly store: Store) {}

  /** This repository (a subclass too) working through `tx`, the store of a running transaction. */
  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  private get appointments() {
    return this.store.collection(Appointments);
  }

  /** A 409 `SLOT_UNAVAILABLE` when the slot already has an active appointment. */
  async insert(doc: InsertDoc<AppointmentDoc>): Promise<AppointmentDoc> {
    // `active` is derived from the status here, whatever the caller passed.
    const { active: _ignored, ...fields } = doc;
    try {
      return await this.appointments.insertOne(
        isActiveAppointmentStatus(fields.status) ? { ...fields, active: true } : fields,
      );
    } catch (error) {
      if (isDuplicateOn(error, 'appointments__active_slot')) {
        throw new ConflictError('SLOT_UNAVAILABLE', 'The slot cannot be booked now');
      }
      throw error;
    }
  }

  findById(id: string): Promise<AppointmentDoc | null> {
    return this.appointments.findById(id);
  }

  /** In the stored form (instants as ISO strings), for a read that goes out as JSON at once. */
  findByIdStored(id: string): Promise<Stored<AppointmentDoc> | null> {
    return this.appointments.findById(id, { stored: true });
  }

  /**
   * Serializes the holds of one patient: inside a transaction, the write to the patient's document makes
   * two concurrent holds conflict (MongoDB retries the later one, which then counts the earlier one's
   * appointment; SQLite queues it), so the per-patient limit can never miss a concurrent insert.
   */
  async lockPatientHolds(patientId: string): Promise<void> {
    await this.store.collection(Users).updateOne({ _id: patientId }, { $inc: { holdRevision: 1 } });
  }

  /** Unpaid holds of the patient that still hold their slot at `now`. */
  countLiveHolds(patientId: string, now: Date): Promise<number> {
    return this.appointments.count({ patientId, status: 'pending_payment', holdExpiresAt: { $gt: now } });
  }

  /** Active (pending or confirmed) appointments on the slot other than `exceptId`: at most one exists. */
  findActiveOnSlot(slotId: string, exceptId: string): Promise<AppointmentDoc[]> {
    return this.appointments.findAll({
      slotId,
      status: { $in: [...ACTIVE_APPOINTMENT_STATUSES] },
      _id: { $ne: exceptId },
    });
  }

  /** Unpaid holds whose time is up, oldest first. */
  findLapsed(now: Date, limit: number): Promise<AppointmentDoc[]> {
    return this.appointments.findAll(
      { status: 'pending_payment', holdExpiresAt: { $lte: now } },
      { sort: { holdExpiresAt: 1 }, limit },
    );
  }

  private move(
    id: string,
    from: AppointmentStatus,
    to: AppointmentStatus,
    condition: Filter,
    set: Partial<AppointmentDoc>,
  ): Promise<AppointmentDoc | null> {
    if (!canAppointmentMove(from, to)) throw new Error(`Appointment cannot move from ${from} to ${to}`);
    // `active` follows the status in the same write, so the one-active-per-slot index always agrees.
    return this.appointments.findOneAndUpdate(
      { _id: id, status: from, ...condition },
      isActiveAppointmentStatus(to)
        ? { $set: { ...set, status: to, active: true } }
        : { $set: { ...set, status: to }, $unset: { active: true } },
    );
  }

  /** pending_payment -> expired once the hold has lapsed; of concurrent callers exactly one gets the doc. */
  markExpired(id: string, now: Date): Promise<AppointmentDoc | null> {
    return this.move(
      id,
      'pending_payment',
      'expired',
      { holdExpiresAt: { $lte: now } },
      { expiredAt: now, updatedAt: now },
    );
  }

  /**
   * pending_payment -> confirmed while the hold lasts; with `late`, also a lapsed or expired hold (its
   * slot was claimed again for it in the same transaction).
   */
  confirm(id: string, now: Date, late = false): Promise<AppointmentDoc | null> {
    if (!late) {
      return this.move(
        id,
        'pending_payment',
        'confirmed',
        { holdExpiresAt: { $gt: now } },
        { confirmedAt: now, updatedAt: now },
      );
    }
    for (const from of ['pending_payment', 'expired'] as const)
      if (!canAppointmentMove(from, 'confirmed')) throw new Error(`Appointment cannot move from ${from}`);
    return this.appointments.findOneAndUpdate(
      { _id: id, status: { $in: ['pending_payment', 'expired'] } },
      {
        $set: { status: 'confirmed', active: true, confirmedAt: now, updatedAt: now },
        $unset: { expiredAt: true },
      },
    );
  }

  /** Every appointment, for the payments audit. */
  findAllWithStatus(statuses: AppointmentStatus[]): Promise<AppointmentDoc[]> {
    return this.appointments.findAll({ status: { $in: statuses } });
  }

  /** pending_payment -> cancelled by its patient. */
  cancel(id: string, patientId: string, now: Date): Promise<AppointmentDoc | null> {
    return this.move(
      id,
      'pending_payment',
      'cancelled',
      { patientId, holdExpiresAt: { $gt: now } },
      { cancelledAt: now, updatedAt: now },
    );
  }

  /** confirmed -> cancelled by its patient, its doctor or an admin; the invite's sequence grows. */
  cancelConfirmed(
    id: string,
    by: NonNullable<AppointmentDoc['cancelledBy']>,
    reason: string | undefined,
    sequence: number,
    now: Date,
  ): Promise<AppointmentDoc | null> {
    return this.move(
      id,
      'confirmed',
      'cancelled',
      {},
      {
        cancelledAt: now,
        cancelledBy: by,
        ...(reason === undefined ? {} : { cancelReason: reason }),
        sequence,
        updatedAt: now,
      },
    );
  }

  /** The move: a confirmed appointment still on `fromSlotId` onto `slot` (`reschedules` moves before). */
  moveToSlot(
    id: string,
    fromSlotId: string,
    reschedules: number,
    slot: { _id: string; startsAt: Date; endsAt: Date },
    sequence: number,
    now: Date,
  ): Promise<AppointmentDoc | null> {
    return this.move(
      id,
      'confirmed',
      'confirmed',
      // Each move changes the slot, so two concurrent moves of one appointment cannot both match.
      { slotId: fromSlotId },
      {
        slotId: slot._id,
        startsAt: slot.startsAt,
        endsAt: slot.endsAt,
        reschedules: reschedules + 1,
        sequence,
        updatedAt: now,
      },
    );
  }

  /** Newest first; `party` is the patient's or the doctor's own id. */
  /** A party's appointments by their status as seen at `now` (a lapsed hold counts as expired). */
  page(
    party: { patientId: string } | { doctorId: string },
    status: AppointmentStatus | undefined,
    now: Date,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<AppointmentDoc>> {
    const seen: Filter =
      status === 'pending_payment'
        ? { status, holdExpiresAt: { $gt: now } }
        : status === 'expired'
          ? { $or: [{ status }, { status: 'pending_payment', holdExpiresAt: { $lte: now } }] }
          : status
            ? { status }
            : {};
    return this.appointments.find(
      { ...party, ...seen },
      { sort: { _id: -1 }, limit: page.limit, cursor: page.cursor ?? null },
    );
  }
}
