import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { devPaymentSecretFile } from '../../src/config.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { buildBookingApp, storedAppointment } from '../support/booking.ts';
import { createUser } from '../support/factories.ts';
import {
  checkout,
  expectAuditClean,
  heldAppointment,
  storedPayment,
  storedWallet,
  verify,
} from '../support/payments.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildBookingApp();
});
afterAll(() => t.close());
afterEach(() => expectAuditClean(t));

const pay = (orderId: string, body: Record<string, unknown>) =>
  t.call('POST', `/api/v1/dev/payments/orders/${orderId}/pay`, { body });

describe('the dev payment provider', () => {
  test('signs with a secret kept privately in DATA_DIR', () => {
    const file = devPaymentSecretFile(t.dataDir);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(file).toBe(join(t.dataDir, 'dev-payment-secret'));
  });

  test('success with webhooks: the signed events confirm it, and verify with the handler fields is 200', async () => {
    const held = await heldAppointment(t, 30_000);
    const order = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'razorpay' });
    expect(order.body.keyId).toStartWith('rzp_test_');
    const res = await pay(order.body.order.id, { outcome: 'success' });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual([
      'razorpay_order_id',
      'razorpay_payment_id',
      'razorpay_signature',
    ]);
    expect((await storedAppointment(t, held.appointmentId)).status).toBe('confirmed');
    const verified = await verify(t, held.patient, res.body);
    expect(verified.body.payment.status).toBe('applied');
  });

  test('webhook: false leaves it to verify; a forged signature is still refused', async () => {
    const held = await heldAppointment(t, 30_000);
    const order = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'razorpay' });
    const res = await pay(order.body.order.id, { outcome: 'success', webhook: false });
    expect((await storedPayment(t, order.body.payment.id)).status).toBe('created');
    const forged = await verify(t, held.patient, { ...res.body, razorpay_signature: '0'.repeat(64) });
    expect(forged.status).toBe(400);
    const verified = await verify(t, held.patient, res.body);
    expect(verified.body.appointment.status).toBe('confirmed');
  });

  test('failure: the payment fails and a hybrid reservation is released', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const topup = await t.call('POST', '/api/v1/wallet/topup', {
      token: patient.accessToken,
      body: { amountPaise: 5_000 },
    });
    await pay(topup.body.order.id, { outcome: 'success' });
    expect((await storedWallet(t, patient.user.id))?.balancePaise).toBe(5_000);
    const held = await heldAppointment(t, 30_000, { patient });
    const order = await checkout(t, patient, { appointmentId: held.appointmentId, method: 'hybrid' });
    expect((await storedWallet(t, patient.user.id))?.reservedPaise).toBe(5_000);
    const res = await pay(order.body.order.id, { outcome: 'failure' });
    expect(res.body).toEqual({});
    expect((await storedPayment(t, order.body.payment.id)).status).toBe('failed');
    expect(await storedWallet(t, patient.user.id)).toMatchObject({ reservedPaise: 0, availablePaise: 5_000 });
  });

  test('a top-up order paid twice: credited once, the second capture recorded refunded once', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const topup = await t.call('POST', '/api/v1/wallet/topup', {
      token: patient.accessToken,
      body: { amountPaise: 7_000 },
    });
    const first = await pay(topup.body.order.id, { outcome: 'success' });
    const second = await pay(topup.body.order.id, { outcome: 'success' });
    expect(second.body.razorpay_payment_id).not.toBe(first.body.razorpay_payment_id);
    expect(await storedWallet(t, patient.user.id)).toMatchObject({
      balancePaise: 7_000,
      availablePaise: 7_000,
    });
    const verified = await verify(t, patient, second.body);
    expect(verified.status).toBe(200);
    expect(verified.body.payment).toMatchObject({
      status: 'refunded',
      gatewayPaymentId: second.body.razorpay_payment_id,
      refunds: [expect.objectContaining({ amountPaise: 7_000 })],
    });
    expect((await verify(t, patient, first.body)).body.payment).toMatchObject({
      id: topup.body.payment.id,
      status: 'applied',
    });
  });

  test('an unknown order -> 404', async () => {
    expect((await pay('order_nope', { outcome: 'success' })).status).toBe(404);
  });
});

test('the dev payment route does not exist with PAYMENT_PROVIDER=razorpay', async () => {
  const other = await buildTestApp({
    PAYMENT_PROVIDER: 'razorpay',
    RAZORPAY_KEY_ID: 'rzp_test_x',
    RAZORPAY_KEY_SECRET: 's',
    RAZORPAY_WEBHOOK_SECRET: 'w',
  });
  try {
    const res = await other.call('POST', '/api/v1/dev/payments/orders/order_x/pay', {
      body: { outcome: 'success' },
    });
    expect(res.status).toBe(404);
  } finally {
    await other.close();
  }
});
