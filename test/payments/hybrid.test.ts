import { describe, expect, test } from 'bun:test';
import { jobSpecs } from '../../src/jobs/index.ts';
import { RazorpayRefundHandler } from '../../src/modules/outbox/handlers/razorpay-refund.ts';
import { WalletEntries } from '../../src/modules/wallet/wallet.model.ts';
import type { TestApp } from '../support/app.ts';
import { hold, MINUTE, storedAppointment, storedSlot } from '../support/booking.ts';
import { createUser } from '../support/factories.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import {
  checkout,
  deliver,
  fundWallet,
  heldAppointment,
  razorpaySuite,
  storedPayment,
  storedWallet,
  verify,
} from '../support/payments.ts';

let t: TestApp;
let fake: RazorpayFake;
razorpaySuite((suite) => {
  ({ t, fake } = suite);
});

const sweep = () =>
  jobSpecs(t.container)
    .find((spec) => spec.name === 'hold-sweeper')!
    .run();
const entriesOf = (paymentId: string) =>
  t.container.store.collection(WalletEntries).findAll({ 'ref.id': paymentId }, { sort: { _id: 1 } });

/** A patient with `walletPaise` in the wallet, a hold on a `feePaise` slot and a hybrid order for it. */
async function hybridOrder(feePaise: number, walletPaise: number, body: Record<string, unknown> = {}) {
  const patient = await createUser(t, { role: 'patient' });
  await fundWallet(t, fake, patient, walletPaise);
  const held = await heldAppointment(t, feePaise, { patient });
  const res = await checkout(t, patient, { appointmentId: held.appointmentId, method: 'hybrid', ...body });
  expect(res.status).toBe(201);
  return { ...held, paymentId: res.body.payment.id as string, orderId: res.body.order.id as string, res };
}

describe('cancelling a hold with a live hybrid attempt', () => {
  test('the reservation is released with the cancel, the attempt superseded; a later capture is refunded', async () => {
    const o = await hybridOrder(50_000, 30_000);
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({
      reservedPaise: 30_000,
      availablePaise: 0,
    });
    const res = await t.call('POST', `/api/v1/appointments/${o.appointmentId}/cancel`, {
      token: o.patient.accessToken,
    });
    expect([res.status, res.body.appointment.status]).toEqual([200, 'cancelled']);
    const wallet = await t.call('GET', '/api/v1/wallet', { token: o.patient.accessToken });
    expect(wallet.body.wallet).toMatchObject({
      balancePaise: 30_000,
      reservedPaise: 0,
      availablePaise: 30_000,
    });
    expect(await storedPayment(t, o.paymentId)).toMatchObject({
      status: 'superseded',
      reservation: 'released',
    });
    expect((await entriesOf(o.paymentId)).map((e) => [e.kind, e.amountPaise])).toEqual([
      ['reserve', 30_000],
      ['release', -30_000],
    ]);

    // The patient still pays the order afterwards: the gateway part goes back, the wallet is not touched.
    const paid = fake.pay(o.orderId);
    const late = await verify(t, o.patient, fake.checkoutFields(paid));
    expect([late.status, late.body.payment.status]).toEqual([200, 'refunded']);
    expect(late.body.payment.refunds).toEqual([expect.objectContaining({ amountPaise: 20_000 })]);
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({
      balancePaise: 30_000,
      availablePaise: 30_000,
    });
    expect((await storedAppointment(t, o.appointmentId)).status).toBe('cancelled');
    expect((await entriesOf(o.paymentId)).map((e) => e.kind)).toEqual(['reserve', 'release']);
  });
});

describe('hybrid checkout', () => {
  test('the wallet part defaults to what the wallet covers, leaving 100 paise to the gateway; it is reserved', async () => {
    const o = await hybridOrder(50_000, 80_000);
    expect(o.res.body.payment).toMatchObject({ walletPaise: 49_900, gatewayPaise: 100, amountPaise: 50_000 });
    expect(o.res.body.order.amountPaise).toBe(100);
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({
      balancePaise: 80_000,
      reservedPaise: 49_900,
      availablePaise: 30_100,
    });
    const small = await hybridOrder(50_000, 20_000);
    expect(small.res.body.payment).toMatchObject({ walletPaise: 20_000, gatewayPaise: 30_000 });
  });

  test('captured -> the reservation becomes a debit, confirmed once', async () => {
    const o = await hybridOrder(30_000, 10_000);
    const paid = fake.pay(o.orderId);
    const res = await verify(t, o.patient, fake.checkoutFields(paid));
    expect(res.body.payment.status).toBe('applied');
    expect(res.body.appointment.status).toBe('confirmed');
    await deliver(t, fake.webhook('payment.captured', paid));
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({
      balancePaise: 0,
      reservedPaise: 0,
      availablePaise: 0,
    });
    expect((await entriesOf(o.paymentId)).map((e) => [e.kind, e.amountPaise])).toEqual([
      ['reserve', 10_000],
      ['settle', -10_000],
      ['debit', -10_000],
    ]);
  });

  test('walletPaise beyond the available funds -> 402; a new checkout releases the old reservation once', async () => {
    const o = await hybridOrder(30_000, 10_000, { walletPaise: 5_000 });
    const tooMuch = await checkout(t, o.patient, {
      appointmentId: o.appointmentId,
      method: 'hybrid',
      walletPaise: 20_000,
    });
    expect([tooMuch.status, tooMuch.body.error.code]).toEqual([402, 'INSUFFICIENT_FUNDS']);
    expect((await storedPayment(t, o.paymentId)).status).toBe('created');
    const again = await checkout(t, o.patient, {
      appointmentId: o.appointmentId,
      method: 'hybrid',
      walletPaise: 8_000,
    });
    expect(again.status).toBe(201);
    expect(await storedPayment(t, o.paymentId)).toMatchObject({
      status: 'superseded',
      reservation: 'released',
    });
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({
      reservedPaise: 8_000,
      availablePaise: 2_000,
    });
  });

  test('switching to the wallet: the hybrid reservation is released and the whole fee debited, in one go', async () => {
    const o = await hybridOrder(10_000, 10_000);
    expect((await storedWallet(t, o.patient.user.id))?.reservedPaise).toBe(9_900);
    const res = await checkout(t, o.patient, { appointmentId: o.appointmentId, method: 'wallet' });
    expect(res.status).toBe(200);
    expect(await storedPayment(t, o.paymentId)).toMatchObject({
      status: 'superseded',
      reservation: 'released',
    });
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({
      balancePaise: 0,
      reservedPaise: 0,
      availablePaise: 0,
    });
  });

  test('abandoned: the sweeper releases the reservation once when the hold lapses', async () => {
    const o = await hybridOrder(30_000, 10_000);
    await sweep();
    expect((await storedWallet(t, o.patient.user.id))?.reservedPaise).toBe(10_000);
    t.clock.advance(16 * MINUTE);
    // Past expiry plus one sweep period with no sweep: the audit says so.
    expect((await t.container.paymentsAudit.run()).violations).toContainEqual(
      expect.objectContaining({
        invariant: 'reservation_only_for_live_attempts',
        ref: { type: 'payment', id: o.paymentId },
      }),
    );
    await Promise.all([sweep(), sweep(), sweep()]);
    await sweep();
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({
      balancePaise: 10_000,
      reservedPaise: 0,
      availablePaise: 10_000,
    });
    expect((await entriesOf(o.paymentId)).map((e) => e.kind)).toEqual(['reserve', 'release']);
    expect((await storedAppointment(t, o.appointmentId)).status).toBe('expired');
  });

  test('captured after the hold lapsed, slot still free -> claimed again and confirmed', async () => {
    const o = await hybridOrder(30_000, 10_000);
    t.clock.advance(16 * MINUTE);
    await sweep();
    expect((await storedSlot(t, o.slotId)).status).toBe('open');
    const paid = fake.pay(o.orderId);
    const res = await deliver(t, fake.webhook('payment.captured', paid));
    expect(res.status).toBe(200);
    expect((await storedAppointment(t, o.appointmentId)).status).toBe('confirmed');
    expect(await storedSlot(t, o.slotId)).toMatchObject({ status: 'booked', heldBy: o.appointmentId });
    expect((await storedPayment(t, o.paymentId)).status).toBe('applied');
    // The released wallet part is taken from the wallet now.
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({ balancePaise: 0, reservedPaise: 0 });
  });

  test('captured after the hold lapsed and the slot went to another patient -> refunded once through the outbox', async () => {
    const o = await hybridOrder(30_000, 10_000);
    t.clock.advance(16 * MINUTE);
    const rival = await createUser(t, { role: 'patient' });
    expect((await hold(t, rival, o.slotId)).status).toBe(201);
    const paid = fake.pay(o.orderId);
    const hook = fake.webhook('payment.captured', paid);
    const [a, b] = await Promise.all([deliver(t, hook), verify(t, o.patient, fake.checkoutFields(paid))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const payment = await storedPayment(t, o.paymentId);
    expect(payment).toMatchObject({ status: 'refunded', reservation: 'released', gatewayPaymentId: paid.id });
    expect(payment.refunds).toHaveLength(1);
    expect(payment.refunds[0]!.amountPaise).toBe(20_000);
    expect((await storedAppointment(t, o.appointmentId)).status).toBe('expired');
    expect(await storedWallet(t, o.patient.user.id)).toMatchObject({
      balancePaise: 10_000,
      reservedPaise: 0,
    });
    await t.container.outboxDeliverer.settled();
    // Performed again with the same record (a retry after a crash): the receipt finds the first refund.
    const refundPayload = { paymentId: o.paymentId, gatewayPaymentId: paid.id, amountPaise: 20_000 };
    await new RazorpayRefundHandler(t.container.paymentGateway).perform(refundPayload, {
      id: payment.refunds[0]!.outboxId,
    });
    expect(fake.refunds.filter((r) => r.payment_id === paid.id)).toEqual([
      expect.objectContaining({ amount: 20_000, receipt: payment.refunds[0]!.outboxId }),
    ]);
    const mail = await t.call('GET', `/api/v1/dev/mailbox?to=${encodeURIComponent(o.patient.email)}`);
    expect(mail.body.messages.map((m: { subject: string }) => m.subject)).toContain(
      'Your payment is being refunded',
    );
  });
});
