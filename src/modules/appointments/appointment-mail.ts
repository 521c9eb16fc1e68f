import { type AppointmentEmailData, appointmentInvite } from '../email-templates/appointment.ts';
import { appointmentBookedEmail, type PaymentReceipt } from '../email-templates/appointment-booked.ts';
import { appointmentCancelledEmail } from '../email-templates/appointment-cancelled.ts';
import { appointmentMovedEmail } from '../email-templates/appointment-moved.ts';
import { appointmentReminderEmail } from '../email-templates/appointment-reminder.ts';
import { emailDraft } from '../outbox/handlers/email.ts';
import type { OutboxDraft } from '../outbox/outbox.model.ts';
import type { UserDoc } from '../users/users.model.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import type { AppointmentDoc } from './appointments.model.ts';

export const parseFrom = (from: string): { name: string; email: string } => {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(from);
  return match
    ? { name: match[1] || 'HealthVision', email: match[2]! }
    : { name: 'HealthVision', email: from.trim() };
};

/** The two readers of an appointment's emails, read before the transaction that enqueues them. */
export interface Parties {
  patient: UserDoc;
  doctor: UserDoc;
}

/**
 * The appointment's emails to its patient and its doctor, each with the invite (one UID, the
 * appointment's `sequence`) and times in the reader's zone.
 */
export class AppointmentMail {
  constructor(
    private readonly users: UsersRepository,
    private readonly emailFrom: string,
    private readonly defaultTimeZone: string,
  ) {}

  async parties(appointment: AppointmentDoc): Promise<Parties | null> {
    const [patient, doctor] = await Promise.all([
      this.users.findById(appointment.patientId),
      this.users.findById(appointment.doctorId),
    ]);
    return patient && doctor ? { patient, doctor } : null;
  }

  /** The invite data for each reader: the patient's counterpart is the doctor, and back. */
  private each(parties: Parties, appointment: AppointmentDoc, at: Date): AppointmentEmailData[] {
    const data = (reader: UserDoc, counterpart: UserDoc): AppointmentEmailData => ({
      reader: { name: reader.name, email: reader.email, timeZone: reader.timezone ?? this.defaultTimeZone },
      counterpart: { name: counterpart.name, email: counterpart.email },
      organizer: parseFrom(this.emailFrom),
      appointment: {
        id: appointment._id,
        startsAt: appointment.startsAt,
        endsAt: appointment.endsAt,
        sequence: appointment.sequence ?? 0,
      },
      at,
    });
    return [data(parties.patient, parties.doctor), data(parties.doctor, parties.patient)];
  }

  booked(parties: Parties, appointment: AppointmentDoc, at: Date, payment?: PaymentReceipt): OutboxDraft[] {
    const [patient, doctor] = this.each(parties, appointment, at);
    return [
      emailDraft(appointmentBookedEmail({ ...patient!, ...(payment ? { payment } : {}) })),
      emailDraft(appointmentBookedEmail(doctor!)),
    ];
  }

  moved(parties: Parties, appointment: AppointmentDoc, previousStartsAt: Date, at: Date): OutboxDraft[] {
    return this.each(parties, appointment, at).map((data) =>
      emailDraft(appointmentMovedEmail({ ...data, previousStartsAt })),
    );
  }

  cancelled(
    parties: Parties,
    appointment: AppointmentDoc,
    reason: string | undefined,
    at: Date,
  ): OutboxDraft[] {
    return this.each(parties, appointment, at).map((data) =>
      emailDraft(appointmentCancelledEmail({ ...data, reason })),
    );
  }

  reminders(parties: Parties, appointment: AppointmentDoc, at: Date): OutboxDraft[] {
    return this.each(parties, appointment, at).map((data) => emailDraft(appointmentReminderEmail(data)));
  }

  /** The current invite for `reader` (the patient or the doctor): CANCEL once cancelled, else REQUEST. */
  invite(parties: Parties, appointment: AppointmentDoc, readerId: string): string {
    const [patient, doctor] = this.each(parties, appointment, appointment.updatedAt);
    const data = readerId === appointment.doctorId ? doctor! : patient!;
    return appointmentInvite(data, appointment.status === 'cancelled' ? 'CANCEL' : 'REQUEST').content;
  }
}
