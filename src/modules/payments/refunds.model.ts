import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';
import { ID_PATTERN } from '../../shared/ids.ts';
import { literalUnion } from '../../shared/literal-union.ts';

/**
 * Refund states of a cancelled appointment's payment, each change one conditional write:
 *   pending   -> processed   Razorpay reported the gateway part refunded (`refund.processed`)
 *   pending   -> failed      Razorpay reported it failed (`refund.failed`): listed for admins
 *   failed    -> pending     an admin retries it, once (a new outbox request with a new receipt)
 * A refund with no gateway part is born `processed` (the wallet is credited in the cancellation's transaction).
 */
export const REFUND_STATUSES = ['pending', 'processed', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
export const REFUND_TRANSITIONS: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = {
  pending: ['processed', 'failed'],
  processed: [],
  failed: ['pending'],
};
export const canRefundMove = (from: RefundStatus, to: RefundStatus): boolean =>
  REFUND_TRANSITIONS[from].includes(to);
/** An admin may retry a failed refund this many times. */
export const REFUND_RETRIES_MAX = 1;

/** Which rule of the policy decided the amount. */
export const REFUND_RULES = ['full_notice', 'late_notice', 'after_start', 'doctor', 'admin'] as const;
export type RefundRule = (typeof REFUND_RULES)[number];

export const RefundDoc = Type.Object(
  {
    _id: Type.String(),
    paymentId: Type.String(),
    appointmentId: Type.String(),
    userId: Type.String(),
    /** walletPaise + gatewayPaise: what goes back, by where it goes. */
    amountPaise: Type.Integer({ minimum: 0 }),
    walletPaise: Type.Integer({ minimum: 0 }),
    gatewayPaise: Type.Integer({ minimum: 0 }),
    status: literalUnion(REFUND_STATUSES),
    rule: literalUnion(REFUND_RULES),
    /** The rule in words, as the response and the email state it. */
    reason: Type.String(),
    /** The outbox record asking Razorpay for the gateway part (its id is the refund's receipt). */
    outboxId: Type.Optional(Type.String()),
    gatewayRefundId: Type.Optional(Type.String()),
    retries: Type.Integer({ minimum: 0 }),
    failure: Type.Optional(Type.String()),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
    processedAt: Type.Optional(Type.Date()),
    failedAt: Type.Optional(Type.Date()),
  },
  { additionalProperties: false },
);
export type RefundDoc = Static<typeof RefundDoc>;

export const Refunds = defineCollection({
  name: 'refunds',
  schema: RefundDoc,
  indexes: [
    // One refund per payment, however many cancels race.
    { keys: { paymentId: 1 }, unique: true, name: 'refunds__payment' },
    { keys: { status: 1, _id: -1 } },
  ],
});

const Instant = t.String({ description: 'ISO 8601 instant, UTC' });

export const Refund = t.Object(
  {
    id: t.String(),
    paymentId: t.String(),
    amountPaise: Type.Integer({ description: 'walletPaise + gatewayPaise' }),
    walletPaise: Type.Integer({ description: 'Credited to the wallet at once' }),
    gatewayPaise: Type.Integer({ description: 'Refunded to the card/UPI source through Razorpay' }),
    status: literalUnion(REFUND_STATUSES),
    rule: literalUnion(REFUND_RULES),
    reason: t.String({ description: 'The rule of the refund policy that applied' }),
    createdAt: Instant,
  },
  { title: 'Refund' },
);
export type Refund = Static<typeof Refund>;
export const RefundEnvelope = t.Object({ refund: Refund });
export const RefundPage = t.Object({ items: t.Array(Refund), nextCursor: t.Union([t.String(), t.Null()]) });
export const RefundIdParams = t.Object({ id: t.String({ pattern: ID_PATTERN }) });
export const AdminRefundsQuery = t.Object({
  status: t.Optional(literalUnion(REFUND_STATUSES)),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: t.Optional(t.String({ maxLength: 2048 })),
});

export const toRefund = (doc: RefundDoc): Refund => ({
  id: doc._id,
  paymentId: doc.paymentId,
  amountPaise: doc.amountPaise,
  walletPaise: doc.walletPaise,
  gatewayPaise: doc.gatewayPaise,
  status: doc.status,
  rule: doc.rule,
  reason: doc.reason,
  createdAt: doc.createdAt.toISOString(),
});
