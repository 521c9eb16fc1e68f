import type { Store } from '../../db/index.ts';
import type { Purge } from '../../jobs/housekeeping.ts';
import type { Clock } from '../../shared/clock.ts';
import { IdempotencyRepository } from './idempotency.repository.ts';
import { IdempotencyService } from './idempotency.service.ts';

export function wireIdempotency(deps: { store: Store; clock: Clock }) {
  const idempotencyRepo = new IdempotencyRepository(deps.store);
  const idempotency = new IdempotencyService(idempotencyRepo, deps.clock);
  const purges: Purge[] = [{ name: 'idempotencyKeys', run: (now) => idempotencyRepo.purgeExpired(now) }];
  return { idempotency, purges };
}
