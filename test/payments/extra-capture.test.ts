import { describe, expect, test } from 'bun:test';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { Payments } from '../../src/modules/payments/payments.model.ts';
import type { TestApp } from '../support/app.ts';
import { storedAppointment } from '../support/booking.ts';
import { createUser } from '../support/factories.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import {
  checkout,
  deliver,
  gatewayRefunded,
  heldAppointment,
  mailSubjects,
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

const refundedAtGateway = (gatewayPaymentId: string | undefined) => gatewayRefunded(fake, gatewayPaymentId);
const recordsOf = (gatewayPaymentId: string) =>
  t.container.store.collection(Payments).findAll({ gatewayPaymentId });
const refundsInOutbox = (gatewayPaymentId: string) =>
  t.container.store.collection(Outbox).count({ kind: 'razorpay_refund', recipient: gatewayPaymentId });
const subjectsTo = (email: string) => mailSubjects(t, email);

describe('a second capture of an order already paid', () => {
  test('razorpay checkout paid twice: the first confirms, the second is recorded refunded and refunded once, the patient told', async () => {
    const held = await heldAppointment(t, 30_000);
    const res = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'razorpay' });
    const orderId = res.body.order.id as string;
    const paymentId = res.body.payment.id as string;
    const first = fake.pay(orderId);
    expect((await verify(t, held.patient, fake.checkoutFields(first))).body.payment.status).toBe('applied');
    const applied = await storedPayment(t, paymentId);

    const second = fake.pay(orderId);
    const again = await verify(t, held.patient, fake.checkoutFields(second));
    expect(again.status).toBe(200);
    expect(again.body.payment).toMatchObject({
      status: 'refunded',
      gatewayPaymentId: second.id,
      gatewayPaise: 30_000,
      orderId: null,
      refunds: [expect.objectContaining({ amountPaise: 30_000 })],
    });
    expect(again.body.payment.id).not.toBe(paymentId);
    expect(again.body.appointment).toMatchObject({ id: held.appointmentId, status: 'confirmed' });
    // The attempt keeps its first capture; the booking is untouched.
    expect(await storedPayment(t, paymentId)).toEqual(applied);
    expect((await storedAppointment(t, held.appointmentId)).status).toBe('confirmed');
    const record = await storedPayment(t, again.body.payment.id);
    expect(record).toMatchObject({ captureOf: paymentId, status: 'refunded', walletPaise: 0 });

    // Repeats through every path change nothing and refund nothing more.
    for (const event of ['payment.captured', 'order.paid'] as const)
      expect((await deliver(t, fake.webhook(event, second))).status).toBe(200);
    const repeat = await verify(t, held.patient, fake.checkoutFields(second));
    expect(repeat.body.payment.id).toBe(record._id);
    await t.container.payments.reconcile();
    expect(await recordsOf(second.id)).toEqual([record]);
    expect(await refundsInOutbox(second.id)).toBe(1);

    const subjects = await subjectsTo(held.patient.email);
    expect(subjects.filter((s) => s === 'Your payment is being refunded')).toHaveLength(1);
    expect(refundedAtGateway(second.id)).toBe(30_000);
    expect(refundedAtGateway(first.id)).toBe(0);
    expect(fake.refunds.filter((r) => r.payment_id === second.id)).toEqual([
      expect.objectContaining({ amount: 30_000, receipt: record.refunds[0]!.outboxId }),
    ]);
  });

  test('a top-up paid twice by webhook: credited once, the second capture refunded once', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const topup = await t.call('POST', '/api/v1/wallet/topup', {
      token: patient.accessToken,
      body: { amountPaise: 10_000 },
    });
    const orderId = topup.body.order.id as string;
    const first = fake.pay(orderId);
    const second = fake.pay(orderId);
    expect((await deliver(t, fake.webhook('payment.captured', first))).body.status).toBe('handled');
    expect((await deliver(t, fake.webhook('payment.captured', second))).body.status).toBe('handled');
    const res = await verify(t, patient, fake.checkoutFields(second));
    expect(res.status).toBe(200);
    expect(res.body.payment).toMatchObject({ status: 'refunded', gatewayPaymentId: second.id });
    expect(res.body.wallet).toMatchObject({ balancePaise: 10_000 });
    expect(await storedWallet(t, patient.user.id)).toMatchObject({
      balancePaise: 10_000,
      availablePaise: 10_000,
    });
    expect(await recordsOf(second.id)).toHaveLength(1);
    expect(await refundsInOutbox(second.id)).toBe(1);
    await t.container.outboxDeliverer.settled();
    await t.container.outboxDeliverer.deliverDue();
    expect(refundedAtGateway(second.id)).toBe(10_000);
  });

  test('two captures verified at once: one applied, the other refunded once, whichever wins', async () => {
    const held = await heldAppointment(t, 20_000);
    const res = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'razorpay' });
    const orderId = res.body.order.id as string;
    const a = fake.pay(orderId);
    const b = fake.pay(orderId);
    const calls = [a, b, a, b].map((p) => verify(t, held.patient, fake.checkoutFields(p)));
    const answers = await Promise.all(calls);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const attempt = await storedPayment(t, res.body.payment.id);
    expect(attempt.status).toBe('applied');
    const extra = attempt.gatewayPaymentId === a.id ? b : a;
    const records = await recordsOf(extra.id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ captureOf: attempt._id, status: 'refunded' });
    expect(await refundsInOutbox(extra.id)).toBe(1);
    expect(await refundsInOutbox(attempt.gatewayPaymentId!)).toBe(0);
  });

  test('reconciliation alone: of two captures on a waiting order, one applied and the other refunded once', async () => {
    const held = await heldAppointment(t, 20_000);
    const res = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'razorpay' });
    const orderId = res.body.order.id as string;
    const a = fake.pay(orderId);
    const b = fake.pay(orderId);
    t.clock.advance(4 * 60_000);
    await t.container.payments.reconcile();
    await t.container.payments.reconcile();
    const attempt = await storedPayment(t, res.body.payment.id);
    expect(attempt.status).toBe('applied');
    const extra = attempt.gatewayPaymentId === a.id ? b : a;
    expect(await recordsOf(extra.id)).toEqual([
      expect.objectContaining({ captureOf: attempt._id, status: 'refunded', gatewayPaise: 20_000 }),
    ]);
    expect(await refundsInOutbox(extra.id)).toBe(1);
  });

  test('the audit flags an extra-capture record without its refund', async () => {
    const held = await heldAppointment(t, 20_000);
    const res = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'razorpay' });
    const orderId = res.body.order.id as string;
    await verify(t, held.patient, fake.checkoutFields(fake.pay(orderId)));
    const second = fake.pay(orderId);
    const extra = (await verify(t, held.patient, fake.checkoutFields(second))).body.payment.id as string;
    const payments = t.container.store.collection(Payments);
    const kept = await storedPayment(t, extra);
    await payments.updateOne({ _id: extra }, { $set: { refunds: [] } });
    const report = await t.container.paymentsAudit.run();
    expect(report.violations).toContainEqual(
      expect.objectContaining({
        invariant: 'extra_capture_is_refunded',
        ref: { type: 'payment', id: extra },
      }),
    );
    await payments.updateOne({ _id: extra }, { $set: { refunds: kept.refunds } });
  });
});
