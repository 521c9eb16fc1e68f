import { type AppointmentEmailData, appointmentInvite } from './appointment.ts';
import { formatInZone, p, renderEmail } from './layout.ts';

/** An appointment moved to another time; the invite (same UID, higher SEQUENCE) updates the calendar. */
export function appointmentMovedEmail(data: AppointmentEmailData & { previousStartsAt: Date }) {
  const { reader, counterpart, appointment } = data;
  const when = formatInZone(appointment.startsAt, reader.timeZone);
  const before = formatInZone(data.previousStartsAt, reader.timeZone);
  return renderEmail(reader.email, {
    subject: `Appointment moved to ${when}`,
    greeting: p`Hello ${reader.name},`,
    body: [
      p`Your consultation with ${counterpart.name} moved from ${before} to ${when}.`,
      p`The attached invite updates your calendar.`,
    ],
    attachments: [appointmentInvite(data, 'REQUEST')],
  });
}
