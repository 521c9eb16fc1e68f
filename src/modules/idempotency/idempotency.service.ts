import type { Clock } from '../../shared/clock.ts';
import { AppError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS, type IdempotencyDoc } from './idempotency.model.ts';
import type { IdempotencyRepository } from './idempotency.repository.ts';

/** A response as the route sends it: its status and its JSON body. */
export interface Outcome {
  status: number;
  body: unknown;
}

/** One request's operation under one user's `Idempotency-Key`. */
export interface IdempotencyRef {
  userId: string;
  key: string;
  scope: string;
}

/** The right to run the request: the record it took, to complete or release when the request ends. */
export interface Lease {
  id: string;
  leaseId: string;
}

/** JSON with object keys sorted, so the same body always hashes the same. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

const hashOf = (scope: string, request: unknown): string =>
  new Bun.CryptoHasher('sha256').update(`${scope}\n${canonical(request)}`).digest('hex');

/**
 * `Idempotency-Key` semantics, per user, for 24 hours: the first request runs; a retry with the same
 * body gets the stored successful response without running again; a different body (or operation) under
 * the same key is refused with 422; a retry while the first is still running gets 409 and `Retry-After`.
 * Only successes are stored: after a failure the key is free again, so the retry runs afresh.
 */
export class IdempotencyService {
  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Before the request runs: a lease to run it, or the stored response of the first request with this key
   * and body (a replay). Throws 422 for another body under the key and 409 while the first still runs.
   */
  async begin(ref: IdempotencyRef, request: unknown): Promise<{ lease: Lease } | { replay: Outcome }> {
    const acquired = await this.acquire(ref, hashOf(ref.scope, request));
    if ('replay' in acquired) return acquired;
    return { lease: { id: acquired.record._id, leaseId: acquired.record.leaseId } };
  }

  /** After the request: a success is stored for every retry; anything else frees the key. */
  async finish(lease: Lease, outcome: Outcome): Promise<void> {
    if (outcome.status >= 200 && outcome.status < 300) {
      const response = { status: outcome.status, body: JSON.stringify(outcome.body) };
      await this.keys.complete(lease.id, lease.leaseId, response, this.clock.now());
    } else {
      await this.release(lease);
    }
  }

  /** The request failed: the key is free again, so the retry runs afresh. */
  async release(lease: Lease): Promise<void> {
    await this.keys.release(lease.id, lease.leaseId);
  }

  /** Deletes records past their 24 hours (a job runs it). */
  purgeExpired(): Promise<number> {
    return this.keys.purgeExpired(this.clock.now());
  }

  private async acquire(
    ref: IdempotencyRef,
    requestHash: string,
  ): Promise<{ record: IdempotencyDoc } | { replay: Outcome }> {
    // A few rounds: each lost race means another request changed the record; look again.
    for (let round = 0; round < 5; round++) {
      const now = this.clock.now();
      const fresh = {
        scope: ref.scope,
        requestHash,
        leaseId: newId(),
        leaseExpiresAt: new Date(now.getTime() + IDEMPOTENCY_LEASE_MS),
        expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
      };
      const created = await this.keys.tryCreate({
        userId: ref.userId,
        key: ref.key,
        state: 'in_progress',
        createdAt: now,
        updatedAt: now,
        ...fresh,
      });
      if (created) return { record: created };

      const existing = await this.keys.find(ref.userId, ref.key);
      if (!existing) continue;
      if (existing.expiresAt <= now) {
        const taken = await this.keys.takeOver(existing, fresh, now);
        if (taken) return { record: taken };
        continue;
      }
      if (existing.scope !== ref.scope || existing.requestHash !== requestHash) {
        throw new AppError(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was used with a different request; use a new key for a new request',
        );
      }
      if (existing.state === 'completed' && existing.response) {
        return { replay: { status: existing.response.status, body: JSON.parse(existing.response.body) } };
      }
      if (existing.leaseExpiresAt <= now) {
        const taken = await this.keys.takeOver(existing, fresh, now);
        if (taken) return { record: taken };
        continue;
      }
      throw new AppError(
        409,
        'IDEMPOTENCY_KEY_IN_PROGRESS',
        'A request with this Idempotency-Key is still being processed; retry shortly',
        undefined,
        { 'retry-after': '1' },
      );
    }
    throw new AppError(
      409,
      'IDEMPOTENCY_KEY_IN_PROGRESS',
      'The Idempotency-Key is contended; retry shortly',
      undefined,
      {
        'retry-after': '1',
      },
    );
  }
}
