import type { AppointmentEmailData } from './appointment.ts';
import { formatInZone, p, renderEmail } from './layout.ts';

/** The appointment is coming up. */
export function appointmentReminderEmail(data: AppointmentEmailData) {
  const when = formatInZone(data.appointment.startsAt, data.reader.timeZone);
  return renderEmail(data.reader.email, {
    subject: `Reminder: consultation on ${when}`,
    greeting: p`Hello ${data.reader.name},`,
    body: [p`Your consultation with ${data.counterpart.name} is on ${when}.`],
  });
}
