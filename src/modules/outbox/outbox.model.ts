import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';
import { literalUnion } from '../../shared/literal-union.ts';

/**
 * Outbox states, each change one conditional write on the expected state:
 *   queued  -> sending   claimed by a deliverer: due (`nextAttemptAt <= now`), lease until now + lease
 *   sending -> sending   claimed again once the lease lapsed (the previous deliverer crashed or hung)
 *   sending -> sent      the handler succeeded (sensitive bodies are erased in the same write)
 *   sending -> queued    a transient failure with attempts left: due again after a backoff
 *   sending -> failed    a permanent refusal, or the last attempt failed (parked with the last error)
 *   queued  -> failed    a sensitive message whose code expired before delivery (housekeeping)
 *   failed  -> queued    an admin's retry (only while the body is still there)
 * `sent` is final; housekeeping deletes sent records after OUTBOX_KEEP_DAYS. Nothing unsent is deleted.
 */
export const OUTBOX_STATUSES = ['queued', 'sending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
export const OUTBOX_TRANSITIONS: Readonly<Record<OutboxStatus, readonly OutboxStatus[]>> = {
  queued: ['sending', 'failed'],
  sending: ['sending', 'sent', 'queued', 'failed'],
  sent: [],
  failed: ['queued'],
};
export const canOutboxMove = (from: OutboxStatus, to: OutboxStatus): boolean =>
  OUTBOX_TRANSITIONS[from].includes(to);

/** What the outbox carries. Each kind has its own handler: an email, a report analysis, a Razorpay refund. */
export const OUTBOX_KINDS = ['email', 'analyze_report', 'razorpay_refund'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

const OutboxStatusSchema = literalUnion(OUTBOX_STATUSES);
const OutboxKindSchema = literalUnion(OUTBOX_KINDS);

export const OutboxDoc = Type.Object(
  {
    _id: Type.String(),
    kind: OutboxKindSchema,
    /** Who it is for (an email address), shown to admins. */
    recipient: Type.String(),
    /** A one-line description shown to admins (an email's subject); never a secret. */
    subject: Type.String(),
    /** The handler's payload as JSON; absent once erased. */
    body: Type.Optional(Type.String()),
    /** The body holds a secret (a one-time code): erased once sent, parked or past `eraseAt`. */
    sensitive: Type.Boolean(),
    /** When a sensitive body is worth nothing any more (the code's expiry). */
    eraseAt: Type.Optional(Type.Date()),
    erasedAt: Type.Optional(Type.Date()),
    status: OutboxStatusSchema,
    /** Attempts started (each claim counts one). */
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: Type.Date(),
    /** While `sending`: until when the claiming deliverer owns the record. */
    leaseUntil: Type.Optional(Type.Date()),
    /** The provider's message of the last failure, never the body. */
    lastError: Type.Optional(Type.String({ maxLength: 500 })),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
    sentAt: Type.Optional(Type.Date()),
  },
  { additionalProperties: false },
);
export type OutboxDoc = Static<typeof OutboxDoc>;

export const Outbox = defineCollection({
  name: 'outbox',
  schema: OutboxDoc,
  indexes: [
    // Due queued records, and leases that lapsed.
    { keys: { status: 1, nextAttemptAt: 1 } },
    { keys: { status: 1, leaseUntil: 1 } },
    // Sensitive bodies to erase, sent records to purge.
    { keys: { status: 1, eraseAt: 1 } },
    { keys: { status: 1, sentAt: 1 } },
    // The admin listing, newest first, by status and kind.
    { keys: { createdAt: -1 } },
    { keys: { status: 1, kind: 1, createdAt: -1 } },
  ],
});

/** A record to write: the kind's payload, who it is for, and whether it holds a secret until when. */
export interface OutboxDraft {
  kind: OutboxKind;
  recipient: string;
  subject: string;
  payload: unknown;
  sensitive?: { until: Date };
}

export const OutboxItem = t.Object({
  id: t.String(),
  kind: OutboxKindSchema,
  recipient: t.String(),
  subject: t.String(),
  status: OutboxStatusSchema,
  attempts: t.Integer(),
  nextAttemptAt: t.String({ format: 'date-time' }),
  lastError: t.Union([t.String(), t.Null()]),
  createdAt: t.String({ format: 'date-time' }),
  sentAt: t.Union([t.String({ format: 'date-time' }), t.Null()]),
});
export type OutboxItem = Static<typeof OutboxItem>;

export const OutboxListQuery = t.Object(
  {
    status: t.Optional(OutboxStatusSchema),
    kind: t.Optional(OutboxKindSchema),
    limit: t.Optional(t.Numeric({ minimum: 1, maximum: 100, multipleOf: 1 })),
    cursor: t.Optional(t.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const OutboxPage = t.Object({
  items: t.Array(OutboxItem),
  nextCursor: t.Union([t.String(), t.Null()]),
});

export const OutboxStats = t.Object({
  counts: t.Object({
    queued: t.Integer({ minimum: 0 }),
    sending: t.Integer({ minimum: 0 }),
    sent: t.Integer({ minimum: 0 }),
    failed: t.Integer({ minimum: 0 }),
  }),
  oldestQueuedAgeSeconds: t.Union([t.Integer({ minimum: 0 }), t.Null()], {
    description: 'Seconds since the oldest queued record was written; null when none is queued',
  }),
});
export type OutboxStats = Static<typeof OutboxStats>;

export const toOutboxItem = (doc: OutboxDoc): OutboxItem => ({
  id: doc._id,
  kind: doc.kind,
  recipient: doc.recipient,
  subject: doc.subject,
  status: doc.status,
  attempts: doc.attempts,
  nextAttemptAt: doc.nextAttemptAt.toISOString(),
  lastError: doc.lastError ?? null,
  createdAt: doc.createdAt.toISOString(),
  sentAt: doc.sentAt?.toISOString() ?? null,
});
