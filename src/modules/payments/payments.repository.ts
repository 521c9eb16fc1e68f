import type { InsertDoc } from '../../db/collection.ts';
import { DuplicateKeyError, isDuplicateOn } from '../../db/errors.ts';
import type { Filter, Page, Store } from '../../db/index.ts';
import {
  canPaymentMove,
  type PaymentDoc,
  type PaymentStatus,
  Payments,
  UNPAID_PAYMENT_STATUSES,
  WebhookEvents,
} from './payments.model.ts';

const moves = (from: readonly PaymentStatus[], to: PaymentStatus): void => {
  for (const state of from)
    if (!canPaymentMove(state, to)) throw new Error(`Payment cannot move from ${state} to ${to}`);
};

/** Payment documents and seen webhook events. Every state change is one conditional write. */
export class PaymentsRepository {
  constructor(private readonly store: Store) {}

  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  private get payments() {
    return this.store.collection(Payments);
  }

  insert(doc: InsertDoc<PaymentDoc>): Promise<PaymentDoc> {
    return this.payments.insertOne(doc);
  }

  findById(id: string): Promise<PaymentDoc | null> {
    return this.payments.findById(id);
  }

  findByOrderId(orderId: string): Promise<PaymentDoc | null> {
    return this.payments.findOne({ orderId });
  }

  findByGatewayPaymentId(gatewayPaymentId: string): Promise<PaymentDoc | null> {
    return this.payments.findOne({ gatewayPaymentId });
  }

  /** The applied payment that confirmed the appointment (at most one). */
  findAppliedFor(appointmentId: string): Promise<PaymentDoc | null> {
    return this.payments.findOne({ appointmentId, status: 'applied' });
  }

  /** applied -> refunded | partially_refunded when its appointment is cancelled; the gateway part recorded. */
  refundCancelled(
    id: string,
    status: 'refunded' | 'partially_refunded',
    refund: PaymentDoc['refunds'][number] | null,
    note: string,
    now: Date,
  ): Promise<PaymentDoc | null> {
    moves(['applied'], status);
    return this.payments.findOneAndUpdate(
      { _id: id, status: 'applied' },
      {
        $set: { status, note, refundedAt: now, updatedAt: now },
        ...(refund ? { $push: { refunds: refund } } : {}),
      },
    );
  }

  /** The record of an extra capture, or null when its gateway payment id is already recorded. */
  async insertExtraCapture(doc: InsertDoc<PaymentDoc>): Promise<PaymentDoc | null> {
    try {
      return await this.payments.insertOne(doc);
    } catch (error) {
      if (isDuplicateOn(error, 'payments__gateway_payment')) return null;
      throw error;
    }
  }

  findByIdempotencyKey(userId: string, key: string): Promise<PaymentDoc | null> {
    return this.payments.findOne({ userId, idempotencyKey: key });
  }

  /** An attempt still `created` without its order gets the order the gateway made for it. */
  setOrder(id: string, orderId: string, now: Date): Promise<PaymentDoc | null> {
    return this.payments.findOneAndUpdate(
      { _id: id, status: 'created', orderId: { $exists: false } },
      { $set: { orderId, awaiting: true, updatedAt: now } },
    );
  }

  /** Unpaid (`created`) attempts for the appointment other than `exceptId`. */
  findOpenAttempts(appointmentId: string, exceptId: string): Promise<PaymentDoc[]> {
    return this.payments.findAll({ appointmentId, status: 'created', _id: { $ne: exceptId } });
  }

  /** created -> superseded. */
  supersede(id: string, now: Date): Promise<PaymentDoc | null> {
    moves(['created'], 'superseded');
    return this.payments.findOneAndUpdate(
      { _id: id, status: 'created' },
      { $set: { status: 'superseded', supersededAt: now, updatedAt: now }, $unset: { awaiting: true } },
    );
  }

  /** created -> failed. */
  fail(id: string, now: Date): Promise<PaymentDoc | null> {
    moves(['created'], 'failed');
    return this.payments.findOneAndUpdate(
      { _id: id, status: 'created' },
      { $set: { status: 'failed', failedAt: now, updatedAt: now }, $unset: { awaiting: true } },
    );
  }

  /** An unpaid attempt -> applied with the captured gateway payment; null if it was already recorded. */
  async apply(id: string, gatewayPaymentId: string, now: Date): Promise<PaymentDoc | null> {
    moves(UNPAID_PAYMENT_STATUSES, 'applied');
    return this.recordCapture(id, gatewayPaymentId, { status: 'applied', appliedAt: now, updatedAt: now });
  }

  /** An unpaid attempt -> refunded in full (a late capture). */
  refundLate(
    id: string,
    gatewayPaymentId: string,
    refund: PaymentDoc['refunds'][number],
    note: string,
    now: Date,
  ): Promise<PaymentDoc | null> {
    moves(UNPAID_PAYMENT_STATUSES, 'refunded');
    return this.recordCapture(id, gatewayPaymentId, {
      status: 'refunded',
      refunds: [refund],
      note,
      refundedAt: now,
      updatedAt: now,
    });
  }

  private async recordCapture(id: string, gatewayPaymentId: string, set: Partial<PaymentDoc>) {
    try {
      return await this.payments.findOneAndUpdate(
        { _id: id, status: { $in: [...UNPAID_PAYMENT_STATUSES] } },
        { $set: { ...set, gatewayPaymentId }, $unset: { awaiting: true } },
      );
    } catch (error) {
      // The gateway payment is already recorded on another attempt: nothing to record here.
      if (isDuplicateOn(error, 'payments__gateway_payment')) return null;
      throw error;
    }
  }

  /** The wallet part's reservation moves once: held -> released | settled. */
  setReservation(id: string, to: 'released' | 'settled', now: Date): Promise<boolean> {
    return this.payments.updateOne(
      { _id: id, reservation: 'held' },
      { $set: { reservation: to, updatedAt: now } },
    );
  }

  /** Gateway attempts still waiting since before `before` (the reconciliation scan). */
  findAwaiting(before: Date, limit: number): Promise<PaymentDoc[]> {
    return this.payments.findAll(
      { awaiting: true, createdAt: { $lte: before } },
      { sort: { createdAt: 1 }, limit },
    );
  }

  /** Reservations whose attempt is over, or whose hold lapsed (the sweeper releases them). */
  findStaleReservations(now: Date, limit: number): Promise<PaymentDoc[]> {
    return this.payments.findAll(
      { reservation: 'held', $or: [{ holdExpiresAt: { $lte: now } }, { status: { $ne: 'created' } }] },
      { limit },
    );
  }

  page(filter: Filter, page: { limit: number; cursor?: string | undefined }): Promise<Page<PaymentDoc>> {
    return this.payments.find(filter, { sort: { _id: -1 }, limit: page.limit, cursor: page.cursor ?? null });
  }

  all(): Promise<PaymentDoc[]> {
    return this.payments.findAll({});
  }

  /** Records a webhook event id; false when it was seen before. */
  async recordEvent(id: string, event: string, now: Date): Promise<boolean> {
    try {
      await this.store.collection(WebhookEvents).insertOne({ _id: id, event, receivedAt: now });
      return true;
    } catch (error) {
      if (error instanceof DuplicateKeyError) return false;
      throw error;
    }
  }

  async seenEvent(id: string): Promise<boolean> {
    return (await this.store.collection(WebhookEvents).findById(id)) !== null;
  }
}
