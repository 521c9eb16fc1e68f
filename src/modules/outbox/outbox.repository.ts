import type { Filter, Page, Store, Update } from '../../db/index.ts';
import {
  canOutboxMove,
  OUTBOX_STATUSES,
  Outbox,
  type OutboxDoc,
  type OutboxKind,
  type OutboxStatus,
} from './outbox.model.ts';

/** Every write below names the move it makes; a move the state machine lacks is a programming error. */
const moves = (from: OutboxStatus[], to: OutboxStatus): void => {
  for (const state of from)
    if (!canOutboxMove(state, to)) throw new Error(`Outbox record cannot move from ${state} to ${to}`);
};

/** The claim a deliverer holds: the record as it was claimed (status `sending`, this attempt count). */
const held = (doc: OutboxDoc): Filter => ({ _id: doc._id, status: 'sending', attempts: doc.attempts });

/** The erasure of a sensitive body, added to the write that settles the record. */
const eraseIfSensitive = (doc: OutboxDoc, now: Date): Update =>
  doc.sensitive ? { $set: { erasedAt: now }, $unset: { body: true } } : {};

const merge = (a: Update, b: Update): Update => ({
  $set: { ...a.$set, ...b.$set },
  ...(a.$unset || b.$unset ? { $unset: { ...a.$unset, ...b.$unset } } : {}),
  ...(a.$inc ? { $inc: a.$inc } : {}),
});

/** Outbox records. Every state change is one conditional write on the expected state. */
export class OutboxRepository {
  constructor(private readonly store: Store) {}

  private get outbox() {
    return this.store.collection(Outbox);
  }

  /** This repository working through `tx`, the store of a running transaction. */
  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  insert(doc: Omit<OutboxDoc, '_id'>): Promise<OutboxDoc> {
    return this.outbox.insertOne(doc);
  }

  findById(id: string): Promise<OutboxDoc | null> {
    return this.outbox.findById(id);
  }

  /**
   * Claims up to `limit` records that are due (queued with `nextAttemptAt <= now`, or sending with a
   * lease that lapsed), each by one conditional write that also counts the attempt, so two deliverers
   * never hold the same record: the loser's write matches nothing.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxDoc[]> {
    moves(['queued', 'sending'], 'sending');
    const due: Filter = {
      $or: [
        { status: 'queued', nextAttemptAt: { $lte: now } },
        { status: 'sending', leaseUntil: { $lte: now } },
      ],
    };
    // Another deliverer may win every record read here; then look again, so losing a race is not "none due".
    for (let look = 0; look < 5; look++) {
      const candidates = await this.outbox.findAll(due, { sort: { nextAttemptAt: 1 }, limit });
      if (candidates.length === 0) return [];
      const claimed: OutboxDoc[] = [];
      for (const candidate of candidates) {
        const stillDue: Filter =
          candidate.status === 'queued'
            ? { status: 'queued', nextAttemptAt: { $lte: now } }
            : { status: 'sending', leaseUntil: { $lte: now } };
        const doc = await this.outbox.findOneAndUpdate(
          { _id: candidate._id, attempts: candidate.attempts, ...stillDue },
          { $set: { status: 'sending', leaseUntil, updatedAt: now }, $inc: { attempts: 1 } },
        );
        if (doc) claimed.push(doc);
      }
      if (claimed.length > 0) return claimed;
    }
    return [];
  }

  /** sending -> sent, by the holder of this claim; a sensitive body goes in the same write. */
  markSent(doc: OutboxDoc, now: Date): Promise<boolean> {
    moves(['sending'], 'sent');
    return this.outbox.updateOne(
      held(doc),
      merge(
        {
          $set: { status: 'sent', sentAt: now, updatedAt: now },
          $unset: { leaseUntil: true, lastError: true },
        },
        eraseIfSensitive(doc, now),
      ),
    );
  }

  /** sending -> queued, due again at `at`, after a transient failure. */
  scheduleRetry(doc: OutboxDoc, at: Date, error: string, now: Date): Promise<boolean> {
    moves(['sending'], 'queued');
    return this.outbox.updateOne(held(doc), {
      $set: { status: 'queued', nextAttemptAt: at, lastError: error, updatedAt: now },
      $unset: { leaseUntil: true },
    });
  }

  /** sending -> failed with the last error: a permanent refusal or the last attempt. */
  park(doc: OutboxDoc, error: string, now: Date): Promise<boolean> {
    moves(['sending'], 'failed');
    return this.outbox.updateOne(
      held(doc),
      merge(
        { $set: { status: 'failed', lastError: error, updatedAt: now }, $unset: { leaseUntil: true } },
        eraseIfSensitive(doc, now),
      ),
    );
  }

  /** failed -> queued, due now with a fresh count of attempts; null when not failed or its body is gone. */
  requeue(id: string, now: Date): Promise<OutboxDoc | null> {
    moves(['failed'], 'queued');
    return this.outbox.findOneAndUpdate(
      { _id: id, status: 'failed', body: { $exists: true } },
      { $set: { status: 'queued', attempts: 0, nextAttemptAt: now, updatedAt: now } },
    );
  }

  /**
   * Erases the bodies of sensitive records whose secret has lapsed (`eraseAt <= now`); a queued one can
   * no longer help its reader and is parked as failed. A record being sent is left to its deliverer.
   */
  async eraseSensitiveBodies(now: Date): Promise<number> {
    moves(['queued'], 'failed');
    const lapsed = await this.outbox.findAll(
      {
        status: { $in: ['queued', 'failed', 'sent'] },
        eraseAt: { $lte: now },
        body: { $exists: true },
      },
      { limit: 1000 },
    );
    let erased = 0;
    for (const doc of lapsed) {
      const erase: Update = { $set: { erasedAt: now, updatedAt: now }, $unset: { body: true } };
      const update =
        doc.status === 'queued'
          ? merge(erase, {
              $set: { status: 'failed', lastError: 'the code expired before it was delivered' },
            })
          : erase;
      if (await this.outbox.updateOne({ _id: doc._id, status: doc.status, body: { $exists: true } }, update))
        erased++;
    }
    return erased;
  }

  /** Sent records older than `before`; nothing unsent is ever deleted. */
  purgeSent(before: Date): Promise<number> {
    return this.outbox.deleteMany({ status: 'sent', sentAt: { $lt: before } });
  }

  page(
    query: { status?: OutboxStatus | undefined; kind?: OutboxKind | undefined },
    page: { limit: number; cursor?: string | null | undefined },
  ): Promise<Page<OutboxDoc>> {
    return this.outbox.find(
      { ...(query.status ? { status: query.status } : {}), ...(query.kind ? { kind: query.kind } : {}) },
      { sort: { createdAt: -1 }, limit: page.limit, cursor: page.cursor ?? null },
    );
  }

  async countByStatus(): Promise<Record<OutboxStatus, number>> {
    const counts = await Promise.all(OUTBOX_STATUSES.map((status) => this.outbox.count({ status })));
    return Object.fromEntries(OUTBOX_STATUSES.map((status, i) => [status, counts[i]!])) as Record<
      OutboxStatus,
      number
    >;
  }

  oldestQueued(): Promise<OutboxDoc | null> {
    return this.outbox.findOne({ status: 'queued' }, { sort: { createdAt: 1 } });
  }
}
