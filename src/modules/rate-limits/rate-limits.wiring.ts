import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { Purge } from '../../jobs/housekeeping.ts';
import type { Clock } from '../../shared/clock.ts';
import { RateLimitsRepository } from './rate-limits.repository.ts';
import { RateLimiter } from './rate-limits.service.ts';

export function wireRateLimits(config: Config, deps: { store: Store; clock: Clock }) {
  const rateLimitsRepo = new RateLimitsRepository(deps.store);
  const rateLimiter = new RateLimiter(rateLimitsRepo, deps.clock, config.RATE_LIMITS_ENABLED);
  const purges: Purge[] = [{ name: 'rateLimits', run: (now) => rateLimitsRepo.purgeExpired(now) }];
  return { rateLimiter, purges };
}
