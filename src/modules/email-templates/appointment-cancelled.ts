import { type AppointmentEmailData, appointmentInvite } from './appointment.ts';
import { formatInZone, p, renderEmail } from './layout.ts';

/** An appointment was cancelled; the METHOD:CANCEL invite removes it from the calendar. */
export function appointmentCancelledEmail(data: AppointmentEmailData & { reason?: string | undefined }) {
  const { reader, counterpart, appointment } = data;
  const when = formatInZone(appointment.startsAt, reader.timeZone);
  return renderEmail(reader.email, {
    subject: `Appointment cancelled: ${when}`,
    greeting: p`Hello ${reader.name},`,
    body: [
      p`Your consultation with ${counterpart.name} on ${when} is cancelled.`,
      ...(data.reason ? [p`Reason: ${data.reason}`] : []),
      p`The attached notice removes it from your calendar.`,
    ],
    attachments: [appointmentInvite(data, 'CANCEL')],
  });
}
