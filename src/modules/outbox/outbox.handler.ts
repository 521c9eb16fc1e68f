import type { TSchema } from '@sinclair/typebox';
import type { OutboxKind } from './outbox.model.ts';

/** How a handler judges its own failure: retry later, or park at once. */
export interface OutboxFailure {
  permanent: boolean;
  /** The provider's message for the admin listing and the log; never the body. */
  message: string;
}

/**
 * Performs one kind of outbox record. `perform` must be safe to repeat with the same `id` (pass it to
 * the provider as its idempotency key): a crash after the provider accepted and before the record was
 * marked sent runs it again.
 */
export interface OutboxHandler<P = unknown> {
  readonly kind: OutboxKind;
  /** The payload's schema; a stored body that does not match is parked, not retried. */
  readonly payload: TSchema;
  perform(payload: P, record: { id: string }): Promise<void>;
  classify(error: unknown): OutboxFailure;
  /** Called once the record is parked (refused for good or out of attempts), to record the outcome. */
  parked?(payload: P, failure: OutboxFailure): Promise<void>;
}
