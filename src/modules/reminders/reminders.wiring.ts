import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppointmentMail } from '../appointments/appointment-mail.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import { RemindersService } from './reminders.service.ts';

export const reminderOffsets = (setting: string): number[] => [
  ...new Set(setting.split(',').map((part) => Number(part.trim()))),
];

export function wireReminders(
  config: Config,
  deps: {
    store: Store;
    outbox: OutboxService;
    appointmentsRepo: AppointmentsRepository;
    appointmentMail: AppointmentMail;
    clock: Clock;
    logger: Logger;
  },
) {
  return {
    reminders: new RemindersService(
      deps.store,
      deps.outbox,
      deps.appointmentsRepo,
      deps.appointmentMail,
      deps.clock,
      deps.logger,
      reminderOffsets(config.REMINDER_OFFSETS_MINUTES),
    ),
  };
}
