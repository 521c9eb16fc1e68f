import type { InsertDoc } from '../../db/collection.ts';
import type { Filter, Page, Store, Stored } from '../../db/index.ts';
import { Users } from '../users/users.model.ts';
import { canSlotMove, lapsedFilter, type SlotDoc, type SlotStatus, Slots } from './slots.model.ts';

/** Open, or held by a hold that has lapsed: either way a patient may claim it now. */
const claimable = (now: Date): Filter => ({
  $or: [{ status: 'open' }, lapsedFilter(now)],
});

const range = (from: Date, to: Date) => ({ $gte: from, $lt: to });

/** Every write below names the move it makes; a move the state machine lacks is a programming error. */
const moves = (from: SlotStatus[], to: SlotStatus): void => {
  for (const state of from)
    if (!canSlotMove(state, to)) throw new Error(`Slot cannot move from ${state} to ${to}`);
};

/** Slot documents. Every state change is one conditional write on the expected state. */
export class SlotsRepository {
  constructor(private readonly store: Store) {}

  private get slots() {
    return this.store.collection(Slots);
  }

  /** This repository (a subclass too) working through `tx`, the store of a running transaction. */
  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  /** Runs `work` atomically, with a repository bound to the transaction. */
  transaction<R>(work: (slots: this) => Promise<R>): Promise<R> {
    return this.store.transaction((tx) => work(this.within(tx)));
  }

  /**
   * Serializes the publishing of one doctor's slots: inside a transaction, the write to the doctor's
   * document makes two concurrent publishers conflict (MongoDB retries the later one, which then sees
   * the earlier one's slots; SQLite queues it), so an overlap check can never miss a concurrent insert.
   */
  async lockSchedule(doctorId: string): Promise<void> {
    await this.store.collection(Users).updateOne({ _id: doctorId }, { $inc: { scheduleRevision: 1 } });
  }

  insertMany(docs: InsertDoc<SlotDoc>[]): Promise<SlotDoc[]> {
    return this.slots.insertMany(docs);
  }

  findById(id: string): Promise<SlotDoc | null> {
    return this.slots.findById(id);
  }

  /** The doctor's slots starting in [from, to), ascending; a transaction reads them to check overlaps. */
  findStartingBetween(doctorId: string, from: Date, to: Date): Promise<SlotDoc[]> {
    return this.slots.findAll({ doctorId, startsAt: range(from, to) }, { sort: { startsAt: 1 } });
  }

  /**
   * What a patient may book: claimable now, starting in the future within [from, to). In the stored form
   * (instants as ISO strings): the page goes out as JSON as it is.
   */
  pageBookable(
    doctorId: string,
    window: { from: Date; to: Date },
    now: Date,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<Stored<SlotDoc>>> {
    return this.slots.find(
      { doctorId, startsAt: { $gte: window.from, $gt: now, $lt: window.to }, ...claimable(now) },
      { sort: { startsAt: 1 }, limit: page.limit, cursor: page.cursor ?? null, stored: true },
    );
  }

  /** The doctor's own slots in [from, to), optionally in one effective state at `now`. */
  pageOwn(
    doctorId: string,
    window: { from: Date; to: Date },
    status: SlotStatus | undefined,
    now: Date,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<SlotDoc>> {
    const byStatus: Filter =
      status === 'open'
        ? claimable(now)
        : status === 'held'
          ? { status: 'held', holdExpiresAt: { $gt: now } }
          : status === 'booked'
            ? { status: 'booked' }
            : {};
    return this.slots.find(
      { doctorId, startsAt: range(window.from, window.to), ...byStatus },
      { sort: { startsAt: 1 }, limit: page.limit, cursor: page.cursor ?? null },
    );
  }

  /**
   * open -> held, or a lapsed held -> held by `appointmentId`: one conditional write, so of any number
   * of concurrent claims exactly one succeeds. Returns the held slot, or null when it is not claimable.
   */
  claim(slotId: string, appointmentId: string, now: Date, holdExpiresAt: Date): Promise<SlotDoc | null> {
    moves(['open', 'held'], 'held');
    return this.slots.findOneAndUpdate(
      { _id: slotId, startsAt: { $gt: now }, ...claimable(now) },
      { $set: { status: 'held', heldBy: appointmentId, holdExpiresAt, updatedAt: now } },
    );
  }

  /** held -> open, only while the slot is still held by this appointment (a later claim wins). */
  release(slotId: string, appointmentId: string, now: Date): Promise<boolean> {
    moves(['held'], 'open');
    return this.slots.updateOne(
      { _id: slotId, status: 'held', heldBy: appointmentId },
      { $set: { status: 'open', updatedAt: now }, $unset: { heldBy: true, holdExpiresAt: true } },
    );
  }

  /**
   * held (by this appointment) -> booked, paid in time; with `late`, also a slot open again or held by a
   * lapsed hold, claimed for the appointment whose payment arrived late.
   */
  book(slotId: string, appointmentId: string, now: Date, late = false): Promise<SlotDoc | null> {
    moves(late ? ['held', 'open'] : ['held'], 'booked');
    const own: Filter = { status: 'held', heldBy: appointmentId };
    return this.slots.findOneAndUpdate(
      late ? { _id: slotId, $or: [own, { status: 'open' }, lapsedFilter(now)] } : { _id: slotId, ...own },
      { $set: { status: 'booked', heldBy: appointmentId, updatedAt: now }, $unset: { holdExpiresAt: true } },
    );
  }

  /** booked -> open, only while the slot is booked by this appointment (its cancellation or move). */
  reopen(slotId: string, appointmentId: string, now: Date): Promise<boolean> {
    moves(['booked'], 'open');
    return this.slots.updateOne(
      { _id: slotId, status: 'booked', heldBy: appointmentId },
      { $set: { status: 'open', updatedAt: now }, $unset: { heldBy: true, holdExpiresAt: true } },
    );
  }

  /** A future slot, open or held by a lapsed hold, -> booked for the appointment moved onto it. */
  bookForMove(slotId: string, doctorId: string, appointmentId: string, now: Date): Promise<SlotDoc | null> {
    moves(['open', 'held'], 'booked');
    return this.slots.findOneAndUpdate(
      { _id: slotId, doctorId, startsAt: { $gt: now }, ...claimable(now) },
      { $set: { status: 'booked', heldBy: appointmentId, updatedAt: now }, $unset: { holdExpiresAt: true } },
    );
  }

  /** Every slot that is held or booked, for the payments audit. */
  findTaken(): Promise<SlotDoc[]> {
    return this.slots.findAll({ status: { $in: ['held', 'booked'] } });
  }

  /** Held slots whose hold has lapsed, oldest first (the sweeper's backstop). */
  findLapsedHolds(now: Date, limit: number): Promise<SlotDoc[]> {
    return this.slots.findAll(lapsedFilter(now), { sort: { holdExpiresAt: 1 }, limit });
  }

  /** Deletes the doctor's slot if it is open (or its hold lapsed); false when held, booked or not theirs. */
  deleteIfFree(doctorId: string, slotId: string, now: Date): Promise<boolean> {
    return this.slots.deleteOne({ _id: slotId, doctorId, ...claimable(now) });
  }
}
