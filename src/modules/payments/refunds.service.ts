import type { Page } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { refundOutcomeEmail } from '../email-templates/refund-notice.ts';
import { emailDraft } from '../outbox/handlers/email.ts';
import { razorpayRefundDraft } from '../outbox/handlers/razorpay-refund.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { Role } from '../users/users.model.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import type { PaymentsRepository } from './payments.repository.ts';
import { REFUND_RETRIES_MAX, type RefundDoc, type RefundStatus } from './refunds.model.ts';
import type { RefundsRepository } from './refunds.repository.ts';

/** A refund entity as Razorpay's `refund.*` webhooks carry it. */
export interface GatewayRefundEvent {
  id?: string;
  payment_id?: string;
  receipt?: string | null;
}

const refundNotFound = () => new NotFoundError('No such refund', 'REFUND_NOT_FOUND');

/** Refund records: read by their owner and admins, moved by Razorpay's webhooks, retried by admins. */
export class RefundsService {
  constructor(
    private readonly deps: {
      outbox: OutboxService;
      refunds: RefundsRepository;
      payments: PaymentsRepository;
      users: UsersRepository;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async get(viewer: { id: string; role: Role }, id: string): Promise<RefundDoc> {
    const refund = await this.deps.refunds.findById(id);
    if (!refund || (viewer.role !== 'admin' && refund.userId !== viewer.id)) throw refundNotFound();
    return refund;
  }

  list(query: {
    status?: RefundStatus | undefined;
    limit?: number | undefined;
    cursor?: string | undefined;
  }): Promise<Page<RefundDoc>> {
    return this.deps.refunds.page(query.status, { limit: query.limit ?? 20, cursor: query.cursor });
  }

  /** failed -> pending once: a new outbox request (a new receipt, so Razorpay makes a new refund). */
  async retry(id: string): Promise<RefundDoc> {
    const refund = await this.deps.refunds.findById(id);
    if (!refund) throw refundNotFound();
    const payment = await this.deps.payments.findById(refund.paymentId);
    const notRetryable = () =>
      new ConflictError(
        'REFUND_NOT_RETRYABLE',
        `Only a failed refund can be retried, ${REFUND_RETRIES_MAX} time`,
        {
          status: refund.status,
          retries: refund.retries,
        },
      );
    if (refund.status !== 'failed' || refund.retries >= REFUND_RETRIES_MAX || !payment?.gatewayPaymentId)
      throw notRetryable();
    const now = this.deps.clock.now();
    const retried = await this.deps.outbox.transaction(async (tx, outbox) => {
      const request = await outbox.enqueue(
        razorpayRefundDraft({
          paymentId: payment._id,
          gatewayPaymentId: payment.gatewayPaymentId!,
          amountPaise: refund.gatewayPaise,
          refundId: refund._id,
        }),
      );
      return this.deps.refunds.within(tx).retry(refund._id, request._id, refund.retries + 1, now);
    });
    if (!retried) throw notRetryable();
    this.deps.logger.info('refund retried', { refundId: id });
    return retried;
  }

  /** `refund.processed` / `refund.failed`: true when it moved one of our refund records. */
  async onGatewayEvent(event: string, entity: GatewayRefundEvent): Promise<boolean> {
    if ((event !== 'refund.processed' && event !== 'refund.failed') || !entity.payment_id) return false;
    const payment = await this.deps.payments.findByGatewayPaymentId(entity.payment_id);
    const refund = payment ? await this.deps.refunds.findByPayment(payment._id) : null;
    // Another refund (a late capture's), or an event about an earlier, superseded request.
    if (!refund?.outboxId || entity.receipt !== refund.outboxId) return false;
    const now = this.deps.clock.now();
    const user = await this.deps.users.findById(refund.userId);
    const processed = event === 'refund.processed';
    const moved = await this.deps.outbox.transaction(async (tx, outbox) => {
      const refunds = this.deps.refunds.within(tx);
      const moved = processed
        ? await refunds.markProcessed(refund._id, entity.id ?? '', now)
        : await refunds.markFailed(refund._id, 'the gateway reported the refund failed', now);
      if (moved && user)
        await outbox.enqueue(
          emailDraft(
            refundOutcomeEmail({
              reader: user,
              gatewayPaise: refund.gatewayPaise,
              refundId: refund._id,
              processed,
            }),
          ),
        );
      return moved;
    });
    if (moved) this.deps.logger.info(`refund ${moved.status}`, { refundId: refund._id });
    return moved !== null;
  }
}
