import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { Payments } from '../../src/modules/payments/payments.model.ts';
import { buildBookingApp, storedAppointment, storedSlot } from '../support/booking.ts';
import { type RazorpayFake, startRazorpayFake } from '../support/fakes/razorpay.ts';
import { checkout, expectAuditClean, heldAppointment } from '../support/payments.ts';
import { ServerProcess } from './server-process.ts';

let fake: RazorpayFake;
const dir = mkdtempSync(join(tmpdir(), 'hv-payment-crash-'));
beforeAll(() => {
  fake = startRazorpayFake();
});
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

const JWT_SECRET = 'test-secret-that-is-long-enough-to-be-real-0123456789';

test('killed -9 between the gateway capture and our confirmation -> after restart, reconciliation confirms it once', async () => {
  const env = {
    DATABASE_URL: `sqlite:${join(dir, 'store.sqlite')}`,
    JWT_SECRET,
    ACCESS_TOKEN_TTL_SECONDS: String(30 * 24 * 3600),
    PAYMENT_PROVIDER: 'razorpay',
    RAZORPAY_KEY_ID: fake.keyId,
    RAZORPAY_KEY_SECRET: fake.keySecret,
    RAZORPAY_WEBHOOK_SECRET: fake.webhookSecret,
    RAZORPAY_BASE_URL: fake.url,
  };
  // The data, made through the app in-process on the store file the server will use.
  const setup = await buildBookingApp(env);
  const held = await heldAppointment(setup, 25_000);
  const order = await checkout(setup, held.patient, {
    appointmentId: held.appointmentId,
    method: 'razorpay',
  });
  expect(order.status).toBe(201);
  const paymentId: string = order.body.payment.id;
  await setup.close();

  const paid = fake.pay(order.body.order.id, 'authorized');
  const first = await ServerProcess.start(env);
  const capturing = fake.captureWithoutAnswer();
  const verifying = fetch(`http://127.0.0.1:${first.port}/api/v1/payments/razorpay/verify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${held.patient.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(fake.checkoutFields(paid)),
  }).catch(() => 'connection lost');
  expect(await capturing).toBe(paid.id);
  first.proc.kill('SIGKILL');
  await first.proc.exited;
  expect(first.proc.signalCode).toBe('SIGKILL');
  expect(await verifying).toBe('connection lost');
  expect(fake.payments.get(paid.id)?.status).toBe('captured');

  // The patient closed the browser; minutes pass before anyone looks again.
  const between = await buildBookingApp(env);
  expect((await between.container.store.collection(Payments).findById(paymentId))?.status).toBe('created');
  await between.container.store
    .collection(Payments)
    .updateOne({ _id: paymentId }, { $set: { createdAt: new Date(Date.now() - 10 * 60_000) } });
  await between.close();

  const second = await ServerProcess.start({ ...env, PAYMENT_RECONCILE_SECONDS: '1' });
  try {
    const reconciled = await second.waitFor(
      (line) => line.msg === 'payments reconciled',
      'the reconciliation',
    );
    expect(reconciled).toMatchObject({ settled: 1 });
  } finally {
    await second.stop();
  }
  expect(
    second.lines.filter((line) => line.msg === 'payment applied' && line.paymentId === paymentId),
  ).toHaveLength(1);

  const after = await buildBookingApp(env);
  try {
    expect(await after.container.store.collection(Payments).findById(paymentId)).toMatchObject({
      status: 'applied',
      gatewayPaymentId: paid.id,
    });
    expect((await storedAppointment(after, held.appointmentId)).status).toBe('confirmed');
    expect((await storedSlot(after, held.slotId)).status).toBe('booked');
    const confirmations = (await after.container.store.collection(Outbox).findAll({ kind: 'email' })).filter(
      (r) => r.subject.startsWith('Appointment confirmed'),
    );
    // One to the patient and one to the doctor.
    expect(confirmations.map((r) => r.recipient).sort()).toEqual(
      [held.patient.email, held.doctor.email].sort(),
    );
    await expectAuditClean(after);
  } finally {
    await after.close();
  }
}, 30_000);
