import type { Clock } from '../../shared/clock.ts';
import { TooManyRequestsError } from '../../shared/errors.ts';
import type { RateLimitRule } from './rate-limits.model.ts';
import type { RateLimitsRepository } from './rate-limits.repository.ts';

/** Conditional writes lost in a row before a hit is refused: a key this contended is under a burst. */
const MAX_WRITE_RACES = 100;

/**
 * Sliding-log limits kept in the store, so a limit holds across server instances: a rule lets at most
 * `limit` hits through in ANY rolling window of `windowSeconds` (no window edge to burst across).
 * Over the limit -> 429 with `Retry-After` until the oldest counted hit leaves the window; a refused
 * hit is not logged. Disabled entirely by `RATE_LIMITS_ENABLED=false`.
 */
export class RateLimiter {
  constructor(
    private readonly logs: RateLimitsRepository,
    private readonly clock: Clock,
    private readonly enabled: boolean,
  ) {}

  /** Counts one hit on every rule that has room; throws TooManyRequestsError if any rule is full. */
  async consume(hits: Array<{ rule: RateLimitRule; subject: string }>): Promise<void> {
    if (!this.enabled) return;
    const now = this.clock.now().getTime();
    let waitMs = 0;
    for (const { rule, subject } of hits) {
      waitMs = Math.max(waitMs, await this.hit(rule, `${rule.name}:${subject}`, now));
    }
    if (waitMs > 0) throw new TooManyRequestsError(Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** Logs one hit if the rule has room at `now` and returns 0; else how long until it has room, in ms. */
  private async hit(rule: RateLimitRule, key: string, now: number): Promise<number> {
    const windowMs = rule.windowSeconds * 1000;
    for (let race = 0; race < MAX_WRITE_RACES; race++) {
      const log = await this.logs.find(key);
      const recent = (log?.hits ?? [])
        .map((hit) => hit.getTime())
        .filter((at) => at > now - windowMs)
        .sort((a, b) => a - b);
      if (recent.length >= rule.limit) return recent[recent.length - rule.limit]! + windowMs - now;
      const next = [...recent, now].map((at) => new Date(at));
      const endsAt = new Date(Math.max(...recent, now) + windowMs);
      if (log ? await this.logs.replace(log, next, endsAt) : await this.logs.start(key, next, endsAt)) {
        return 0;
      }
    }
    return 1000;
  }
}
