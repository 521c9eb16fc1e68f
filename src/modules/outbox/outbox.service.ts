import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { OutboxDeliverer } from './outbox.deliverer.ts';
import {
  type OutboxDoc,
  type OutboxDraft,
  type OutboxItem,
  type OutboxKind,
  type OutboxStats,
  type OutboxStatus,
  toOutboxItem,
} from './outbox.model.ts';
import type { OutboxRepository } from './outbox.repository.ts';

/** Writes outbox records inside a running transaction; made by `OutboxService.transaction`. */
export class OutboxWriter {
  constructor(
    private readonly repo: OutboxRepository,
    private readonly clock: Clock,
  ) {}

  async enqueue(draft: OutboxDraft): Promise<OutboxDoc> {
    const now = this.clock.now();
    return this.repo.insert({
      kind: draft.kind,
      recipient: draft.recipient,
      subject: draft.subject,
      body: JSON.stringify(draft.payload),
      sensitive: draft.sensitive !== undefined,
      ...(draft.sensitive ? { eraseAt: draft.sensitive.until } : {}),
      status: 'queued',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
    });
  }
}

/** The outbox: records written with the state change they follow, and the admin's view of them. */
export class OutboxService {
  constructor(
    private readonly store: Store,
    private readonly repo: OutboxRepository,
    private readonly deliverer: OutboxDeliverer,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly keepDays: number,
  ) {}

  /**
   * Runs `work` in one store transaction: what it enqueues commits with its other writes or not at all.
   * `work` may run more than once (see Store.transaction). The deliverer is woken only after the commit,
   * without waiting for it, so the caller's answer never waits on a provider.
   */
  async transaction<R>(work: (tx: Store, outbox: OutboxWriter) => Promise<R>): Promise<R> {
    const result = await this.store.transaction((tx) =>
      work(tx, new OutboxWriter(this.repo.within(tx), this.clock)),
    );
    this.deliverer.wake();
    return result;
  }

  async list(
    query: { status?: OutboxStatus | undefined; kind?: OutboxKind | undefined },
    page: { limit: number; cursor?: string | null | undefined },
  ): Promise<{ items: OutboxItem[]; nextCursor: string | null }> {
    const found = await this.repo.page(query, page);
    return { items: found.items.map(toOutboxItem), nextCursor: found.nextCursor };
  }

  async stats(): Promise<OutboxStats> {
    const [counts, oldest] = await Promise.all([this.repo.countByStatus(), this.repo.oldestQueued()]);
    const age = oldest
      ? Math.max(0, Math.floor((this.clock.now().getTime() - oldest.createdAt.getTime()) / 1000))
      : null;
    return { counts, oldestQueuedAgeSeconds: age };
  }

  /** failed -> queued and the deliverer woken; 404 for no such record, 409 when it is not failed. */
  async retry(id: string, adminId: string): Promise<OutboxItem> {
    const requeued = await this.repo.requeue(id, this.clock.now());
    if (!requeued) {
      const current = await this.repo.findById(id);
      if (!current) throw new NotFoundError('No such outbox record', 'OUTBOX_RECORD_NOT_FOUND');
      if (current.status !== 'failed') {
        throw new ConflictError(
          'OUTBOX_NOT_FAILED',
          `Only a failed record can be retried; this one is ${current.status}`,
        );
      }
      throw new ConflictError(
        'OUTBOX_BODY_ERASED',
        'This record held a one-time code and its body was erased; it cannot be sent again',
      );
    }
    this.logger.info('outbox record requeued', { id, kind: requeued.kind, adminId });
    this.deliverer.wake();
    return toOutboxItem(requeued);
  }

  /** Housekeeping: bodies of lapsed secrets. */
  eraseLapsedSecrets(now: Date): Promise<number> {
    return this.repo.eraseSensitiveBodies(now);
  }

  /** Housekeeping: sent records older than OUTBOX_KEEP_DAYS. */
  purgeSent(now: Date): Promise<number> {
    return this.repo.purgeSent(new Date(now.getTime() - this.keepDays * 86_400_000));
  }
}
