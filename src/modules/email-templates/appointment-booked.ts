import { type AppointmentEmailData, appointmentInvite } from './appointment.ts';
import { formatInZone, p, renderEmail } from './layout.ts';

/** What the patient paid, for the receipt lines of the confirmation. */
export interface PaymentReceipt {
  amountPaise: number;
  receiptId: string;
}

export const rupees = (paise: number): string => `INR ${(paise / 100).toFixed(2)}`;

/** A booking is confirmed; the invite adds it to the reader's calendar. */
export function appointmentBookedEmail(data: AppointmentEmailData & { payment?: PaymentReceipt }) {
  const { reader, counterpart, appointment, payment } = data;
  const when = formatInZone(appointment.startsAt, reader.timeZone);
  return renderEmail(reader.email, {
    subject: `Appointment confirmed: ${when}`,
    greeting: p`Hello ${reader.name},`,
    body: [
      p`Your consultation with ${counterpart.name} is confirmed for ${when}.`,
      ...(payment ? [p`Paid: ${rupees(payment.amountPaise)}. Receipt: ${payment.receiptId}.`] : []),
      p`The attached invite adds it to your calendar.`,
    ],
    attachments: [appointmentInvite(data, 'REQUEST')],
  });
}
