import type { Config } from '../../config.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import { DoctorReviewService } from './doctor-review.service.ts';

export function wireAdmin(
  config: Config,
  deps: { usersRepo: UsersRepository; outbox: OutboxService; clock: Clock; logger: Logger },
) {
  const doctorReview = new DoctorReviewService(
    deps.usersRepo,
    deps.outbox,
    deps.clock,
    deps.logger,
    config.DEFAULT_TIMEZONE,
  );
  return { doctorReview };
}
