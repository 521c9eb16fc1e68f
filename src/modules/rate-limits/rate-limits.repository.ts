import { isDuplicateOn } from '../../db/errors.ts';
import type { Store } from '../../db/index.ts';
import { type RateLimitDoc, RateLimits } from './rate-limits.model.ts';

export class RateLimitsRepository {
  constructor(private readonly store: Store) {}

  private get logs() {
    return this.store.collection(RateLimits);
  }

  find(key: string): Promise<RateLimitDoc | null> {
    return this.logs.findById(key);
  }

  /** Starts the log of a key; false when another request started it first. */
  async start(key: string, hits: Date[], windowEndsAt: Date): Promise<boolean> {
    try {
      await this.logs.insertOne({ _id: key, hits, version: 0, windowEndsAt });
      return true;
    } catch (error) {
      if (isDuplicateOn(error, '_id')) return false;
      throw error;
    }
  }

  /** Replaces the log if it is still at the version read; false when another hit was written first. */
  replace(doc: RateLimitDoc, hits: Date[], windowEndsAt: Date): Promise<boolean> {
    return this.logs.updateOne(
      { _id: doc._id, version: doc.version },
      { $set: { hits, version: doc.version + 1, windowEndsAt } },
    );
  }

  /** Logs whose newest hit has left the window count nothing any more. */
  purgeExpired(now: Date): Promise<number> {
    return this.logs.deleteMany({ windowEndsAt: { $lt: now } });
  }
}
