import type { Clock } from '../../shared/clock.ts';
import { TooManyRequestsError } from '../../shared/errors.ts';
import type { RateLimitRule } from './rate-limits.model.ts';
import type { RateLimitsRepository } from './rate-limits.repository.ts';

/**
 * Fixed-window counters kept in the store, so a limit holds across server instances. Over the limit
 * -> 429 with `Retry-After` until the window ends. Disabled entirely by `RATE_LIMITS_ENABLED=false`.
 */
export class RateLimiter {
  constructor(
    private readonly counters: RateLimitsRepository,
    private readonly clock: Clock,
    private readonly enabled: boolean,
  ) {}

  /** Counts one hit on every rule; throws TooManyRequestsError if any rule is over its limit. */
  async consume(hits: Array<{ rule: RateLimitRule; subject: string }>): Promise<void> {
    if (!this.enabled) return;
    const now = this.clock.now().getTime();
    let retryAfterSeconds = 0;
    for (const { rule, subject } of hits) {
      const windowMs = rule.windowSeconds * 1000;
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const windowEnd = windowStart + windowMs;
      const key = `${rule.name}:${subject}`;
      const count = await this.counters.hit(key, windowStart, new Date(windowEnd));
      if (count === 1) await this.counters.dropWindow(key, windowStart - windowMs);
      if (count > rule.limit) {
        retryAfterSeconds = Math.max(retryAfterSeconds, Math.ceil((windowEnd - now) / 1000));
      }
    }
    if (retryAfterSeconds > 0) throw new TooManyRequestsError(retryAfterSeconds);
  }
}
