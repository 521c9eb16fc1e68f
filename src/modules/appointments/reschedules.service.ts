import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { AppError, ConflictError, NotFoundError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import type { Role } from '../users/users.model.ts';
import type { AppointmentMail } from './appointment-mail.ts';
import { type AppointmentDoc, isLapsedHold } from './appointments.model.ts';
import type { AppointmentsRepository } from './appointments.repository.ts';

export interface RescheduleRules {
  /** `RESCHEDULE_CUTOFF_HOURS`. */
  cutoffHours: number;
  /** `MAX_RESCHEDULES`. */
  maxReschedules: number;
}

/** Written in the move's transaction: the reminders follow the appointment to its new time. */
export interface ReminderArming {
  arm(tx: Store, appointment: AppointmentDoc): Promise<void>;
}

const notReschedulable = (status: string, why: string) =>
  new ConflictError('APPOINTMENT_NOT_RESCHEDULABLE', why, { status });
const slotUnavailable = () => new ConflictError('SLOT_UNAVAILABLE', 'The slot cannot be booked now');
const notEligible = (why: string) => new AppError(422, 'SLOT_NOT_ELIGIBLE', why);

/** Moving a confirmed appointment to another open slot of its doctor, and its current calendar invite. */
export class ReschedulesService {
  constructor(
    private readonly deps: {
      outbox: OutboxService;
      appointments: AppointmentsRepository;
      slots: SlotsRepository;
      mail: AppointmentMail;
      reminders: ReminderArming;
      clock: Clock;
      logger: Logger;
      rules: RescheduleRules;
    },
  ) {}

  /**
   * One transaction: claim the new slot (open, or held by a lapsed hold, which expires), move the
   * appointment (conditional on its current slot), reopen the old slot, enqueue both alerts and re-arm
   * the reminders. Anything refused rolls all of it back: the original booking stays intact.
   */
  async reschedule(patientId: string, appointmentId: string, slotId: string): Promise<AppointmentDoc> {
    const { appointments, slots, rules } = this.deps;
    const existing = await appointments.findById(appointmentId);
    if (!existing || existing.patientId !== patientId)
      throw new NotFoundError('No such appointment', 'APPOINTMENT_NOT_FOUND');
    const now = this.deps.clock.now();
    const status = isLapsedHold(existing, now) ? 'expired' : existing.status;
    if (status !== 'confirmed')
      throw notReschedulable(status, `Only a confirmed appointment can be moved; this one is ${status}`);
    if (existing.startsAt.getTime() - now.getTime() < rules.cutoffHours * 3_600_000)
      throw notReschedulable(status, `It can be moved until ${rules.cutoffHours} h before its start`);
    const done = existing.reschedules ?? 0;
    if (done >= rules.maxReschedules)
      throw notReschedulable(status, `It was moved ${done} times already, the most allowed`);
    if (slotId === existing.slotId) throw notEligible('The appointment is on this slot already');
    const target = await slots.findById(slotId);
    if (!target) throw slotUnavailable();
    if (target.doctorId !== existing.doctorId) throw notEligible('The slot is of another doctor');
    if (target.startsAt <= now) throw notEligible('The slot has already started');

    const parties = await this.deps.mail.parties(existing);
    const moved = await this.deps.outbox.transaction(async (tx, outbox) => {
      const txAppointments = appointments.within(tx);
      const txSlots = slots.within(tx);
      for (const other of await txAppointments.findActiveOnSlot(slotId, existing._id))
        if (isLapsedHold(other, now)) await txAppointments.markExpired(other._id, now);
      if (!(await txSlots.bookForMove(slotId, existing.doctorId, existing._id, now))) throw slotUnavailable();
      const moved = await txAppointments.moveToSlot(
        existing._id,
        existing.slotId,
        done,
        target,
        (existing.sequence ?? 0) + 1,
        now,
      );
      if (!moved) throw notReschedulable('confirmed', 'The appointment changed meanwhile; read it again');
      if (!(await txSlots.reopen(existing.slotId, existing._id, now)))
        throw new Error(`slot ${existing.slotId} is not booked by ${existing._id}`);
      if (parties)
        for (const draft of this.deps.mail.moved(parties, moved, existing.startsAt, now))
          await outbox.enqueue(draft);
      await this.deps.reminders.arm(tx, moved);
      return moved;
    });
    this.deps.logger.info('appointment moved', { appointmentId, from: existing.slotId, to: slotId });
    return moved;
  }

  /** The invite as it stands now, for its patient or its doctor (anyone else: 404). */
  async invite(viewer: { id: string; role: Role }, appointmentId: string): Promise<string> {
    const appointment = await this.deps.appointments.findById(appointmentId);
    const parties = appointment ? await this.deps.mail.parties(appointment) : null;
    if (
      !appointment ||
      !parties ||
      (appointment.patientId !== viewer.id && appointment.doctorId !== viewer.id) ||
      (appointment.status !== 'confirmed' && !(appointment.status === 'cancelled' && appointment.cancelledBy))
    )
      throw new NotFoundError('No such appointment', 'APPOINTMENT_NOT_FOUND');
    return this.deps.mail.invite(parties, appointment, viewer.id);
  }
}
