import { expect, test } from 'bun:test';
import { jobSpecs } from '../../src/jobs/index.ts';
import type { TestApp } from '../support/app.ts';
import { MINUTE, storedAppointment } from '../support/booking.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import { checkout, heldAppointment, razorpaySuite, storedPayment } from '../support/payments.ts';

let t: TestApp;
let fake: RazorpayFake;
razorpaySuite((suite) => {
  ({ t, fake } = suite);
});

test('reconciliation every PAYMENT_RECONCILE_SECONDS: a lost webhook and a closed browser still confirm, once', async () => {
  const job = jobSpecs(t.container).find((spec) => spec.name === 'payment-reconciliation')!;
  expect(job.everySeconds).toBe(60);
  const held = await heldAppointment(t, 15_000);
  const order = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'razorpay' });
  const unpaid = await heldAppointment(t, 15_000);
  const unpaidOrder = await checkout(t, unpaid.patient, {
    appointmentId: unpaid.appointmentId,
    method: 'razorpay',
  });
  const paid = fake.pay(order.body.order.id, 'authorized');
  // Too recent: Checkout may still be talking to the patient.
  expect(await t.container.payments.reconcile()).toEqual({ checked: 0, settled: 0 });
  t.clock.advance(4 * MINUTE);
  // Several instances at once.
  const runs = await Promise.all([job.run(), job.run(), t.container.payments.reconcile()]);
  expect(runs.every((r) => (r as { checked: number }).checked === 2)).toBe(true);
  expect(fake.payments.get(paid.id)?.status).toBe('captured');
  expect((await storedPayment(t, order.body.payment.id)).status).toBe('applied');
  expect((await storedAppointment(t, held.appointmentId)).status).toBe('confirmed');
  expect((await storedPayment(t, unpaidOrder.body.payment.id)).status).toBe('created');
  expect(
    t.logger.lines.filter((l) => l.msg === 'payment applied' && l.paymentId === order.body.payment.id),
  ).toHaveLength(1);
  expect(await t.container.payments.reconcile()).toEqual({ checked: 1, settled: 0 });
});
