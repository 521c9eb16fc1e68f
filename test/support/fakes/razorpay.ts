import { createHmac } from 'node:crypto';

/**
 * A loopback stand-in for Razorpay's REST API (https://razorpay.com/docs/api/), as the `razorpay` SDK
 * calls it under `/v1` with basic auth (key id : key secret):
 *   POST /v1/orders                       { amount, currency, receipt }            -> order
 *   GET  /v1/orders?receipt=               -> { entity: 'collection', count, items }
 *   GET  /v1/orders/:id/payments           -> collection of payments
 *   GET  /v1/payments/:id                  -> payment
 *   POST /v1/payments/:id/capture          { amount, currency }                     -> captured payment
 *   POST /v1/payments/:id/refund           { amount, receipt }                      -> refund
 *   GET  /v1/payments/:id/refunds          -> collection of refunds
 * Errors use the documented shape `{ error: { code, description, source, step, reason } }`.
 * The test plays Checkout with `pay` and Razorpay's webhook sender with `webhook`.
 */
export interface FakeOrder {
  id: string;
  entity: 'order';
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string;
  status: 'created' | 'attempted' | 'paid';
  attempts: number;
  notes: Record<string, string>;
  created_at: number;
}

export interface FakePayment {
  id: string;
  entity: 'payment';
  amount: number;
  currency: string;
  status: 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';
  order_id: string;
  method: string;
  captured: boolean;
  amount_refunded: number;
  email: string;
  contact: string;
  created_at: number;
}

export interface FakeRefund {
  id: string;
  entity: 'refund';
  amount: number;
  currency: string;
  payment_id: string;
  receipt: string | null;
  status: 'processed' | 'failed';
  created_at: number;
}

export interface RazorpayFake {
  url: string;
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  orders: Map<string, FakeOrder>;
  payments: Map<string, FakePayment>;
  refunds: FakeRefund[];
  /** Every request: method, path, whether basic auth matched. */
  requests: { method: string; path: string; authorized: boolean }[];
  /** Checkout: a payment on the order (captured by default, as with auto-capture). */
  pay(orderId: string, status?: 'authorized' | 'captured' | 'failed'): FakePayment;
  /** The fields Checkout hands its handler, signed with the key secret. */
  checkoutFields(payment: FakePayment): {
    razorpay_order_id: string;
    razorpay_payment_id: string;
    razorpay_signature: string;
  };
  /** A webhook delivery as Razorpay sends it: the raw body and its headers. */
  webhook(
    event: 'payment.captured' | 'order.paid' | 'payment.failed',
    payment: FakePayment,
  ): { body: string; headers: Record<string, string> };
  /** A `refund.processed` / `refund.failed` delivery about one of the refunds made here. */
  refundWebhook(
    event: 'refund.processed' | 'refund.failed',
    refund: FakeRefund,
  ): { body: string; headers: Record<string, string> };
  /** Every request fails with 503 (or the connection is refused with `refuse`) until `recover()`. */
  goDown(): void;
  recover(): void;
  /** The next capture is made at the gateway but never answered; resolves with the payment id when it is. */
  captureWithoutAnswer(): Promise<string>;
  stop(): Promise<void>;
}

const rand = (prefix: string): string =>
  `${prefix}_${Buffer.from(crypto.getRandomValues(new Uint8Array(10)))
    .toString('base64url')
    .slice(0, 14)}`;
const seconds = () => Math.floor(Date.now() / 1000);
const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

const error = (status: number, code: string, description: string) =>
  Response.json(
    {
      error: {
        code,
        description,
        source: 'business',
        step: 'payment_initiation',
        reason: 'input_validation_failed',
        metadata: {},
      },
    },
    { status },
  );
const collection = <T>(items: T[]) => ({ entity: 'collection', count: items.length, items });

export function startRazorpayFake(): RazorpayFake {
  const keyId = `rzp_test_${crypto.randomUUID().slice(0, 8)}`;
  const keySecret = crypto.randomUUID();
  const webhookSecret = crypto.randomUUID();
  const orders = new Map<string, FakeOrder>();
  const payments = new Map<string, FakePayment>();
  const refunds: FakeRefund[] = [];
  const requests: RazorpayFake['requests'] = [];
  let down = false;
  let captured: ((paymentId: string) => void) | null = null;
  const expectedAuth = `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}`;

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url);
      const path = url.pathname;
      const authorized = request.headers.get('authorization') === expectedAuth;
      requests.push({ method: request.method, path, authorized });
      if (down) return error(503, 'SERVER_ERROR', 'The server is unavailable');
      if (!authorized) return error(401, 'BAD_REQUEST_ERROR', 'The api key provided is invalid');
      const body =
        request.method === 'POST'
          ? ((await request.json().catch(() => ({}))) as Record<string, unknown>)
          : {};
      const orderPayments = /^\/v1\/orders\/([^/]+)\/payments$/.exec(path);
      const paymentPath = /^\/v1\/payments\/([^/]+)(\/capture|\/refund|\/refunds)?$/.exec(path);
      if (request.method === 'POST' && path === '/v1/orders') {
        const amount = Number(body.amount);
        if (!Number.isInteger(amount) || amount < 100)
          return error(400, 'BAD_REQUEST_ERROR', 'The amount must be atleast INR 1.00');
        const order: FakeOrder = {
          id: rand('order'),
          entity: 'order',
          amount,
          amount_paid: 0,
          amount_due: amount,
          currency: String(body.currency ?? 'INR'),
          receipt: String(body.receipt ?? ''),
          status: 'created',
          attempts: 0,
          notes: {},
          created_at: seconds(),
        };
        orders.set(order.id, order);
        return Response.json(order);
      }
      if (request.method === 'GET' && path === '/v1/orders') {
        const receipt = url.searchParams.get('receipt');
        return Response.json(
          collection([...orders.values()].filter((o) => !receipt || o.receipt === receipt)),
        );
      }
      if (request.method === 'GET' && orderPayments) {
        const orderId = orderPayments[1]!;
        if (!orders.has(orderId)) return error(400, 'BAD_REQUEST_ERROR', 'The id provided does not exist');
        return Response.json(collection([...payments.values()].filter((p) => p.order_id === orderId)));
      }
      if (paymentPath) {
        const payment = payments.get(paymentPath[1]!);
        if (!payment) return error(400, 'BAD_REQUEST_ERROR', 'The id provided does not exist');
        const action = paymentPath[2];
        if (request.method === 'GET' && !action) return Response.json(payment);
        if (request.method === 'POST' && action === '/capture') {
          if (payment.status !== 'authorized')
            return error(400, 'BAD_REQUEST_ERROR', 'This payment has already been captured');
          if (Number(body.amount) !== payment.amount)
            return error(400, 'BAD_REQUEST_ERROR', 'Capture amount must be equal to the amount authorized');
          payment.status = 'captured';
          payment.captured = true;
          const order = orders.get(payment.order_id)!;
          order.status = 'paid';
          order.amount_paid = order.amount;
          order.amount_due = 0;
          if (captured) {
            captured(payment.id);
            captured = null;
            return new Promise<Response>(() => {});
          }
          return Response.json(payment);
        }
        if (request.method === 'POST' && action === '/refund') {
          const amount =
            body.amount === undefined ? payment.amount - payment.amount_refunded : Number(body.amount);
          if (payment.status !== 'captured' || amount > payment.amount - payment.amount_refunded)
            return error(
              400,
              'BAD_REQUEST_ERROR',
              'The refund amount provided is greater than amount captured',
            );
          const refund: FakeRefund = {
            id: rand('rfnd'),
            entity: 'refund',
            amount,
            currency: payment.currency,
            payment_id: payment.id,
            receipt: (body.receipt as string | undefined) ?? null,
            status: 'processed',
            created_at: seconds(),
          };
          refunds.push(refund);
          payment.amount_refunded += amount;
          if (payment.amount_refunded === payment.amount) payment.status = 'refunded';
          return Response.json(refund);
        }
        if (request.method === 'GET' && action === '/refunds')
          return Response.json(collection(refunds.filter((r) => r.payment_id === payment.id)));
      }
      return error(404, 'BAD_REQUEST_ERROR', 'The requested URL was not found on the server.');
    },
  });

  /** A webhook as Razorpay sends it: the event envelope, signed over its raw body, with an event id. */
  const signedEvent = (event: string, payload: Record<string, unknown>) => {
    const body = JSON.stringify({
      entity: 'event',
      account_id: 'acc_fake',
      event,
      contains: Object.keys(payload),
      payload,
      created_at: seconds(),
    });
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-razorpay-signature': hmac(webhookSecret, body),
        'x-razorpay-event-id': rand('evt'),
      },
    };
  };

  return {
    url: `http://127.0.0.1:${server.port}`,
    keyId,
    keySecret,
    webhookSecret,
    orders,
    payments,
    refunds,
    requests,
    pay(orderId, status = 'captured') {
      const order = orders.get(orderId);
      if (!order) throw new Error(`no order ${orderId}`);
      const payment: FakePayment = {
        id: rand('pay'),
        entity: 'payment',
        amount: order.amount,
        currency: order.currency,
        status,
        order_id: orderId,
        method: 'upi',
        captured: status === 'captured',
        amount_refunded: 0,
        email: 'patient@example.test',
        contact: '+919000000000',
        created_at: seconds(),
      };
      payments.set(payment.id, payment);
      order.attempts++;
      order.status = status === 'captured' ? 'paid' : 'attempted';
      if (status === 'captured') {
        order.amount_paid = order.amount;
        order.amount_due = 0;
      }
      return payment;
    },
    checkoutFields(payment) {
      return {
        razorpay_order_id: payment.order_id,
        razorpay_payment_id: payment.id,
        razorpay_signature: hmac(keySecret, `${payment.order_id}|${payment.id}`),
      };
    },
    webhook(event, payment) {
      const order = orders.get(payment.order_id)!;
      const payload =
        event === 'order.paid'
          ? { payment: { entity: { ...payment } }, order: { entity: { ...order } } }
          : { payment: { entity: { ...payment } } };
      return signedEvent(event, payload);
    },
    refundWebhook(event, refund) {
      const payment = payments.get(refund.payment_id)!;
      const status = event === 'refund.processed' ? 'processed' : 'failed';
      const payload = { refund: { entity: { ...refund, status } }, payment: { entity: { ...payment } } };
      return signedEvent(event, payload);
    },
    goDown() {
      down = true;
    },
    recover() {
      down = false;
    },
    captureWithoutAnswer() {
      return new Promise((resolve) => {
        captured = resolve;
      });
    },
    stop: () => server.stop(true),
  };
}
