import { rupees } from './appointment-booked.ts';
import { p, renderEmail } from './layout.ts';

/** What a cancellation gives back, and where it goes, with the policy rule that applied. */
export function refundNoticeEmail(data: {
  reader: { name: string; email: string };
  amountPaise: number;
  walletPaise: number;
  gatewayPaise: number;
  reason: string;
  refundId: string;
}) {
  const lines =
    data.amountPaise === 0
      ? [p`No refund is due: ${data.reason}.`]
      : [
          p`Refund ${data.refundId}: ${rupees(data.amountPaise)} (${data.reason}).`,
          ...(data.walletPaise > 0 ? [p`${rupees(data.walletPaise)} is back in your wallet now.`] : []),
          ...(data.gatewayPaise > 0
            ? [
                p`${rupees(data.gatewayPaise)} goes back to where you paid from; banks usually show it within 5-7 working days.`,
              ]
            : []),
        ];
  return renderEmail(data.reader.email, {
    subject: `Refund for your cancelled appointment: ${rupees(data.amountPaise)}`,
    greeting: p`Hello ${data.reader.name},`,
    body: lines,
  });
}

/** A gateway refund was processed, or failed and is being looked at by our team. */
export function refundOutcomeEmail(data: {
  reader: { name: string; email: string };
  gatewayPaise: number;
  refundId: string;
  processed: boolean;
}) {
  return renderEmail(data.reader.email, {
    subject: data.processed ? 'Your refund is processed' : 'Your refund needs our attention',
    greeting: p`Hello ${data.reader.name},`,
    body: data.processed
      ? [p`Refund ${data.refundId} of ${rupees(data.gatewayPaise)} is processed by the bank.`]
      : [p`Refund ${data.refundId} of ${rupees(data.gatewayPaise)} failed at the bank; our team retries it.`],
  });
}
