import { describe, expect, test } from 'bun:test';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { WalletEntries } from '../../src/modules/wallet/wallet.model.ts';
import type { TestApp } from '../support/app.ts';
import { storedAppointment, storedSlot } from '../support/booking.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import {
  checkout,
  deliver,
  heldAppointment,
  razorpaySuite,
  storedPayment,
  verify,
} from '../support/payments.ts';

let t: TestApp;
let fake: RazorpayFake;
razorpaySuite((suite) => {
  ({ t, fake } = suite);
});

/** A held appointment with a Razorpay order made for it. */
async function ordered(feePaise = 50_000) {
  const held = await heldAppointment(t, feePaise);
  const res = await checkout(t, held.patient, { appointmentId: held.appointmentId, method: 'razorpay' });
  expect(res.status).toBe(201);
  return { ...held, paymentId: res.body.payment.id as string, orderId: res.body.order.id as string, res };
}

describe('razorpay checkout', () => {
  test('201 with an order for the fee from the server, our payment id as its receipt, and the key id', async () => {
    const { res, orderId, paymentId } = await ordered(45_000);
    expect(res.body.order).toEqual({ id: orderId, amountPaise: 45_000, currency: 'INR' });
    expect(res.body.keyId).toBe(fake.keyId);
    expect(res.body.payment).toMatchObject({
      status: 'created',
      method: 'razorpay',
      gatewayPaise: 45_000,
      orderId,
    });
    expect(fake.orders.get(orderId)).toMatchObject({ amount: 45_000, currency: 'INR', receipt: paymentId });
    // The SDK spoke to the fake with our key (basic auth), under /v1.
    expect(fake.requests.at(-1)).toEqual({ method: 'POST', path: '/v1/orders', authorized: true });
  });

  test('verify then webhook -> confirmed once; the webhook is 200 and changes nothing', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId);
    const res = await verify(t, o.patient, fake.checkoutFields(paid));
    expect(res.status).toBe(200);
    expect(res.body.payment).toMatchObject({ status: 'applied', gatewayPaymentId: paid.id });
    expect(res.body.appointment).toMatchObject({ id: o.appointmentId, status: 'confirmed' });
    expect(await storedSlot(t, o.slotId)).toMatchObject({ status: 'booked', heldBy: o.appointmentId });
    const before = await storedPayment(t, o.paymentId);
    for (const event of ['payment.captured', 'order.paid'] as const) {
      const hook = await deliver(t, fake.webhook(event, paid));
      expect([hook.status, hook.body.status]).toEqual([200, 'handled']);
    }
    expect(await storedPayment(t, o.paymentId)).toEqual(before);
  });

  test('webhook then verify, and webhook only -> confirmed once', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId);
    expect((await deliver(t, fake.webhook('order.paid', paid))).status).toBe(200);
    expect((await storedAppointment(t, o.appointmentId)).status).toBe('confirmed');
    const res = await verify(t, o.patient, fake.checkoutFields(paid));
    expect(res.body.payment.status).toBe('applied');

    const only = await ordered();
    const paidOnly = fake.pay(only.orderId);
    expect((await deliver(t, fake.webhook('payment.captured', paidOnly))).body.status).toBe('handled');
    expect((await storedAppointment(t, only.appointmentId)).status).toBe('confirmed');
    expect((await storedPayment(t, only.paymentId)).status).toBe('applied');
  });

  test('an authorized payment is captured through the API before it confirms (verify only)', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId, 'authorized');
    const res = await verify(t, o.patient, fake.checkoutFields(paid));
    expect(res.body.payment.status).toBe('applied');
    expect(fake.payments.get(paid.id)?.status).toBe('captured');
    expect(fake.requests.some((r) => r.path === `/v1/payments/${paid.id}/capture`)).toBe(true);
  });

  test('10 concurrent verifies + 5 concurrent copies of one webhook -> one confirmation, one email to each party', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId);
    const hook = fake.webhook('payment.captured', paid);
    const emailsBefore = await t.container.store.collection(Outbox).count({ kind: 'email' });
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => verify(t, o.patient, fake.checkoutFields(paid))),
      ...Array.from({ length: 5 }, () => deliver(t, hook)),
    ]);
    expect(results.map((r) => r.status)).toEqual(Array(15).fill(200));
    for (const r of results.slice(0, 10)) expect(r.body.payment.status).toBe('applied');
    expect((await storedAppointment(t, o.appointmentId)).status).toBe('confirmed');
    // One confirmation each to the patient and the doctor.
    expect(await t.container.store.collection(Outbox).count({ kind: 'email' })).toBe(emailsBefore + 2);
    expect(
      t.logger.lines.filter((l) => l.msg === 'payment applied' && l.paymentId === o.paymentId),
    ).toHaveLength(1);
  });

  test('a signature made for another order -> 400 INVALID_SIGNATURE and nothing changes', async () => {
    const a = await ordered();
    const b = await ordered();
    const paidB = fake.pay(b.orderId);
    const fieldsB = fake.checkoutFields(paidB);
    const res = await verify(t, a.patient, { ...fieldsB, razorpay_order_id: a.orderId });
    expect([res.status, res.body.error.code]).toEqual([400, 'INVALID_SIGNATURE']);
    expect((await storedPayment(t, a.paymentId)).status).toBe('created');
    expect((await storedAppointment(t, a.appointmentId)).status).toBe('pending_payment');
    const forged = await verify(t, b.patient, { ...fieldsB, razorpay_signature: 'f'.repeat(64) });
    expect([forged.status, forged.body.error.code]).toEqual([400, 'INVALID_SIGNATURE']);
    // Another patient's order is not theirs to verify.
    const stranger = await verify(t, a.patient, fieldsB);
    expect([stranger.status, stranger.body.error.code]).toEqual([404, 'PAYMENT_NOT_FOUND']);
    expect((await storedPayment(t, b.paymentId)).status).toBe('created');
  });

  test('a tampered webhook body, a missing or wrong signature -> 400, nothing changes', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId);
    const hook = fake.webhook('payment.captured', paid);
    const tampered = {
      ...hook,
      body: hook.body.replace(`"amount":${paid.amount}`, `"amount":${paid.amount + 1}`),
    };
    expect(tampered.body).not.toBe(hook.body);
    for (const bad of [
      tampered,
      { body: hook.body, headers: { 'content-type': 'application/json' } },
      { body: hook.body, headers: { ...hook.headers, 'x-razorpay-signature': 'abc' } },
    ]) {
      const res = await deliver(t, bad);
      expect([res.status, res.body.error.code]).toEqual([400, 'INVALID_SIGNATURE']);
    }
    expect((await storedPayment(t, o.paymentId)).status).toBe('created');
    // Re-serialised JSON is another body: the signature is over the raw bytes.
    const reformatted = JSON.stringify(JSON.parse(hook.body), null, 2);
    expect((await deliver(t, { body: reformatted, headers: hook.headers })).status).toBe(400);
  });

  test('the webhook reads its own request: another media type -> 415, an overlong header or body -> 422, nothing changes', async () => {
    const o = await ordered();
    const hook = fake.webhook('payment.captured', fake.pay(o.orderId));
    const asText = await deliver(t, {
      body: hook.body,
      headers: { ...hook.headers, 'content-type': 'text/plain' },
    });
    expect([asText.status, asText.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const longId = await deliver(t, {
      body: hook.body,
      headers: { ...hook.headers, 'x-razorpay-event-id': 'e'.repeat(129) },
    });
    expect([longId.status, longId.body.error.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(longId.body.error.details.issues).toEqual([
      { path: 'x-razorpay-event-id', message: 'Expected string length less or equal to 128' },
    ]);
    const longSignature = await deliver(t, {
      body: hook.body,
      headers: { ...hook.headers, 'x-razorpay-signature': 'f'.repeat(257) },
    });
    expect(longSignature.body.error.details.issues.map((issue: { path: string }) => issue.path)).toEqual([
      'x-razorpay-signature',
    ]);
    const padded = `${hook.body}${' '.repeat(256 * 1024)}`;
    const longBody = await deliver(t, { body: padded, headers: hook.headers });
    expect([longBody.status, longBody.body.error.details.issues[0].path]).toEqual([422, '(root)']);
    expect((await storedPayment(t, o.paymentId)).status).toBe('created');
    // The same event as Razorpay sent it is taken.
    expect((await deliver(t, hook)).status).toBe(200);
    expect((await storedPayment(t, o.paymentId)).status).toBe('applied');
  });

  test('out of order: payment.failed after the capture changes nothing; failed then captured still confirms', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId);
    expect((await deliver(t, fake.webhook('order.paid', paid))).status).toBe(200);
    const failedLater = { ...paid, status: 'failed' as const };
    expect((await deliver(t, fake.webhook('payment.failed', failedLater))).status).toBe(200);
    expect((await storedPayment(t, o.paymentId)).status).toBe('applied');

    const retry = await ordered();
    const first = fake.pay(retry.orderId, 'failed');
    expect((await deliver(t, fake.webhook('payment.failed', first))).body.status).toBe('handled');
    expect((await storedPayment(t, retry.paymentId)).status).toBe('failed');
    const second = fake.pay(retry.orderId);
    const res = await verify(t, retry.patient, fake.checkoutFields(second));
    expect(res.body.payment.status).toBe('applied');
    expect((await storedAppointment(t, retry.appointmentId)).status).toBe('confirmed');
  });

  test('a redelivered event id is a 200 duplicate; unknown events and orders are 200 ignored', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId);
    const hook = fake.webhook('payment.captured', paid);
    expect((await deliver(t, hook)).body.status).toBe('handled');
    expect((await deliver(t, hook)).body.status).toBe('duplicate');
    const other = fake.webhook('payment.captured', { ...paid, order_id: 'order_unknown' });
    expect((await deliver(t, other)).body.status).toBe('ignored');
  });

  test('a validly signed body of null, a number, a string or an array -> 200 ignored', async () => {
    const hmac = (body: string) =>
      new Bun.CryptoHasher('sha256', fake.webhookSecret).update(body).digest('hex');
    for (const body of ['null', '42', '"payment.captured"', '[]', '[{"event":"order.paid"}]']) {
      const eventId = `evt_${crypto.randomUUID()}`;
      const hook = await deliver(t, {
        body,
        headers: {
          'content-type': 'application/json',
          'x-razorpay-signature': hmac(body),
          'x-razorpay-event-id': eventId,
        },
      });
      expect([hook.status, hook.body]).toEqual([200, { status: 'ignored' }]);
    }
  });

  test('a captured payment of another amount is never applied: verify 409, the webhook 200 and nothing changes', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId);
    fake.payments.get(paid.id)!.amount = 100;
    const res = await verify(t, o.patient, fake.checkoutFields(paid));
    expect([res.status, res.body.error.code]).toEqual([409, 'PAYMENT_NOT_CAPTURED']);
    const hook = await deliver(t, fake.webhook('payment.captured', paid));
    expect([hook.status, hook.body.status]).toEqual([200, 'ignored']);
    expect((await storedPayment(t, o.paymentId)).status).toBe('created');
    expect((await storedAppointment(t, o.appointmentId)).status).toBe('pending_payment');
  });

  test('verify before the gateway reports a capture -> 409 PAYMENT_NOT_CAPTURED, still created', async () => {
    const o = await ordered();
    const paid = fake.pay(o.orderId, 'authorized');
    fake.payments.get(paid.id)!.status = 'created';
    const res = await verify(t, o.patient, fake.checkoutFields(paid));
    expect([res.status, res.body.error.code]).toEqual([409, 'PAYMENT_NOT_CAPTURED']);
    expect((await storedPayment(t, o.paymentId)).status).toBe('created');
  });

  test('gateway down -> 503 with the hold kept; the same Idempotency-Key then reuses one order', async () => {
    const held = await heldAppointment(t, 20_000);
    const headers = { 'idempotency-key': `k-${crypto.randomUUID()}` };
    const body = { appointmentId: held.appointmentId, method: 'razorpay' };
    fake.goDown();
    const down = await checkout(t, held.patient, body, headers);
    fake.recover();
    expect([down.status, down.body.error.code]).toEqual([503, 'PAYMENT_PROVIDER_UNAVAILABLE']);
    expect((await storedAppointment(t, held.appointmentId)).status).toBe('pending_payment');
    const first = await checkout(t, held.patient, body, headers);
    expect(first.status).toBe(201);
    const replay = await checkout(t, held.patient, body, headers);
    expect(replay.body.order.id).toBe(first.body.order.id);
    expect([...fake.orders.values()].filter((o) => o.receipt === first.body.payment.id)).toHaveLength(1);
  });

  test('a new checkout supersedes the unpaid earlier one; a top-up is credited once', async () => {
    const o = await ordered();
    const again = await checkout(t, o.patient, { appointmentId: o.appointmentId, method: 'razorpay' });
    expect(again.status).toBe(201);
    expect((await storedPayment(t, o.paymentId)).status).toBe('superseded');

    const topup = await t.call('POST', '/api/v1/wallet/topup', {
      token: o.patient.accessToken,
      body: { amountPaise: 7_500 },
    });
    expect(topup.status).toBe(201);
    const paid = fake.pay(topup.body.order.id);
    const res = await verify(t, o.patient, fake.checkoutFields(paid));
    expect(res.body.wallet).toEqual({ balancePaise: 7_500, reservedPaise: 0, availablePaise: 7_500 });
    await deliver(t, fake.webhook('payment.captured', paid));
    expect(
      await t.container.store.collection(WalletEntries).count({ walletId: o.patient.user.id, kind: 'topup' }),
    ).toBe(1);
    const tooMuch = await t.call('POST', '/api/v1/wallet/topup', {
      token: o.patient.accessToken,
      body: { amountPaise: 5_000_001 },
    });
    expect(tooMuch.status).toBe(422);
  });

  test('receipts: GET /payments/:id for the owner, 404 for others; GET /payments lists mine', async () => {
    const o = await ordered();
    const own = await t.call('GET', `/api/v1/payments/${o.paymentId}`, { token: o.patient.accessToken });
    expect(own.body.payment).toMatchObject({
      id: o.paymentId,
      purpose: 'appointment',
      appointmentId: o.appointmentId,
    });
    const other = await ordered();
    const theirs = await t.call('GET', `/api/v1/payments/${o.paymentId}`, {
      token: other.patient.accessToken,
    });
    expect([theirs.status, theirs.body.error.code]).toEqual([404, 'PAYMENT_NOT_FOUND']);
    const list = await t.call('GET', '/api/v1/payments', { token: o.patient.accessToken });
    expect(list.body.items.map((p: { id: string }) => p.id)).toEqual([o.paymentId]);
  });
});
