import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';

/**
 * One `Idempotency-Key` of one user: `in_progress` while the first request runs (a lease), then
 * `completed` with the response every retry gets back. Failed requests delete their record so a retry
 * runs again. Records live 24 hours.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** An `in_progress` record older than this belongs to a request that died; another may take it over. */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;

export const IdempotencyDoc = Type.Object(
  {
    _id: Type.String(),
    userId: Type.String(),
    key: Type.String({ minLength: 1, maxLength: 255 }),
    /** The operation, e.g. `POST /appointments`: a key used on another operation is a reuse. */
    scope: Type.String(),
    /** sha256 of the operation and its canonical request body. */
    requestHash: Type.String(),
    state: Type.Union([Type.Literal('in_progress'), Type.Literal('completed')]),
    /** Changes whenever a request takes the record; completing or releasing checks it. */
    leaseId: Type.String(),
    leaseExpiresAt: Type.Date(),
    response: Type.Optional(Type.Object({ status: Type.Integer(), body: Type.String() })),
    expiresAt: Type.Date(),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type IdempotencyDoc = Static<typeof IdempotencyDoc>;

export const IdempotencyKeys = defineCollection({
  name: 'idempotency_keys',
  schema: IdempotencyDoc,
  indexes: [{ keys: { userId: 1, key: 1 }, unique: true }, { keys: { expiresAt: 1 } }],
});

/** The request header of an idempotent route (`{ idempotent }`): a route declares it as its `headers`. */
export const IdempotencyHeaders = t.Object(
  {
    'idempotency-key': t.Optional(
      t.String({
        minLength: 1,
        maxLength: 255,
        pattern: '^[\\x21-\\x7E]+$',
        description: 'Retries with the same key and body within 24 h return the first response',
      }),
    ),
  },
  // Other headers (authorization among them) pass through untouched.
  { additionalProperties: true },
);
