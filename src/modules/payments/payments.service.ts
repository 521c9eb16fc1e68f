import type { Page, Store } from '../../db/index.ts';
import {
  type GatewayOrder,
  type PaymentGateway,
  PaymentProviderError,
} from '../../providers/payments/port.ts';
import type { Clock } from '../../shared/clock.ts';
import { AppError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppointmentMail } from '../appointments/appointment-mail.ts';
import { type AppointmentDoc, isLapsedHold } from '../appointments/appointments.model.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import { paymentRefundedEmail } from '../email-templates/payment-refunded.ts';
import { emailDraft } from '../outbox/handlers/email.ts';
import { razorpayRefundDraft } from '../outbox/handlers/razorpay-refund.ts';
import type { OutboxDraft } from '../outbox/outbox.model.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import type { Role } from '../users/users.model.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import type { WalletDoc } from '../wallet/wallet.model.ts';
import type { WalletRepository } from '../wallet/wallet.repository.ts';
import {
  AlreadyRecorded,
  appointmentNotFound,
  badAmount,
  insufficientFunds,
  invalidSignature,
  NotApplicable,
  notCaptured,
  notPayable,
  paymentNotFound,
  providerUnavailable,
} from './payments.errors.ts';
import {
  type CheckoutBody,
  GATEWAY_MIN_PAISE,
  PAYMENT_PAGE_DEFAULT,
  type PaymentDoc,
  type PaymentStatus,
  UNPAID_PAYMENT_STATUSES,
  type VerifyBody,
} from './payments.model.ts';
import type { PaymentsRepository } from './payments.repository.ts';

export interface PaymentRules {
  /** `WALLET_TOPUP_MAX_PAISE`. */
  topupMaxPaise: number;
  /** A gateway attempt still waiting this long is asked about at the gateway. */
  reconcileAfterSeconds: number;
}

export interface PaymentsDeps {
  store: Store;
  outbox: OutboxService;
  payments: PaymentsRepository;
  wallet: WalletRepository;
  appointments: AppointmentsRepository;
  slots: SlotsRepository;
  users: UsersRepository;
  gateway: PaymentGateway;
  clock: Clock;
  logger: Logger;
  rules: PaymentRules;
  /** Razorpay's `refund.*` webhook events, for the cancellations' refund records. */
  mail: AppointmentMail;
  /** Armed in the confirmation's transaction. */
  reminders: { arm(tx: Store, appointment: AppointmentDoc): Promise<void> };
  refundEvents?: { onGatewayEvent(event: string, entity: Record<string, unknown>): Promise<boolean> };
}

export interface Viewer {
  id: string;
  role: Role;
}

export interface Settled {
  payment: PaymentDoc;
  appointment?: AppointmentDoc;
  wallet?: WalletDoc | null;
}

export interface GatewayCheckout {
  payment: PaymentDoc;
  order: GatewayOrder;
  keyId: string;
}

export type WebhookOutcome = 'handled' | 'duplicate' | 'ignored';

const isUnpaid = (status: PaymentStatus): boolean =>
  (UNPAID_PAYMENT_STATUSES as readonly string[]).includes(status);
const RECONCILE_BATCH = 100;
const RECONCILE_HORIZON_MS = 2 * 86_400_000;
const SWEEP_BATCH = 200;

/**
 * Paying for a held appointment (wallet, Razorpay, or both) and topping up the wallet. Every path ends
 * in one transaction that records the capture and confirms the booking (or credits the wallet) exactly
 * once, however many times and in whatever order verify, webhooks and reconciliation report it.
 */
export class PaymentsService {
  constructor(private readonly deps: PaymentsDeps) {}

  get keyId(): string {
    return this.deps.gateway.keyId;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  async checkout(
    userId: string,
    body: CheckoutBody,
    idempotencyKey?: string,
  ): Promise<({ kind: 'wallet' } & Settled) | ({ kind: 'gateway' } & GatewayCheckout)> {
    const { appointments, wallet } = this.deps;
    const now = this.now();
    const appointment = await appointments.findById(body.appointmentId);
    if (!appointment || appointment.patientId !== userId) throw appointmentNotFound();
    if (appointment.status !== 'pending_payment' || isLapsedHold(appointment, now))
      throw notPayable(isLapsedHold(appointment, now) ? 'expired' : appointment.status);
    const fee = appointment.feePaise;
    if (body.method !== 'hybrid' && body.walletPaise !== undefined)
      throw badAmount('/walletPaise', 'walletPaise is only for the hybrid method');
    if (body.method === 'wallet') return { kind: 'wallet', ...(await this.payByWallet(appointment, now)) };

    let walletPaise = 0;
    if (body.method === 'hybrid') {
      const most = fee - GATEWAY_MIN_PAISE;
      if (most < 1)
        throw badAmount('/method', `A fee of ${fee} paise leaves no room for a gateway part; pay by wallet`);
      // What an earlier attempt for this appointment reserves comes back when this checkout supersedes it.
      const releasable = (await this.deps.payments.findOpenAttempts(appointment._id, ''))
        .filter((attempt) => attempt.reservation === 'held')
        .reduce((sum, attempt) => sum + attempt.walletPaise, 0);
      const available = ((await wallet.findById(userId))?.availablePaise ?? 0) + releasable;
      if (body.walletPaise !== undefined && (body.walletPaise < 1 || body.walletPaise > most))
        throw badAmount(
          '/walletPaise',
          `walletPaise must be between 1 and ${most} (the gateway takes at least ${GATEWAY_MIN_PAISE})`,
        );
      walletPaise = body.walletPaise ?? Math.min(available, most);
      if (walletPaise > available) throw insufficientFunds(available, walletPaise);
    } else if (fee < GATEWAY_MIN_PAISE) {
      throw badAmount(
        '/method',
        `A fee under ${GATEWAY_MIN_PAISE} paise cannot go through the gateway; pay by wallet`,
      );
    }

    if (idempotencyKey) {
      const earlier = await this.deps.payments.findByIdempotencyKey(userId, idempotencyKey);
      if (earlier?.status === 'created')
        return { kind: 'gateway', ...(await this.ensureOrder(earlier, true)) };
    }
    const payment = await this.deps.store.transaction(async (tx) => {
      const paymentId = newId();
      await this.supersedeOthers(tx, appointment._id, paymentId, now);
      if (walletPaise > 0) {
        const reserved = await this.deps.wallet
          .within(tx)
          .apply(userId, 'reserve', walletPaise, paymentId, now);
        if (reserved === 'insufficient') throw insufficientFunds(0, walletPaise);
      }
      return this.deps.payments.within(tx).insert({
        _id: paymentId,
        userId,
        purpose: 'appointment',
        appointmentId: appointment._id,
        method: body.method,
        amountPaise: fee,
        walletPaise,
        gatewayPaise: fee - walletPaise,
        status: 'created',
        ...(walletPaise > 0 ? { reservation: 'held' as const } : {}),
        holdExpiresAt: appointment.holdExpiresAt,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        refunds: [],
        createdAt: now,
        updatedAt: now,
      });
    });
    this.deps.logger.info('checkout started', {
      paymentId: payment._id,
      method: body.method,
      appointmentId: appointment._id,
    });
    return { kind: 'gateway', ...(await this.ensureOrder(payment, false)) };
  }

  async topup(userId: string, amountPaise: number, idempotencyKey?: string): Promise<GatewayCheckout> {
    if (amountPaise > this.deps.rules.topupMaxPaise)
      throw badAmount('/amountPaise', `A top-up is at most ${this.deps.rules.topupMaxPaise} paise`);
    if (idempotencyKey) {
      const earlier = await this.deps.payments.findByIdempotencyKey(userId, idempotencyKey);
      if (earlier?.status === 'created' && earlier.purpose === 'topup')
        return this.ensureOrder(earlier, true);
    }
    const now = this.now();
    const payment = await this.deps.payments.insert({
      _id: newId(),
      userId,
      purpose: 'topup',
      method: 'razorpay',
      amountPaise,
      walletPaise: 0,
      gatewayPaise: amountPaise,
      status: 'created',
      ...(idempotencyKey ? { idempotencyKey } : {}),
      refunds: [],
      createdAt: now,
      updatedAt: now,
    });
    return this.ensureOrder(payment, false);
  }

  /** The attempt's gateway order, made now if it has none (a retry first looks for one by receipt). */
  private async ensureOrder(payment: PaymentDoc, retry: boolean): Promise<GatewayCheckout> {
    const { gateway, payments } = this.deps;
    const keyId = gateway.keyId;
    if (payment.orderId) {
      return {
        payment,
        keyId,
        order: {
          id: payment.orderId,
          amountPaise: payment.gatewayPaise,
          currency: 'INR',
          receipt: payment._id,
        },
      };
    }
    const order = await this.gatewayCall(async () => {
      const earlier = retry ? (await gateway.ordersWithReceipt(payment._id))[0] : undefined;
      return earlier ?? gateway.createOrder({ amountPaise: payment.gatewayPaise, receipt: payment._id });
    });
    const updated = await payments.setOrder(payment._id, order.id, this.now());
    if (!updated) {
      const current = (await payments.findById(payment._id)) ?? payment;
      if (current.orderId) return this.ensureOrder(current, false);
      throw notPayable(current.status, 'This payment attempt was replaced by a newer checkout');
    }
    return { payment: updated, order, keyId };
  }

  private async gatewayCall<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof PaymentProviderError) {
        this.deps.logger.warn('payment gateway call failed', {
          error: error.message,
          code: error.providerCode,
        });
        if (error.unavailable) throw providerUnavailable();
      }
      throw error;
    }
  }

  private async payByWallet(appointment: AppointmentDoc, now: Date): Promise<Settled> {
    const email = await this.bookedEmailFor(appointment);
    const paymentId = newId();
    const fee = appointment.feePaise;
    try {
      const result = await this.deps.outbox.transaction(async (tx, outbox) => {
        // An earlier hybrid attempt's reservation comes back first, so the wallet can cover the whole fee.
        await this.supersedeOthers(tx, appointment._id, paymentId, now);
        const debit = await this.deps.wallet
          .within(tx)
          .apply(appointment.patientId, 'debit', fee, paymentId, now);
        if (debit === 'insufficient') {
          const available =
            (await this.deps.wallet.within(tx).findById(appointment.patientId))?.availablePaise ?? 0;
          throw insufficientFunds(available, fee);
        }
        const confirmed = await this.confirmBooking(tx, appointment, now, false);
        const payment = await this.deps.payments.within(tx).insert({
          _id: paymentId,
          userId: appointment.patientId,
          purpose: 'appointment',
          appointmentId: appointment._id,
          method: 'wallet',
          amountPaise: fee,
          walletPaise: fee,
          gatewayPaise: 0,
          status: 'applied',
          refunds: [],
          createdAt: now,
          updatedAt: now,
          appliedAt: now,
        });
        if (email) for (const draft of email(payment)) await outbox.enqueue(draft);
        return { payment, appointment: confirmed };
      });
      this.deps.logger.info('appointment paid', {
        paymentId,
        appointmentId: appointment._id,
        method: 'wallet',
      });
      return result;
    } catch (error) {
      if (error instanceof NotApplicable) throw notPayable('expired', error.reason);
      throw error;
    }
  }

  /** Slot held -> booked and appointment -> confirmed, or NotApplicable (the transaction rolls back). */
  private async confirmBooking(
    tx: Store,
    appointment: AppointmentDoc,
    now: Date,
    late: boolean,
  ): Promise<AppointmentDoc> {
    const slots = this.deps.slots.within(tx);
    const appointments = this.deps.appointments.within(tx);
    if (late) {
      // A lapsed holder of the slot steps aside, as for a new hold.
      for (const other of await appointments.findActiveOnSlot(appointment.slotId, appointment._id))
        if (isLapsedHold(other, now)) await appointments.markExpired(other._id, now);
    }
    if (!(await slots.book(appointment.slotId, appointment._id, now, late)))
      throw new NotApplicable('the slot was taken by someone else after your hold lapsed');
    const confirmed = await appointments.confirm(appointment._id, now, late);
    if (!confirmed) throw new NotApplicable('the appointment can no longer be confirmed');
    await this.deps.reminders.arm(tx, confirmed);
    return confirmed;
  }

  /**
   * A cancelled hold's unpaid attempts: superseded and their reservations released, in the cancellation's
   * transaction (a capture arriving later finds the appointment cancelled and is refunded).
   */
  closeAttempts(tx: Store, appointmentId: string, now: Date): Promise<void> {
    return this.supersedeOthers(tx, appointmentId, '', now);
  }

  /** Earlier unpaid attempts for the appointment are superseded, their reservations released. */
  private async supersedeOthers(
    tx: Store,
    appointmentId: string,
    exceptId: string,
    now: Date,
  ): Promise<void> {
    const payments = this.deps.payments.within(tx);
    for (const attempt of await payments.findOpenAttempts(appointmentId, exceptId)) {
      const superseded = await payments.supersede(attempt._id, now);
      if (superseded) await this.releaseReservation(tx, superseded, now);
    }
  }

  /** The reservation of a hybrid attempt is released exactly once (a conditional write and a unique key). */
  private async releaseReservation(tx: Store, payment: PaymentDoc, now: Date): Promise<boolean> {
    if (payment.walletPaise === 0 || payment.reservation !== 'held') return false;
    if (!(await this.deps.payments.within(tx).setReservation(payment._id, 'released', now))) return false;
    const entry = await this.deps.wallet
      .within(tx)
      .apply(payment.userId, 'release', payment.walletPaise, payment._id, now);
    if (entry === 'insufficient') throw new Error(`reservation of ${payment._id} is not in its wallet`);
    return true;
  }

  /** POST /payments/razorpay/verify: the Checkout handler's fields, signed with our key secret. */
  async verify(userId: string, body: VerifyBody): Promise<Settled> {
    const payment = await this.deps.payments.findByOrderId(body.razorpay_order_id);
    if (!payment || payment.userId !== userId) throw paymentNotFound();
    if (
      !this.deps.gateway.isPaymentSignatureValid(
        payment.orderId!,
        body.razorpay_payment_id,
        body.razorpay_signature,
      )
    )
      throw invalidSignature();
    return this.present(await this.settle(payment, body.razorpay_payment_id));
  }

  /** POST /payments/razorpay/webhook: a valid signature is answered 200 whatever the event says. */
  async webhook(
    rawBody: string,
    signature: string | undefined,
    eventId: string | undefined,
  ): Promise<WebhookOutcome> {
    if (!signature || !this.deps.gateway.isWebhookSignatureValid(rawBody, signature))
      throw invalidSignature();
    if (eventId && (await this.deps.payments.seenEvent(eventId))) return 'duplicate';
    let event: {
      event?: string;
      payload?: {
        payment?: { entity?: { id?: string; order_id?: string } };
        refund?: { entity?: Record<string, unknown> };
      };
    };
    try {
      const parsed: unknown = JSON.parse(rawBody);
      // `null`, a number, a string or an array carries no event: answered like any body without one.
      event = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    } catch {
      return 'ignored';
    }
    const entity = event.payload?.payment?.entity;
    const payment = entity?.order_id ? await this.deps.payments.findByOrderId(entity.order_id) : null;
    let outcome: WebhookOutcome = 'ignored';
    const refundEntity = event.payload?.refund?.entity;
    if (refundEntity && this.deps.refundEvents) {
      if (await this.deps.refundEvents.onGatewayEvent(String(event.event), refundEntity)) outcome = 'handled';
    } else if (payment && entity?.id) {
      if (event.event === 'payment.captured' || event.event === 'order.paid') {
        try {
          await this.settle(payment, entity.id);
          outcome = 'handled';
        } catch (error) {
          // What the gateway reports does not let us apply it (another amount, not captured): answered 200 so
          // Razorpay stops; verify or reconciliation acts once it does. Only an outage is worth a retry.
          if (!(error instanceof AppError) || error.status >= 500) throw error;
          this.deps.logger.warn('webhook not applied', { eventId, code: error.code, paymentId: payment._id });
        }
      } else if (event.event === 'payment.failed') {
        await this.markFailed(payment);
        outcome = 'handled';
      }
    }
    if (eventId) await this.deps.payments.recordEvent(eventId, String(event.event), this.now());
    this.deps.logger.info('webhook received', { event: event.event, eventId, outcome });
    return outcome;
  }

  /** created -> failed, and its reservation released, once. */
  private async markFailed(payment: PaymentDoc): Promise<void> {
    const now = this.now();
    const failed = await this.deps.store.transaction(async (tx) => {
      const failed = await this.deps.payments.within(tx).fail(payment._id, now);
      if (failed) await this.releaseReservation(tx, failed, now);
      return failed;
    });
    if (failed) this.deps.logger.info('payment failed', { paymentId: payment._id });
  }

  /**
   * The gateway payment is asked for (and captured if only authorized), checked against our attempt
   * (order, amount, currency), then recorded: applied, or refunded when it came too late. Idempotent.
   */
  async settle(payment: PaymentDoc, gatewayPaymentId: string): Promise<PaymentDoc> {
    if (!isUnpaid(payment.status)) {
      if (payment.gatewayPaymentId === gatewayPaymentId) return payment;
      const extra = await this.deps.payments.findByGatewayPaymentId(gatewayPaymentId);
      if (extra?.captureOf === payment._id) return extra;
    }
    const { gateway, logger } = this.deps;
    let found = await this.gatewayCall(() => gateway.fetchPayment(gatewayPaymentId));
    if (found.orderId !== payment.orderId) throw notCaptured('for another order');
    // Another capture of an order already paid is not applied: it goes back whole.
    if (!isUnpaid(payment.status)) {
      if (found.status !== 'captured') throw notCaptured(found.status);
      return this.refundExtraCapture(payment, found.id, found.amountPaise);
    }
    if (found.status === 'authorized')
      found = await this.gatewayCall(() => gateway.capturePayment(found.id, payment.gatewayPaise));
    if (found.status === 'failed') {
      await this.markFailed(payment);
      throw notCaptured(found.status);
    }
    if (found.status !== 'captured') throw notCaptured(found.status);
    if (found.amountPaise !== payment.gatewayPaise || found.currency !== 'INR') {
      logger.error('gateway payment does not match its attempt', {
        paymentId: payment._id,
        gatewayPaymentId,
      });
      throw notCaptured('for another amount');
    }
    const recorded = await this.recordCapture(payment, found.id);
    // A concurrent caller recorded another capture of the order first: this one is extra.
    if (recorded.gatewayPaymentId && recorded.gatewayPaymentId !== found.id)
      return this.refundExtraCapture(recorded, found.id, found.amountPaise);
    return recorded;
  }

  /**
   * A captured gateway payment on an order whose attempt already recorded another one: recorded as its own
   * payment (`captureOf` the attempt, the unique gateway payment id makes it once), refunded in full through
   * the outbox in the same transaction, and the patient told. Idempotent: a repeat returns the record.
   */
  private async refundExtraCapture(
    attempt: PaymentDoc,
    gatewayPaymentId: string,
    amountPaise: number,
  ): Promise<PaymentDoc> {
    const now = this.now();
    const user = await this.deps.users.findById(attempt.userId);
    const reason = `this order was already paid by payment ${attempt.gatewayPaymentId}`;
    const id = newId();
    const recorded = await this.deps.outbox
      .transaction(async (tx, outbox) => {
        const payments = this.deps.payments.within(tx);
        const record = await outbox.enqueue(
          razorpayRefundDraft({ paymentId: id, gatewayPaymentId, amountPaise }),
        );
        const inserted = await payments.insertExtraCapture({
          _id: id,
          userId: attempt.userId,
          purpose: attempt.purpose,
          ...(attempt.appointmentId ? { appointmentId: attempt.appointmentId } : {}),
          method: 'razorpay',
          amountPaise,
          walletPaise: 0,
          gatewayPaise: amountPaise,
          status: 'refunded',
          gatewayPaymentId,
          captureOf: attempt._id,
          refunds: [{ amountPaise, reason, outboxId: record._id, requestedAt: now }],
          note: `Refunded: a second capture of the order of payment ${attempt._id}, which was already paid`,
          createdAt: now,
          updatedAt: now,
          refundedAt: now,
        });
        if (!inserted) throw new AlreadyRecorded();
        if (user)
          await outbox.enqueue(
            emailDraft(paymentRefundedEmail({ reader: user, amountPaise, receiptId: id, reason })),
          );
        return inserted;
      })
      .catch(async (error: unknown) => {
        if (!(error instanceof AlreadyRecorded)) throw error;
        return null;
      });
    if (recorded) {
      this.deps.logger.warn('extra capture refunded', { paymentId: attempt._id, extraId: id });
      return recorded;
    }
    const earlier = await this.deps.payments.findByGatewayPaymentId(gatewayPaymentId);
    if (earlier?.captureOf === attempt._id) return earlier;
    throw notCaptured('for another payment');
  }

  private async recordCapture(payment: PaymentDoc, gatewayPaymentId: string): Promise<PaymentDoc> {
    const now = this.now();
    const appointment = payment.appointmentId
      ? await this.deps.appointments.findById(payment.appointmentId)
      : null;
    const email = appointment ? await this.bookedEmailFor(appointment) : null;
    try {
      const applied = await this.deps.outbox.transaction(async (tx, outbox) => {
        const applied = await this.deps.payments.within(tx).apply(payment._id, gatewayPaymentId, now);
        if (!applied) return null;
        const wallet = this.deps.wallet.within(tx);
        if (payment.purpose === 'topup') {
          await wallet.apply(payment.userId, 'topup', payment.gatewayPaise, payment._id, now);
          return applied;
        }
        const current = await this.deps.appointments.within(tx).findById(payment.appointmentId!);
        if (!current || (current.status !== 'pending_payment' && current.status !== 'expired'))
          throw new NotApplicable(`the appointment was already ${current?.status ?? 'removed'}`);
        if (payment.walletPaise > 0) {
          if (await this.deps.payments.within(tx).setReservation(payment._id, 'settled', now))
            await wallet.apply(payment.userId, 'settle', payment.walletPaise, payment._id, now);
          // A released reservation is taken from what the wallet holds now.
          if (
            (await wallet.apply(payment.userId, 'debit', payment.walletPaise, payment._id, now)) ===
            'insufficient'
          )
            throw new NotApplicable('your wallet no longer covers its part of the fee');
        }
        const onTime =
          payment.status === 'created' && !isLapsedHold(current, now) && current.status === 'pending_payment';
        await this.confirmBooking(tx, current, now, !onTime);
        await this.supersedeOthers(tx, current._id, payment._id, now);
        if (email) for (const draft of email(applied)) await outbox.enqueue(draft);
        return applied;
      });
      if (!applied) return (await this.deps.payments.findById(payment._id)) ?? payment;
      this.deps.logger.info('payment applied', {
        paymentId: payment._id,
        purpose: payment.purpose,
        method: payment.method,
      });
      return applied;
    } catch (error) {
      if (error instanceof NotApplicable) return this.refundLate(payment, gatewayPaymentId, error.reason);
      throw error;
    }
  }

  /** The whole captured amount goes back through one outbox refund, and the patient is told why. */
  private async refundLate(
    payment: PaymentDoc,
    gatewayPaymentId: string,
    reason: string,
  ): Promise<PaymentDoc> {
    const now = this.now();
    const user = await this.deps.users.findById(payment.userId);
    try {
      const refunded = await this.deps.outbox.transaction(async (tx, outbox) => {
        const record = await outbox.enqueue(
          razorpayRefundDraft({
            paymentId: payment._id,
            gatewayPaymentId,
            amountPaise: payment.gatewayPaise,
          }),
        );
        const refunded = await this.deps.payments
          .within(tx)
          .refundLate(
            payment._id,
            gatewayPaymentId,
            { amountPaise: payment.gatewayPaise, reason, outboxId: record._id, requestedAt: now },
            reason,
            now,
          );
        if (!refunded) throw new AlreadyRecorded();
        await this.releaseReservation(tx, payment, now);
        if (user)
          await outbox.enqueue(
            emailDraft(
              paymentRefundedEmail({
                reader: user,
                amountPaise: payment.gatewayPaise,
                receiptId: payment._id,
                reason,
              }),
            ),
          );
        return refunded;
      });
      this.deps.logger.warn('late payment refunded', { paymentId: payment._id, reason });
      return refunded;
    } catch (error) {
      if (error instanceof AlreadyRecorded)
        return (await this.deps.payments.findById(payment._id)) ?? payment;
      throw error;
    }
  }

  /** The confirmation emails (patient and doctor, with the invite), made from what is read before the transaction. */
  private async bookedEmailFor(
    appointment: AppointmentDoc,
  ): Promise<((payment: PaymentDoc) => OutboxDraft[]) | null> {
    const parties = await this.deps.mail.parties(appointment);
    if (!parties) return null;
    return (payment) =>
      this.deps.mail.booked(parties, appointment, this.now(), {
        amountPaise: payment.amountPaise,
        receiptId: payment._id,
      });
  }

  async present(payment: PaymentDoc): Promise<Settled> {
    if (payment.purpose === 'topup')
      return { payment, wallet: await this.deps.wallet.findById(payment.userId) };
    const appointment = payment.appointmentId
      ? await this.deps.appointments.findById(payment.appointmentId)
      : null;
    return { payment, ...(appointment ? { appointment } : {}) };
  }

  async get(viewer: Viewer, id: string): Promise<PaymentDoc> {
    const payment = await this.deps.payments.findById(id);
    if (!payment || (viewer.role !== 'admin' && payment.userId !== viewer.id)) throw paymentNotFound();
    return payment;
  }

  list(
    userId: string,
    page: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<Page<PaymentDoc>> {
    return this.deps.payments.page(
      { userId },
      { limit: page.limit ?? PAYMENT_PAGE_DEFAULT, cursor: page.cursor },
    );
  }

  listAll(query: {
    status?: PaymentStatus | undefined;
    limit?: number | undefined;
    cursor?: string | undefined;
  }) {
    return this.deps.payments.page(query.status ? { status: query.status } : {}, {
      limit: query.limit ?? PAYMENT_PAGE_DEFAULT,
      cursor: query.cursor,
    });
  }

  /** The hold sweeper's second half: reservations of attempts that are over or whose hold lapsed. */
  async releaseStaleReservations(): Promise<number> {
    const now = this.now();
    let released = 0;
    for (const payment of await this.deps.payments.findStaleReservations(now, SWEEP_BATCH)) {
      if (await this.deps.store.transaction((tx) => this.releaseReservation(tx, payment, now))) released++;
    }
    if (released) this.deps.logger.info('reservations released', { released });
    return released;
  }

  /**
   * Reconciliation: gateway attempts still waiting after a few minutes are asked about at the gateway
   * and whatever it reports captured is recorded (idempotent, so several instances may run it at once).
   */
  async reconcile(): Promise<{ checked: number; settled: number }> {
    const now = this.now();
    const before = new Date(now.getTime() - this.deps.rules.reconcileAfterSeconds * 1000);
    const result = { checked: 0, settled: 0 };
    for (const payment of await this.deps.payments.findAwaiting(before, RECONCILE_BATCH)) {
      if (payment.createdAt.getTime() < now.getTime() - RECONCILE_HORIZON_MS) continue;
      result.checked++;
      try {
        const found = await this.deps.gateway.paymentsOfOrder(payment.orderId!);
        const [paid, ...others] = found.filter((p) => p.status === 'captured' || p.status === 'authorized');
        if (paid) {
          const settled = await this.settle(payment, paid.id);
          if (!isUnpaid(settled.status)) result.settled++;
          // Any other capture of the order is extra once the first is recorded: refunded.
          for (const other of others)
            if (other.status === 'captured' && !isUnpaid(settled.status))
              await this.settle(settled, other.id);
        }
      } catch (error) {
        this.deps.logger.warn('reconciliation of a payment failed', {
          paymentId: payment._id,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    if (result.settled) this.deps.logger.info('payments reconciled', result);
    return result;
  }
}
