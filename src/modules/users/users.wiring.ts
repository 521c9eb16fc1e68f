import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { AvatarProvider } from '../../providers/avatars/port.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import { AvatarsService } from './avatars.service.ts';
import { UsersRepository } from './users.repository.ts';
import { ProfileService } from './users.service.ts';

/** Users and their profiles; brings doctors stored before the specialty keys up to date. */
export async function wireUsers(
  config: Config,
  deps: { store: Store; avatars: AvatarProvider; clock: Clock; logger: Logger },
) {
  const { store, avatars, clock, logger } = deps;
  const usersRepo = new UsersRepository(store);
  const backfilled = await usersRepo.backfillSpecialtyKeys();
  if (backfilled) logger.info('specialty keys written for doctors stored before them', { backfilled });
  const avatarService = new AvatarsService(avatars, logger, config.AVATAR_MAX_BYTES);
  const profiles = new ProfileService(usersRepo, avatarService, clock);
  return { usersRepo, avatarService, profiles };
}
