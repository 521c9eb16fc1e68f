import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';
import { ID_PATTERN } from '../../shared/ids.ts';
import { literalUnion } from '../../shared/literal-union.ts';
import { Appointment } from '../appointments/appointments.model.ts';
import { Wallet } from '../wallet/wallet.model.ts';

/**
 * Payment states, each change one conditional write on the expected state:
 *   created    -> applied     captured at the gateway (checked there) and it confirmed its appointment or
 *                             credited the wallet, in the same transaction (a wallet checkout is born applied)
 *   created    -> refunded    captured too late (hold lapsed, slot taken, appointment already paid): the
 *                             whole gateway amount is refunded through the outbox
 *   created    -> failed      the gateway said the attempt failed
 *   created    -> superseded  a newer checkout for the same appointment replaced it, or the hold was cancelled
 *   failed | superseded -> applied | refunded   a late capture of that order (an order never moves back from paid)
 *   applied    -> refunded | partially_refunded   its appointment was cancelled and all (or part) of the
 *                             amount refunded (a `refunds` record, refunds.model.ts)
 * A second capture of an order already paid is its own payment (`captureOf`), born `refunded` in full.
 * `captured` is reserved. The wallet part of a hybrid
 * attempt is reserved while `created` (`reservation: held`), and released exactly once when the attempt
 * fails, is superseded or its hold lapses, or settled into a debit when the gateway part is applied.
 */
export const PAYMENT_STATUSES = [
  'created',
  'captured',
  'applied',
  'refunded',
  'partially_refunded',
  'failed',
  'superseded',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const PAYMENT_TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  created: ['applied', 'refunded', 'failed', 'superseded'],
  captured: ['applied', 'refunded'],
  applied: ['refunded', 'partially_refunded'],
  refunded: [],
  partially_refunded: [],
  failed: ['applied', 'refunded'],
  superseded: ['applied', 'refunded'],
};
export const canPaymentMove = (from: PaymentStatus, to: PaymentStatus): boolean =>
  PAYMENT_TRANSITIONS[from].includes(to);
/** States a late capture can still be recorded from. */
export const UNPAID_PAYMENT_STATUSES = ['created', 'failed', 'superseded'] as const satisfies PaymentStatus[];

export const PAYMENT_METHODS = ['wallet', 'razorpay', 'hybrid'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const PAYMENT_PURPOSES = ['appointment', 'topup'] as const;
export const RESERVATION_STATES = ['held', 'released', 'settled'] as const;

/** Razorpay's smallest order: 100 paise. */
export const GATEWAY_MIN_PAISE = 100;
export const PAYMENT_PAGE_DEFAULT = 20;
export const PAYMENT_PAGE_MAX = 100;

const Refund = Type.Object(
  {
    amountPaise: Type.Integer({ minimum: 1 }),
    reason: Type.String(),
    /** The outbox record that asks the gateway for it. */
    outboxId: Type.String(),
    requestedAt: Type.Date(),
    /** The cancellation's refund record this gateway refund belongs to (absent for a late capture's). */
    refundId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const PaymentDoc = Type.Object(
  {
    _id: Type.String(),
    userId: Type.String(),
    purpose: literalUnion(PAYMENT_PURPOSES),
    appointmentId: Type.Optional(Type.String()),
    method: literalUnion(PAYMENT_METHODS),
    amountPaise: Type.Integer({ minimum: 0 }),
    walletPaise: Type.Integer({ minimum: 0 }),
    gatewayPaise: Type.Integer({ minimum: 0 }),
    status: literalUnion(PAYMENT_STATUSES),
    /** The wallet part's reservation (hybrid only). */
    reservation: Type.Optional(literalUnion(RESERVATION_STATES)),
    /** Present (true) while `created` with an order (the reconciliation scan selects on it). */
    awaiting: Type.Optional(Type.Literal(true)),
    orderId: Type.Optional(Type.String()),
    gatewayPaymentId: Type.Optional(Type.String()),
    /** Until when the appointment's hold lasts (appointment payments). */
    holdExpiresAt: Type.Optional(Type.Date()),
    /** The checkout's Idempotency-Key, so a retry after an unreachable gateway reuses this attempt. */
    idempotencyKey: Type.Optional(Type.String()),
    refunds: Type.Array(Refund),
    /**
     * Set on the record of an extra capture: a second gateway payment on the order of this attempt id,
     * which was already paid; such a record is born `refunded` in full.
     */
    captureOf: Type.Optional(Type.String()),
    /** Why a late capture was refunded or a wallet part released, for the receipt. */
    note: Type.Optional(Type.String()),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
    appliedAt: Type.Optional(Type.Date()),
    failedAt: Type.Optional(Type.Date()),
    supersededAt: Type.Optional(Type.Date()),
    refundedAt: Type.Optional(Type.Date()),
  },
  { additionalProperties: false },
);
export type PaymentDoc = Static<typeof PaymentDoc>;

export const Payments = defineCollection({
  name: 'payments',
  schema: PaymentDoc,
  indexes: [
    { keys: { orderId: 1 }, unique: true, partial: { orderId: { $exists: true } }, name: 'payments__order' },
    {
      keys: { gatewayPaymentId: 1 },
      unique: true,
      partial: { gatewayPaymentId: { $exists: true } },
      name: 'payments__gateway_payment',
    },
    // Lookups by order id and by gateway payment id (a partial index cannot serve queries with bound
    // parameters on SQLite: without the second, each capture, verify and refund event read every payment).
    { keys: { orderId: 1 } },
    { keys: { gatewayPaymentId: 1 } },
    { keys: { appointmentId: 1, status: 1 } },
    { keys: { userId: 1, _id: -1 } },
    { keys: { userId: 1, idempotencyKey: 1 } },
    { keys: { status: 1, _id: -1 } },
    { keys: { awaiting: 1, createdAt: 1 } },
    { keys: { reservation: 1, holdExpiresAt: 1 } },
  ],
});

/** A webhook event id seen and handled: a redelivery is answered 200 and changes nothing. */
export const WebhookEventDoc = Type.Object(
  { _id: Type.String(), event: Type.String(), receivedAt: Type.Date() },
  { additionalProperties: false },
);
export type WebhookEventDoc = Static<typeof WebhookEventDoc>;
export const WebhookEvents = defineCollection({
  name: 'webhook_events',
  schema: WebhookEventDoc,
  indexes: [],
});

const Instant = t.String({ description: 'ISO 8601 instant, UTC' });
const NullableInstant = t.Union([Instant, t.Null()]);

export const Payment = t.Object(
  {
    id: t.String({ description: 'Also the receipt id (the gateway order receipt)' }),
    purpose: literalUnion(PAYMENT_PURPOSES),
    appointmentId: t.Union([t.String(), t.Null()]),
    method: literalUnion(PAYMENT_METHODS),
    amountPaise: Type.Integer(),
    walletPaise: Type.Integer(),
    gatewayPaise: Type.Integer(),
    currency: t.Literal('INR'),
    status: literalUnion(PAYMENT_STATUSES),
    orderId: t.Union([t.String(), t.Null()]),
    gatewayPaymentId: t.Union([t.String(), t.Null()]),
    refunds: t.Array(t.Object({ amountPaise: Type.Integer(), reason: t.String(), requestedAt: Instant })),
    note: t.Union([t.String(), t.Null()]),
    createdAt: Instant,
    updatedAt: Instant,
    appliedAt: NullableInstant,
    failedAt: NullableInstant,
    refundedAt: NullableInstant,
  },
  { title: 'Payment' },
);
export type Payment = Static<typeof Payment>;

export const GatewayOrderView = t.Object(
  { id: t.String(), amountPaise: Type.Integer(), currency: t.Literal('INR') },
  { title: 'GatewayOrder' },
);

export const PaymentEnvelope = t.Object({ payment: Payment });
export const WalletCheckoutResult = t.Object({ payment: Payment, appointment: Appointment });
export const GatewayCheckoutResult = t.Object({
  payment: Payment,
  order: GatewayOrderView,
  keyId: t.String({ description: 'Open Razorpay Checkout with this key' }),
});
export const VerifyResult = t.Object({
  payment: Payment,
  appointment: t.Optional(Appointment),
  wallet: t.Optional(Wallet),
});
export const PaymentPage = t.Object({ items: t.Array(Payment), nextCursor: t.Union([t.String(), t.Null()]) });

export const CheckoutBody = t.Object({
  appointmentId: t.String({ pattern: ID_PATTERN }),
  method: literalUnion(PAYMENT_METHODS),
  walletPaise: t.Optional(
    Type.Integer({
      minimum: 1,
      description: `Hybrid only: the wallet part, in paise, from 1 to the fee less ${GATEWAY_MIN_PAISE} (Razorpay's smallest order, left to the gateway); defaults to as much as the wallet covers`,
    }),
  ),
});
export type CheckoutBody = Static<typeof CheckoutBody>;

export const VerifyBody = t.Object({
  razorpay_order_id: t.String({ minLength: 1, maxLength: 64 }),
  razorpay_payment_id: t.String({ minLength: 1, maxLength: 64 }),
  razorpay_signature: t.String({ minLength: 1, maxLength: 256 }),
});
export type VerifyBody = Static<typeof VerifyBody>;

export const TopupBody = t.Object({ amountPaise: Type.Integer({ minimum: GATEWAY_MIN_PAISE }) });

export const PaymentIdParams = t.Object({ id: t.String({ pattern: ID_PATTERN }) });
export const PaymentsQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: PAYMENT_PAGE_MAX, default: PAYMENT_PAGE_DEFAULT })),
  cursor: t.Optional(t.String({ maxLength: 2048 })),
});
export const AdminPaymentsQuery = t.Object({
  status: t.Optional(literalUnion(PAYMENT_STATUSES)),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: PAYMENT_PAGE_MAX, default: PAYMENT_PAGE_DEFAULT })),
  cursor: t.Optional(t.String({ maxLength: 2048 })),
});

export const AuditReport = t.Object(
  {
    ok: t.Boolean(),
    checked: t.Object({
      wallets: Type.Integer(),
      payments: Type.Integer(),
      appointments: Type.Integer(),
      slots: Type.Integer(),
    }),
    violations: t.Array(
      t.Object({
        invariant: t.String(),
        ref: t.Object({ type: t.String(), id: t.String() }),
        detail: t.String(),
      }),
    ),
  },
  { title: 'PaymentsAudit' },
);
export type AuditReport = Static<typeof AuditReport>;

export const DevPayBody = t.Object({
  outcome: t.Union([t.Literal('success'), t.Literal('failure')]),
  webhook: t.Optional(t.Boolean({ default: true })),
});
export const DevPayResult = t.Object({
  razorpay_order_id: t.Optional(t.String()),
  razorpay_payment_id: t.Optional(t.String()),
  razorpay_signature: t.Optional(t.String()),
});

const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;

export const toPayment = (doc: PaymentDoc): Payment => ({
  id: doc._id,
  purpose: doc.purpose,
  appointmentId: doc.appointmentId ?? null,
  method: doc.method,
  amountPaise: doc.amountPaise,
  walletPaise: doc.walletPaise,
  gatewayPaise: doc.gatewayPaise,
  currency: 'INR',
  status: doc.status,
  orderId: doc.orderId ?? null,
  gatewayPaymentId: doc.gatewayPaymentId ?? null,
  refunds: doc.refunds.map((r) => ({
    amountPaise: r.amountPaise,
    reason: r.reason,
    requestedAt: r.requestedAt.toISOString(),
  })),
  note: doc.note ?? null,
  createdAt: doc.createdAt.toISOString(),
  updatedAt: doc.updatedAt.toISOString(),
  appliedAt: iso(doc.appliedAt),
  failedAt: iso(doc.failedAt),
  refundedAt: iso(doc.refundedAt),
});
