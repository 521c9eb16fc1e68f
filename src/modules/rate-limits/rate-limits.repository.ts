import type { Store } from '../../db/index.ts';
import { DuplicateKeyError } from '../../shared/errors.ts';
import { RateLimits } from './rate-limits.model.ts';

export class RateLimitsRepository {
  constructor(private readonly store: Store) {}

  private get counters() {
    return this.store.collection(RateLimits);
  }

  /** Adds one hit to the window's counter, creating it on first use; returns the new count. */
  async hit(key: string, windowStart: number, windowEndsAt: Date): Promise<number> {
    const id = `${key}@${windowStart}`;
    for (;;) {
      const counted = await this.counters.findOneAndUpdate({ _id: id }, { $inc: { count: 1 } });
      if (counted) return counted.count;
      try {
        await this.counters.insertOne({ _id: id, key, count: 1, windowEndsAt });
        return 1;
      } catch (error) {
        // Another instance opened the window first; count on its document.
        if (!(error instanceof DuplicateKeyError)) throw error;
      }
    }
  }

  /** Drops the previous window of a key once a new one opens, so counters do not pile up. */
  async dropWindow(key: string, windowStart: number): Promise<void> {
    await this.counters.deleteOne({ _id: `${key}@${windowStart}` });
  }

  /** Counters whose window has ended count nothing any more. */
  purgeExpired(now: Date): Promise<number> {
    return this.counters.deleteMany({ windowEndsAt: { $lt: now } });
  }
}
