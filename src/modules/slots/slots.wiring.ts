import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import { SlotsRepository } from './slots.repository.ts';
import { SlotsService } from './slots.service.ts';

export function wireSlots(config: Config, deps: { store: Store; usersRepo: UsersRepository; clock: Clock }) {
  const slotsRepo = new SlotsRepository(deps.store);
  const slots = new SlotsService(slotsRepo, deps.usersRepo, deps.clock, {
    horizonDays: config.SLOT_HORIZON_DAYS,
    maxPerRequest: config.MAX_SLOTS_PER_REQUEST,
  });
  return { slotsRepo, slots };
}
