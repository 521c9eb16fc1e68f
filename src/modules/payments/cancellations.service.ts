import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppointmentMail } from '../appointments/appointment-mail.ts';
import type { AppointmentDoc, CancelBody } from '../appointments/appointments.model.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { AppointmentsService } from '../appointments/appointments.service.ts';
import { refundNoticeEmail } from '../email-templates/refund-notice.ts';
import { emailDraft } from '../outbox/handlers/email.ts';
import { razorpayRefundDraft } from '../outbox/handlers/razorpay-refund.ts';
import type { OutboxService, OutboxWriter } from '../outbox/outbox.service.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import type { Role } from '../users/users.model.ts';
import type { WalletRepository } from '../wallet/wallet.repository.ts';
import type { PaymentDoc } from './payments.model.ts';
import type { PaymentsRepository } from './payments.repository.ts';
import type { RefundDoc, RefundRule } from './refunds.model.ts';
import type { RefundsRepository } from './refunds.repository.ts';

export interface RefundPolicy {
  /** `REFUND_FULL_HOURS`: a patient cancelling at least this long before the start gets everything back. */
  fullHours: number;
  /** `REFUND_LATE_PERCENT`: later, but before the start. */
  latePercent: number;
}

export interface CancelViewer {
  id: string;
  role: Role;
}

/** What a cancellation gives back and why: whole paise, rounded in the patient's favour. */
export function refundDue(
  policy: RefundPolicy,
  by: 'patient' | 'doctor' | 'admin',
  paidPaise: number,
  startsAt: Date,
  now: Date,
): { amountPaise: number; rule: RefundRule; reason: string } {
  if (by === 'doctor')
    return { amountPaise: paidPaise, rule: 'doctor', reason: 'the doctor cancelled: 100% refund' };
  if (by === 'admin')
    return { amountPaise: paidPaise, rule: 'admin', reason: 'cancelled by HealthVision: 100% refund' };
  const left = startsAt.getTime() - now.getTime();
  if (left >= policy.fullHours * 3_600_000)
    return {
      amountPaise: paidPaise,
      rule: 'full_notice',
      reason: `cancelled at least ${policy.fullHours} h before the start: 100% refund`,
    };
  if (left > 0)
    return {
      amountPaise: Math.ceil((paidPaise * policy.latePercent) / 100),
      rule: 'late_notice',
      reason: `cancelled less than ${policy.fullHours} h before the start: ${policy.latePercent}% refund`,
    };
  return { amountPaise: 0, rule: 'after_start', reason: 'cancelled after the start: no refund' };
}

const notCancellable = (status: string) =>
  new ConflictError(
    'APPOINTMENT_NOT_CANCELLABLE',
    `Only an unpaid hold or a confirmed appointment can be cancelled; this appointment is ${status}`,
    { status },
  );

/**
 * Cancelling a confirmed appointment: one transaction moves it to `cancelled`, reopens its slot, writes
 * the refund record, credits the wallet part, asks Razorpay for the gateway part through the outbox, and
 * enqueues the emails. The conditional write on `confirmed` makes concurrent cancels one refund.
 */
export class CancellationsService {
  constructor(
    private readonly deps: {
      outbox: OutboxService;
      holds: AppointmentsService;
      /** Supersedes a hold's unpaid attempts and releases their reservations, in the caller's transaction. */
      attempts: { closeAttempts(tx: Store, appointmentId: string, now: Date): Promise<void> };
      appointments: AppointmentsRepository;
      slots: SlotsRepository;
      payments: PaymentsRepository;
      wallet: WalletRepository;
      refunds: RefundsRepository;
      mail: AppointmentMail;
      reminders: { drop(tx: Store, appointmentId: string): Promise<void> };
      clock: Clock;
      logger: Logger;
      policy: RefundPolicy;
    },
  ) {}

  async cancel(
    viewer: CancelViewer,
    appointmentId: string,
    body: CancelBody,
  ): Promise<{ appointment: AppointmentDoc; refund?: RefundDoc }> {
    const { appointments, payments } = this.deps;
    const existing = await appointments.findById(appointmentId);
    const by =
      viewer.role === 'admin'
        ? 'admin'
        : viewer.role === 'patient' && existing?.patientId === viewer.id
          ? 'patient'
          : viewer.role === 'doctor' && existing?.doctorId === viewer.id
            ? 'doctor'
            : null;
    if (!existing || !by) throw new NotFoundError('No such appointment', 'APPOINTMENT_NOT_FOUND');
    if (existing.status === 'pending_payment' && by === 'patient')
      return {
        appointment: await this.deps.holds.cancel(viewer.id, appointmentId, (tx, cancelled, now) =>
          this.deps.attempts.closeAttempts(tx, cancelled._id, now),
        ),
      };
    if (existing.status !== 'confirmed') throw notCancellable(existing.status);

    const now = this.deps.clock.now();
    const payment = await payments.findAppliedFor(appointmentId);
    const parties = await this.deps.mail.parties(existing);
    const result = await this.deps.outbox.transaction(async (tx, outbox) => {
      const cancelled = await appointments
        .within(tx)
        .cancelConfirmed(appointmentId, by, body.reason, (existing.sequence ?? 0) + 1, now);
      if (!cancelled) return null;
      if (!(await this.deps.slots.within(tx).reopen(cancelled.slotId, cancelled._id, now)))
        throw new Error(`slot ${cancelled.slotId} is not booked by ${cancelled._id}`);
      await this.deps.reminders.drop(tx, cancelled._id);
      let refund: RefundDoc | undefined;
      if (payment) {
        // From the cancelled document: a move that committed just before changed the start.
        const due = refundDue(this.deps.policy, by, payment.amountPaise, cancelled.startsAt, now);
        refund = await this.refund(tx, outbox, payment, due, body.refundTo ?? 'source', now);
        if (parties)
          await outbox.enqueue(
            emailDraft(
              refundNoticeEmail({
                reader: parties.patient,
                amountPaise: refund.amountPaise,
                walletPaise: refund.walletPaise,
                gatewayPaise: refund.gatewayPaise,
                reason: refund.reason,
                refundId: refund._id,
              }),
            ),
          );
      }
      if (parties)
        for (const draft of this.deps.mail.cancelled(parties, cancelled, body.reason, now))
          await outbox.enqueue(draft);
      return { appointment: cancelled, ...(refund ? { refund } : {}) };
    });
    if (!result) {
      const current = (await appointments.findById(appointmentId)) ?? existing;
      throw notCancellable(current.status);
    }
    this.deps.logger.info('appointment cancelled', {
      appointmentId,
      by,
      refundId: result.refund?._id,
      rule: result.refund?.rule,
    });
    return result;
  }

  /**
   * The refund record, the wallet credit (one `refund:<payment>` ledger entry) and the gateway request.
   * The wallet part of the payment goes back first; the rest of what is due is the gateway's, unless
   * the patient asked for everything in the wallet.
   */
  private async refund(
    tx: Store,
    outbox: OutboxWriter,
    payment: PaymentDoc,
    due: ReturnType<typeof refundDue>,
    refundTo: 'source' | 'wallet',
    now: Date,
  ): Promise<RefundDoc> {
    const amount = Math.min(due.amountPaise, payment.amountPaise);
    const fromWallet = Math.min(amount, payment.walletPaise);
    const gatewayPaise = refundTo === 'wallet' || !payment.gatewayPaymentId ? 0 : amount - fromWallet;
    const walletPaise = amount - gatewayPaise;
    const refundId = newId();
    const request =
      gatewayPaise > 0
        ? await outbox.enqueue(
            razorpayRefundDraft({
              paymentId: payment._id,
              gatewayPaymentId: payment.gatewayPaymentId!,
              amountPaise: gatewayPaise,
              refundId,
            }),
          )
        : null;
    const refund = await this.deps.refunds.within(tx).insert({
      _id: refundId,
      paymentId: payment._id,
      appointmentId: payment.appointmentId!,
      userId: payment.userId,
      amountPaise: amount,
      walletPaise,
      gatewayPaise,
      status: gatewayPaise > 0 ? 'pending' : 'processed',
      rule: due.rule,
      reason: due.reason,
      ...(request ? { outboxId: request._id } : {}),
      retries: 0,
      createdAt: now,
      updatedAt: now,
      ...(gatewayPaise > 0 ? {} : { processedAt: now }),
    });
    if (walletPaise > 0) {
      const entry = await this.deps.wallet
        .within(tx)
        .apply(payment.userId, 'refund', walletPaise, payment._id, now);
      if (entry === 'duplicate' || entry === 'insufficient')
        throw new Error(`payment ${payment._id} was already refunded to the wallet`);
    }
    if (amount > 0) {
      const updated = await this.deps.payments.within(tx).refundCancelled(
        payment._id,
        amount === payment.amountPaise ? 'refunded' : 'partially_refunded',
        request
          ? {
              amountPaise: gatewayPaise,
              reason: due.reason,
              outboxId: request._id,
              requestedAt: now,
              refundId,
            }
          : null,
        due.reason,
        now,
      );
      if (!updated) throw new Error(`payment ${payment._id} is no longer applied`);
    }
    return refund;
  }
}
