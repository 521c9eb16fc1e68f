import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import { AppointmentsRepository } from './appointments.repository.ts';
import { AppointmentsService } from './appointments.service.ts';
import { PartySummaries } from './party-summaries.ts';

export function wireAppointments(
  config: Config,
  deps: {
    store: Store;
    slotsRepo: SlotsRepository;
    usersRepo: UsersRepository;
    clock: Clock;
    logger: Logger;
  },
) {
  const { store, usersRepo } = deps;
  const appointmentsRepo = new AppointmentsRepository(store);
  const appointments = new AppointmentsService(
    store,
    appointmentsRepo,
    deps.slotsRepo,
    usersRepo,
    deps.clock,
    deps.logger,
    { holdSeconds: config.BOOKING_HOLD_SECONDS, maxHoldsPerPatient: config.MAX_HOLDS_PER_PATIENT },
  );
  return { appointmentsRepo, appointments, partySummaries: new PartySummaries(usersRepo) };
}
