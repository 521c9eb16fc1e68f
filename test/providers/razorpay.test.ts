import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHmac } from 'node:crypto';
import { PaymentProviderError } from '../../src/providers/payments/port.ts';
import { RazorpayPaymentGateway } from '../../src/providers/payments/razorpay.ts';
import { type RazorpayFake, startRazorpayFake } from '../support/fakes/razorpay.ts';

let fake: RazorpayFake;
let gateway: RazorpayPaymentGateway;
beforeAll(() => {
  fake = startRazorpayFake();
  gateway = new RazorpayPaymentGateway({
    keyId: fake.keyId,
    keySecret: fake.keySecret,
    webhookSecret: fake.webhookSecret,
    baseUrl: `${fake.url}/`,
  });
});
afterAll(() => fake.stop());

describe('the Razorpay adapter (the real SDK against a loopback fake)', () => {
  test('orders: created with basic auth under /v1 at RAZORPAY_BASE_URL, found again by receipt', async () => {
    const order = await gateway.createOrder({ amountPaise: 12_300, receipt: 'pay-1' });
    expect(order).toMatchObject({ amountPaise: 12_300, currency: 'INR', receipt: 'pay-1' });
    expect(order.id).toStartWith('order_');
    expect(fake.requests.at(-1)).toEqual({ method: 'POST', path: '/v1/orders', authorized: true });
    expect(await gateway.ordersWithReceipt('pay-1')).toEqual([order]);
    expect(await gateway.ordersWithReceipt('pay-2')).toEqual([]);
  });

  test('payments: fetch, capture an authorized one, list an order’s payments', async () => {
    const order = await gateway.createOrder({ amountPaise: 5_000, receipt: 'pay-3' });
    const paid = fake.pay(order.id, 'authorized');
    expect(await gateway.fetchPayment(paid.id)).toEqual({
      id: paid.id,
      orderId: order.id,
      status: 'authorized',
      amountPaise: 5_000,
      currency: 'INR',
    });
    expect((await gateway.capturePayment(paid.id, 5_000)).status).toBe('captured');
    expect((await gateway.paymentsOfOrder(order.id)).map((p) => [p.id, p.status])).toEqual([
      [paid.id, 'captured'],
    ]);
    // Razorpay refuses a second capture: a client error, not an outage.
    const again = await gateway.capturePayment(paid.id, 5_000).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(PaymentProviderError);
    expect(again).toMatchObject({ unavailable: false, providerCode: 'BAD_REQUEST_ERROR' });
  });

  test('refunds carry our receipt and are listed back', async () => {
    const order = await gateway.createOrder({ amountPaise: 2_000, receipt: 'pay-4' });
    const paid = fake.pay(order.id);
    const refund = await gateway.refund(paid.id, 2_000, 'outbox-1');
    expect(refund).toMatchObject({ paymentId: paid.id, amountPaise: 2_000, receipt: 'outbox-1' });
    expect(await gateway.refunds(paid.id)).toEqual([refund]);
  });

  test('a wrong key is refused (401); an outage (503) and a closed port are unavailable', async () => {
    const wrong = new RazorpayPaymentGateway({
      keyId: 'rzp_test_wrong',
      keySecret: 'x',
      webhookSecret: 'w',
      baseUrl: fake.url,
    });
    const refused = await wrong.createOrder({ amountPaise: 100, receipt: 'r' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ unavailable: false });
    expect(fake.requests.at(-1)?.authorized).toBe(false);
    fake.goDown();
    const down = await gateway.createOrder({ amountPaise: 100, receipt: 'r' }).catch((e: unknown) => e);
    fake.recover();
    expect(down).toMatchObject({ unavailable: true });
    const closed = new RazorpayPaymentGateway({
      keyId: 'k',
      keySecret: 's',
      webhookSecret: 'w',
      baseUrl: 'http://127.0.0.1:1',
    });
    const unreachable = await closed.fetchPayment('pay_x').catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(PaymentProviderError);
    expect(unreachable).toMatchObject({ unavailable: true });
  });

  test('signatures: HMAC-SHA256 of order|payment with the key secret, and of the raw body with the webhook secret', () => {
    const signature = createHmac('sha256', fake.keySecret).update('order_1|pay_1').digest('hex');
    expect(gateway.isPaymentSignatureValid('order_1', 'pay_1', signature)).toBe(true);
    expect(gateway.isPaymentSignatureValid('order_2', 'pay_1', signature)).toBe(false);
    expect(gateway.isPaymentSignatureValid('order_1', 'pay_1', signature.slice(1))).toBe(false);
    const body = '{"event":"payment.captured"}';
    const hook = createHmac('sha256', fake.webhookSecret).update(body).digest('hex');
    expect(gateway.isWebhookSignatureValid(body, hook)).toBe(true);
    expect(gateway.isWebhookSignatureValid(`${body} `, hook)).toBe(false);
    expect(gateway.isWebhookSignatureValid(body, signature)).toBe(false);
  });
});
