import type { Clock } from '../../shared/clock.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { SlotsRepository } from '../slots/slots.repository.ts';
import { isMoneyEntry } from '../wallet/wallet.model.ts';
import type { WalletRepository } from '../wallet/wallet.repository.ts';
import type { AuditReport } from './payments.model.ts';
import type { PaymentsRepository } from './payments.repository.ts';
import type { RefundsRepository } from './refunds.repository.ts';

type Violation = AuditReport['violations'][number];

/**
 * Proves the books balance, over the whole store: wallets against their ledgers, reservations against
 * live attempts, captured money against what it confirmed or refunded, and bookings against payments.
 */
export class PaymentsAudit {
  constructor(
    private readonly payments: PaymentsRepository,
    private readonly wallet: WalletRepository,
    private readonly appointments: AppointmentsRepository,
    private readonly slots: SlotsRepository,
    private readonly refunds: RefundsRepository,
    private readonly clock: Clock,
    /** How long a lapsed hold's reservation may wait for the sweeper (one sweep period). */
    private readonly sweepSeconds: number,
  ) {}

  async run(): Promise<AuditReport> {
    const violations: Violation[] = [];
    const flag = (invariant: string, type: string, id: string, detail: string) =>
      violations.push({ invariant, ref: { type, id }, detail });

    const wallets = await this.wallet.allWallets();
    for (const wallet of wallets) {
      const entries = await this.wallet.entriesOf(wallet._id);
      let money = 0;
      let reserved = 0;
      for (const entry of entries) {
        if (isMoneyEntry(entry.kind)) money += entry.amountPaise;
        else reserved += entry.amountPaise;
      }
      if (money !== wallet.balancePaise)
        flag(
          'wallet_balance_matches_ledger',
          'wallet',
          wallet._id,
          `balance ${wallet.balancePaise}, money entries sum to ${money}`,
        );
      if (reserved !== wallet.reservedPaise)
        flag(
          'wallet_reserved_matches_ledger',
          'wallet',
          wallet._id,
          `reserved ${wallet.reservedPaise}, reservation entries sum to ${reserved}`,
        );
      const available = wallet.balancePaise - wallet.reservedPaise;
      if (available < 0 || wallet.availablePaise !== available)
        flag(
          'wallet_available_non_negative',
          'wallet',
          wallet._id,
          `available ${wallet.availablePaise}, balance - reserved = ${available}`,
        );
    }

    const payments = await this.payments.all();
    const paymentsById = new Map(payments.map((p) => [p._id, p]));
    const confirmedBy = new Map<string, number>();
    for (const payment of payments) {
      const entries = await this.wallet.entriesFor(payment._id);
      const sum = (kind: string) =>
        entries.filter((e) => e.kind === kind).reduce((s, e) => s + Math.abs(e.amountPaise), 0);
      const held = sum('reserve') - sum('release') - sum('settle');
      if (payment.reservation === 'held' && (payment.status !== 'created' || held !== payment.walletPaise))
        flag(
          'reservation_only_for_live_attempts',
          'payment',
          payment._id,
          `${payment.status} attempt holds ${held} of ${payment.walletPaise}`,
        );
      const lapsedBy = payment.holdExpiresAt
        ? this.clock.now().getTime() - payment.holdExpiresAt.getTime()
        : 0;
      if (payment.reservation === 'held' && lapsedBy > this.sweepSeconds * 1000)
        flag(
          'reservation_only_for_live_attempts',
          'payment',
          payment._id,
          `still reserved ${Math.round(lapsedBy / 1000)} s after its hold lapsed`,
        );
      if (payment.reservation !== 'held' && held !== 0)
        flag(
          'reservation_only_for_live_attempts',
          'payment',
          payment._id,
          `${held} paise still reserved for a ${payment.reservation ?? 'walletless'} attempt`,
        );
      // A late capture's refund stands for its application; a cancellation's follows it.
      const refunded = payment.refunds.filter((r) => !r.refundId).reduce((s, r) => s + r.amountPaise, 0);
      if (payment.gatewayPaymentId) {
        const applied = payment.appliedAt ? payment.gatewayPaise : 0;
        if (applied + refunded !== payment.gatewayPaise)
          flag(
            'captured_is_applied_or_refunded',
            'payment',
            payment._id,
            `captured ${payment.gatewayPaise}, applied ${applied} + refunded ${refunded}`,
          );
      }
      if (payment.captureOf) {
        const attempt = paymentsById.get(payment.captureOf);
        if (
          payment.status !== 'refunded' ||
          refunded !== payment.gatewayPaise ||
          !attempt?.gatewayPaymentId ||
          attempt.gatewayPaymentId === payment.gatewayPaymentId ||
          attempt.orderId === undefined
        )
          flag(
            'extra_capture_is_refunded',
            'payment',
            payment._id,
            `${payment.status} extra capture of ${payment.captureOf}: captured ${payment.gatewayPaise}, refunded ${refunded}`,
          );
      }
      if (payment.appliedAt && payment.purpose === 'appointment') {
        if (sum('debit') !== payment.walletPaise)
          flag(
            'applied_wallet_part_is_debited',
            'payment',
            payment._id,
            `wallet part ${payment.walletPaise}, debited ${sum('debit')}`,
          );
      }
      if (payment.status === 'applied' && payment.purpose === 'appointment') {
        const id = payment.appointmentId!;
        confirmedBy.set(id, (confirmedBy.get(id) ?? 0) + payment.walletPaise + payment.gatewayPaise);
      }
      if (
        payment.status === 'applied' &&
        payment.purpose === 'topup' &&
        sum('topup') !== payment.gatewayPaise
      )
        flag(
          'topup_is_credited',
          'payment',
          payment._id,
          `captured ${payment.gatewayPaise}, credited ${sum('topup')}`,
        );
    }

    const refunds = await this.refunds.all();
    for (const refund of refunds) {
      const payment = paymentsById.get(refund.paymentId);
      const credited = (await this.wallet.entriesFor(refund.paymentId))
        .filter((e) => e.kind === 'refund')
        .reduce((s, e) => s + e.amountPaise, 0);
      const requested = (payment?.refunds ?? [])
        .filter((r) => r.refundId === refund._id)
        .reduce((s, r) => s + r.amountPaise, 0);
      if (
        !payment ||
        refund.walletPaise + refund.gatewayPaise !== refund.amountPaise ||
        refund.amountPaise > payment.amountPaise ||
        refund.gatewayPaise > payment.gatewayPaise ||
        credited !== refund.walletPaise ||
        requested !== refund.gatewayPaise
      )
        flag(
          'refund_matches_its_money',
          'refund',
          refund._id,
          `amount ${refund.amountPaise} = wallet ${refund.walletPaise} (credited ${credited}) + gateway ${refund.gatewayPaise} (requested ${requested}) of paid ${payment?.amountPaise ?? 'nothing'}`,
        );
    }

    const active = await this.appointments.findAllWithStatus(['pending_payment', 'confirmed']);
    const perSlot = new Map<string, string[]>();
    for (const appointment of active)
      perSlot.set(appointment.slotId, [...(perSlot.get(appointment.slotId) ?? []), appointment._id]);
    for (const [slotId, ids] of perSlot)
      if (ids.length > 1)
        flag('one_active_appointment_per_slot', 'slot', slotId, `active: ${ids.join(', ')}`);
    for (const appointment of active.filter((a) => a.status === 'confirmed')) {
      const paid = confirmedBy.get(appointment._id) ?? 0;
      if (paid !== appointment.feePaise)
        flag(
          'confirmed_appointment_is_paid',
          'appointment',
          appointment._id,
          `fee ${appointment.feePaise}, paid ${paid}`,
        );
    }
    const slots = await this.slots.findTaken();
    const byId = new Map(active.map((a) => [a._id, a]));
    for (const slot of slots.filter((s) => s.status === 'booked')) {
      const owner = slot.heldBy ? byId.get(slot.heldBy) : undefined;
      if (owner?.status !== 'confirmed')
        flag(
          'booked_slot_has_confirmed_appointment',
          'slot',
          slot._id,
          `booked for ${slot.heldBy ?? 'nobody'}`,
        );
    }

    return {
      ok: violations.length === 0,
      checked: {
        wallets: wallets.length,
        payments: payments.length,
        appointments: active.length,
        slots: slots.length,
      },
      violations,
    };
  }
}
