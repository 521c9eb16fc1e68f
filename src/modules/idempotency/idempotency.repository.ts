import type { InsertDoc } from '../../db/collection.ts';
import { isDuplicateOn } from '../../db/errors.ts';
import type { Store } from '../../db/index.ts';
import { type IdempotencyDoc, IdempotencyKeys } from './idempotency.model.ts';

type Fresh = Pick<IdempotencyDoc, 'scope' | 'requestHash' | 'leaseId' | 'leaseExpiresAt' | 'expiresAt'>;

/** Idempotency records; the unique (userId, key) index decides which of concurrent first requests runs. */
export class IdempotencyRepository {
  constructor(private readonly store: Store) {}

  private get keys() {
    return this.store.collection(IdempotencyKeys);
  }

  /** The new record, or null when the user already has one under this key. */
  async tryCreate(doc: InsertDoc<IdempotencyDoc>): Promise<IdempotencyDoc | null> {
    try {
      return await this.keys.insertOne(doc);
    } catch (error) {
      if (isDuplicateOn(error, 'idempotency_keys__userId__key')) return null;
      throw error;
    }
  }

  find(userId: string, key: string): Promise<IdempotencyDoc | null> {
    return this.keys.findOne({ userId, key });
  }

  /** Restarts an expired record or a dead request's lease, unless someone else took it first. */
  takeOver(previous: IdempotencyDoc, fresh: Fresh, now: Date): Promise<IdempotencyDoc | null> {
    return this.keys.findOneAndUpdate(
      { _id: previous._id, leaseId: previous.leaseId },
      {
        $set: { ...fresh, state: 'in_progress', createdAt: now, updatedAt: now },
        $unset: { response: true },
      },
    );
  }

  complete(
    id: string,
    leaseId: string,
    response: { status: number; body: string },
    now: Date,
  ): Promise<boolean> {
    return this.keys.updateOne(
      { _id: id, leaseId, state: 'in_progress' },
      { $set: { state: 'completed', response, updatedAt: now } },
    );
  }

  release(id: string, leaseId: string): Promise<boolean> {
    return this.keys.deleteOne({ _id: id, leaseId, state: 'in_progress' });
  }

  /** Deletes the records past their 24 hours; returns how many. */
  purgeExpired(now: Date): Promise<number> {
    return this.keys.deleteMany({ expiresAt: { $lte: now } });
  }
}
