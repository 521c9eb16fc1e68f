import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { RemindersService } from '../reminders/reminders.service.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import { AppointmentMail } from './appointment-mail.ts';
import { AppointmentsRepository } from './appointments.repository.ts';
import { AppointmentsService } from './appointments.service.ts';
import { PartySummaries } from './party-summaries.ts';
import { ReschedulesService } from './reschedules.service.ts';

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
  const appointmentMail = new AppointmentMail(usersRepo, config.EMAIL_FROM, config.DEFAULT_TIMEZONE);
  return { appointmentsRepo, appointments, appointmentMail, partySummaries: new PartySummaries(usersRepo) };
}

/** Moving confirmed appointments; after the reminders, which a move re-arms. */
export function wireReschedules(
  config: Config,
  deps: {
    outbox: OutboxService;
    appointmentsRepo: AppointmentsRepository;
    slotsRepo: SlotsRepository;
    appointmentMail: AppointmentMail;
    reminders: RemindersService;
    clock: Clock;
    logger: Logger;
  },
) {
  return {
    reschedules: new ReschedulesService({
      outbox: deps.outbox,
      appointments: deps.appointmentsRepo,
      slots: deps.slotsRepo,
      mail: deps.appointmentMail,
      reminders: deps.reminders,
      clock: deps.clock,
      logger: deps.logger,
      rules: { cutoffHours: config.RESCHEDULE_CUTOFF_HOURS, maxReschedules: config.MAX_RESCHEDULES },
    }),
  };
}
