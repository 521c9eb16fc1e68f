import { type AppointmentEmailData, appointmentInvite } from './appointment.ts';
import { formatInZone, p, renderEmail } from './layout.ts';

/** A booking is confirmed; the invite adds it to the reader's calendar. */
export function appointmentBookedEmail(data: AppointmentEmailData) {
  const { reader, counterpart, appointment } = data;
  const when = formatInZone(appointment.startsAt, reader.timeZone);
  return renderEmail(reader.email, {
    subject: `Appointment confirmed: ${when}`,
    greeting: p`Hello ${reader.name},`,
    body: [
      p`Your consultation with ${counterpart.name} is confirmed for ${when}.`,
      p`The attached invite adds it to your calendar.`,
    ],
    attachments: [appointmentInvite(data, 'REQUEST')],
  });
}
