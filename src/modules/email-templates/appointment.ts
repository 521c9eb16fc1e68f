import { calendarInvite, type Party } from './calendar-invite.ts';

/** What every appointment email knows: who reads it, in which zone, and the appointment. */
export interface AppointmentEmailData {
  reader: Party & { timeZone: string };
  /** The other side of the appointment (the doctor for a patient, the patient for a doctor). */
  counterpart: Party;
  /** Who the invite comes from: the platform's sending address. */
  organizer: Party;
  appointment: { id: string; startsAt: Date; endsAt: Date; sequence: number };
  /** When the change happened (the invite's DTSTAMP). */
  at: Date;
}

export const appointmentSummary = (counterpart: Party): string =>
  `HealthVision consultation with ${counterpart.name}`;

/** The appointment's invite for its reader: one UID per appointment, the change's SEQUENCE and method. */
export const appointmentInvite = (data: AppointmentEmailData, method: 'REQUEST' | 'CANCEL') =>
  calendarInvite({
    appointmentId: data.appointment.id,
    sequence: data.appointment.sequence,
    method,
    startsAt: data.appointment.startsAt,
    endsAt: data.appointment.endsAt,
    summary: appointmentSummary(data.counterpart),
    description: `Consultation with ${data.counterpart.name}${method === 'CANCEL' ? ' (cancelled)' : ''}`,
    organizer: data.organizer,
    attendee: data.reader,
    stampedAt: data.at,
  });
