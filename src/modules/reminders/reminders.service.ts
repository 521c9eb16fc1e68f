import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppointmentMail } from '../appointments/appointment-mail.ts';
import type { AppointmentDoc } from '../appointments/appointments.model.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import { type ReminderDoc, Reminders, reminderId } from './reminders.model.ts';

const BATCH = 200;

/**
 * Reminders before a confirmed appointment: armed in the transaction that confirms or moves it, dropped
 * in the one that cancels or moves it, sent by a job. Each is claimed by one conditional write, in the
 * transaction that enqueues its emails, so any number of instances send it once.
 */
export class RemindersService {
  constructor(
    private readonly store: Store,
    private readonly outbox: OutboxService,
    private readonly appointments: AppointmentsRepository,
    private readonly mail: AppointmentMail,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** `REMINDER_OFFSETS_MINUTES`. */
    private readonly offsetsMinutes: number[],
  ) {}

  private reminders(store: Store) {
    return store.collection(Reminders);
  }

  /** Inside the confirmation's or the move's transaction: drops earlier ones, arms one per offset. */
  async arm(tx: Store, appointment: AppointmentDoc): Promise<void> {
    await this.drop(tx, appointment._id);
    const sequence = appointment.sequence ?? 0;
    const now = this.clock.now();
    for (const offset of this.offsetsMinutes) {
      const id = reminderId(appointment._id, offset, sequence);
      if (await this.reminders(tx).findById(id)) continue;
      await this.reminders(tx).insertOne({
        _id: id,
        appointmentId: appointment._id,
        offsetMinutes: offset,
        sequence,
        dueAt: new Date(appointment.startsAt.getTime() - offset * 60_000),
        startsAt: appointment.startsAt,
        status: 'due',
        createdAt: now,
        updatedAt: now,
      });
    }
  }

  /** Inside the cancellation's (or the move's) transaction: what is still due will not be sent. */
  async drop(tx: Store, appointmentId: string): Promise<void> {
    const now = this.clock.now();
    for (const reminder of await this.reminders(tx).findAll({ appointmentId, status: 'due' }))
      await this.reminders(tx).updateOne(
        { _id: reminder._id, status: 'due' },
        { $set: { status: 'dropped', updatedAt: now } },
      );
  }

  /** The job: every due reminder is sent (or, once the appointment has started, skipped) exactly once. */
  async sendDue(): Promise<{ sent: number; skipped: number }> {
    const now = this.clock.now();
    const result = { sent: 0, skipped: 0 };
    const due = await this.reminders(this.store).findAll(
      { status: 'due', dueAt: { $lte: now } },
      { sort: { dueAt: 1 }, limit: BATCH },
    );
    for (const reminder of due) {
      if (reminder.startsAt <= now) {
        if (await this.claim(this.store, reminder, 'skipped', now)) result.skipped++;
        continue;
      }
      const appointment = await this.appointments.findById(reminder.appointmentId);
      const parties = appointment ? await this.mail.parties(appointment) : null;
      const sent = await this.outbox.transaction(async (tx, outbox) => {
        if (!(await this.claim(tx, reminder, 'sent', now))) return false;
        if (appointment?.status === 'confirmed' && parties)
          for (const draft of this.mail.reminders(parties, appointment, now)) await outbox.enqueue(draft);
        return true;
      });
      if (sent) result.sent++;
    }
    if (result.sent || result.skipped) this.logger.info('reminders run', result);
    return result;
  }

  private async claim(
    store: Store,
    reminder: ReminderDoc,
    to: 'sent' | 'skipped',
    now: Date,
  ): Promise<boolean> {
    return this.reminders(store).updateOne(
      { _id: reminder._id, status: 'due' },
      { $set: { status: to, updatedAt: now } },
    );
  }
}
