import type { InsertDoc } from '../../db/collection.ts';
import type { Page, Store } from '../../db/index.ts';
import { canRefundMove, type RefundDoc, type RefundStatus, Refunds } from './refunds.model.ts';

/** Refund records of cancelled appointments. Every state change is one conditional write. */
export class RefundsRepository {
  constructor(private readonly store: Store) {}

  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  private get refunds() {
    return this.store.collection(Refunds);
  }

  insert(doc: InsertDoc<RefundDoc>): Promise<RefundDoc> {
    return this.refunds.insertOne(doc);
  }

  findById(id: string): Promise<RefundDoc | null> {
    return this.refunds.findById(id);
  }

  findByPayment(paymentId: string): Promise<RefundDoc | null> {
    return this.refunds.findOne({ paymentId });
  }

  all(): Promise<RefundDoc[]> {
    return this.refunds.findAll({});
  }

  private move(
    id: string,
    from: RefundStatus,
    to: RefundStatus,
    set: Partial<RefundDoc>,
    condition: Record<string, unknown> = {},
  ): Promise<RefundDoc | null> {
    if (!canRefundMove(from, to)) throw new Error(`Refund cannot move from ${from} to ${to}`);
    return this.refunds.findOneAndUpdate(
      { _id: id, status: from, ...condition },
      { $set: { ...set, status: to } },
    );
  }

  markProcessed(id: string, gatewayRefundId: string, now: Date): Promise<RefundDoc | null> {
    return this.move(id, 'pending', 'processed', { gatewayRefundId, processedAt: now, updatedAt: now });
  }

  markFailed(id: string, failure: string, now: Date): Promise<RefundDoc | null> {
    return this.move(id, 'pending', 'failed', { failure, failedAt: now, updatedAt: now });
  }

  /** failed -> pending with a new outbox request, while the retries allow. */
  retry(id: string, outboxId: string, retries: number, now: Date): Promise<RefundDoc | null> {
    return this.move(
      id,
      'failed',
      'pending',
      { outboxId, retries, updatedAt: now },
      { retries: retries - 1 },
    );
  }

  page(
    status: RefundStatus | undefined,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<RefundDoc>> {
    return this.refunds.find(status ? { status } : {}, {
      sort: { _id: -1 },
      limit: page.limit,
      cursor: page.cursor ?? null,
    });
  }
}
