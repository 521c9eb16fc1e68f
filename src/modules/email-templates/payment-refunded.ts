import { rupees } from './appointment-booked.ts';
import { p, renderEmail } from './layout.ts';

/** A payment arrived after its booking could no longer be confirmed: it is refunded in full. */
export function paymentRefundedEmail(data: {
  reader: { name: string; email: string };
  amountPaise: number;
  receiptId: string;
  reason: string;
}) {
  return renderEmail(data.reader.email, {
    subject: 'Your payment is being refunded',
    greeting: p`Hello ${data.reader.name},`,
    body: [
      p`We received your payment of ${rupees(data.amountPaise)} (receipt ${data.receiptId}), but ${data.reason}.`,
      p`The whole amount is being refunded to where it came from; banks usually show it within 5-7 working days.`,
    ],
  });
}
