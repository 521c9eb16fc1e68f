import { type Static, Type } from '@sinclair/typebox';
import { type PaymentGateway, PaymentProviderError } from '../../../providers/payments/port.ts';
import type { OutboxFailure, OutboxHandler } from '../outbox.handler.ts';
import type { OutboxDraft } from '../outbox.model.ts';

export const RazorpayRefundPayload = Type.Object(
  {
    paymentId: Type.String(),
    gatewayPaymentId: Type.String(),
    amountPaise: Type.Integer({ minimum: 1 }),
    /** A cancellation's refund record (absent for a late capture's refund). */
    refundId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type RazorpayRefundPayload = Static<typeof RazorpayRefundPayload>;

export const razorpayRefundDraft = (payload: RazorpayRefundPayload): OutboxDraft => ({
  kind: 'razorpay_refund',
  recipient: payload.gatewayPaymentId,
  subject: `Refund of ${payload.amountPaise} paise for payment ${payload.paymentId}`,
  payload,
});

/**
 * Refunds a captured gateway payment once: the record id is the refund's receipt, so a retry after a
 * crash (the refund made, the record not yet marked sent) finds the earlier refund instead of making another.
 */
export class RazorpayRefundHandler implements OutboxHandler<RazorpayRefundPayload> {
  readonly kind = 'razorpay_refund' as const;
  readonly payload = RazorpayRefundPayload;

  constructor(private readonly gateway: PaymentGateway) {}

  async perform(payload: RazorpayRefundPayload, record: { id: string }): Promise<void> {
    const earlier = await this.gateway.refunds(payload.gatewayPaymentId);
    if (earlier.some((refund) => refund.receipt === record.id)) return;
    await this.gateway.refund(payload.gatewayPaymentId, payload.amountPaise, record.id);
  }

  classify(error: unknown): OutboxFailure {
    if (error instanceof PaymentProviderError)
      return { permanent: !error.unavailable, message: error.message };
    return { permanent: false, message: error instanceof Error ? error.name : 'unknown error' };
  }
}
