import { Elysia, t } from 'elysia';
import { DevPaymentGateway } from '../../providers/payments/dev.ts';
import type { PaymentGateway } from '../../providers/payments/port.ts';
import { type FieldIssue, NotFoundError, ValidationError } from '../../shared/errors.ts';
import { accepts, mediaTypeOf, unsupportedMediaType } from '../../shared/http.ts';
import { BODY_ERRORS, described, errors, JSON_BODY_ERRORS } from '../../shared/route-docs.ts';
import { toAppointment } from '../appointments/appointments.model.ts';
import { type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { IdempotencyHeaders } from '../idempotency/idempotency.model.ts';
import { IDEMPOTENCY_ERRORS, type IdempotencyPlugin } from '../idempotency/idempotency.plugin.ts';
import { toWallet } from '../wallet/wallet.model.ts';
import type { PaymentsAudit } from './payments.audit.ts';
import {
  AdminPaymentsQuery,
  AuditReport,
  CheckoutBody,
  DevPayBody,
  DevPayResult,
  GatewayCheckoutResult,
  PaymentEnvelope,
  PaymentIdParams,
  PaymentPage,
  PaymentsQuery,
  toPayment,
  VerifyBody,
  VerifyResult,
  WalletCheckoutResult,
} from './payments.model.ts';
import type { PaymentsService, Settled } from './payments.service.ts';

const tags = ['Payments'];

export const presentSettled = (settled: Settled) => ({
  payment: toPayment(settled.payment),
  ...(settled.appointment ? { appointment: toAppointment(settled.appointment) } : {}),
  ...(settled.wallet !== undefined ? { wallet: toWallet(settled.wallet) } : {}),
});

const WEBHOOK_MAX_BYTES = 256 * 1024;

/** What a `t.String({ maxLength })` says of a longer value, and how it documents it. */
const tooLong = (path: string, max: number): FieldIssue => ({
  path,
  message: `Expected string length less or equal to ${max}`,
});
const stringUpTo = (maxLength: number) => ({ maxLength, type: 'string' as const });

/** The two headers the webhook reads, with their longest values. */
const WEBHOOK_HEADERS = { 'x-razorpay-signature': 256, 'x-razorpay-event-id': 128 } as const;

/**
 * The webhook's headers, read and checked here as a `headers` schema would check them (the same 422 and
 * issues): given a schema, Elysia first copies every header of the request into an object, a cost on
 * every delivery (`bench/ab.ts --case=webhook`: 165.6 -> 158.3 µs of CPU per request). They are
 * documented as the schema would document them.
 */
function webhookHeaders(request: Request): { signature: string | undefined; eventId: string | undefined } {
  const issues: FieldIssue[] = [];
  const read = (name: keyof typeof WEBHOOK_HEADERS): string | undefined => {
    const value = request.headers.get(name);
    if (value === null) return undefined;
    const max = WEBHOOK_HEADERS[name];
    if (value.length > max) issues.push(tooLong(name, max));
    return value;
  };
  const signature = read('x-razorpay-signature');
  const eventId = read('x-razorpay-event-id');
  if (issues.length) throw new ValidationError('The request is invalid', issues);
  return { signature, eventId };
}

const webhookHeaderParameters = Object.entries(WEBHOOK_HEADERS).map(([name, maxLength]) => ({
  name,
  in: 'header' as const,
  required: false,
  schema: stringUpTo(maxLength),
}));

/**
 * The webhook's body as its raw text (the signature is over exactly these bytes), read and checked here as
 * a JSON parser and a `t.String({ maxLength })` body would (the same 415, and the same 422 and issue): the
 * route declares no parser, so Elysia does not first open the body as a stream, which makes Bun read it
 * through that stream (the route's request body is documented as that schema would document it).
 */
async function webhookBody(request: Request): Promise<string> {
  if (mediaTypeOf(request) !== 'application/json') throw unsupportedMediaType(['application/json']);
  const body = await request.text();
  if (body.length > WEBHOOK_MAX_BYTES)
    throw new ValidationError('The request is invalid', [tooLong('(root)', WEBHOOK_MAX_BYTES)]);
  return body;
}

const webhookRequestBody = {
  required: true,
  content: { 'application/json': { schema: stringUpTo(WEBHOOK_MAX_BYTES) } },
};

/** Checkout, the Razorpay handler's verify, the webhook, and receipts. */
export function paymentsController({
  payments,
  auth,
  idempotent,
}: {
  payments: PaymentsService;
  auth: AuthPlugin;
  idempotent: IdempotencyPlugin;
}) {
  return new Elysia({ name: 'payments-controller', prefix: '/payments' })
    .use(auth)
    .use(idempotent)
    .post(
      '/checkout',
      async ({ user, body, headers, status }) => {
        const result = await payments.checkout(user.id, body, headers['idempotency-key']);
        if (result.kind === 'wallet')
          return status(200, {
            payment: toPayment(result.payment),
            appointment: toAppointment(result.appointment!),
          });
        return status(201, {
          payment: toPayment(result.payment),
          order: { id: result.order.id, amountPaise: result.order.amountPaise, currency: 'INR' as const },
          keyId: result.keyId,
        });
      },
      {
        auth: ['patient'],
        idempotent: 'POST /payments/checkout',
        ...accepts('application/json'),
        body: CheckoutBody,
        headers: IdempotencyHeaders,
        response: {
          200: described(WalletCheckoutResult, 'Paid from the wallet: the appointment is `confirmed`'),
          201: described(GatewayCheckoutResult, 'A Razorpay order to open Checkout with (razorpay, hybrid)'),
          ...errors(
            ...ROLE_ERRORS,
            ...JSON_BODY_ERRORS,
            'APPOINTMENT_NOT_FOUND',
            'APPOINTMENT_NOT_PAYABLE',
            'INSUFFICIENT_FUNDS',
            'PAYMENT_PROVIDER_UNAVAILABLE',
            ...IDEMPOTENCY_ERRORS,
          ),
        },
        detail: {
          tags,
          summary: 'Pay for my held appointment: wallet (200, confirmed), razorpay or hybrid (201, an order)',
          description:
            "The amount is the appointment's fee; only `walletPaise` (hybrid) comes from the client, by default as " +
            'much as the wallet covers while leaving 100 paise to the gateway. The wallet part is reserved until the ' +
            'gateway part is captured. A new checkout supersedes an unpaid earlier one. 503 ' +
            '`PAYMENT_PROVIDER_UNAVAILABLE` keeps the hold: a retry with the same `Idempotency-Key` reuses the order.',
        },
      },
    )
    .post(
      '/razorpay/verify',
      async ({ user, body }) => presentSettled(await payments.verify(user.id, body)),
      {
        auth: ['patient'],
        ...accepts('application/json'),
        body: VerifyBody,
        response: {
          200: described(
            VerifyResult,
            'Captured and applied (or, if it came too late, refunded): the receipt',
          ),
          ...errors(
            ...ROLE_ERRORS,
            ...JSON_BODY_ERRORS,
            'INVALID_SIGNATURE',
            'PAYMENT_NOT_FOUND',
            'PAYMENT_NOT_CAPTURED',
            'PAYMENT_PROVIDER_UNAVAILABLE',
          ),
        },
        detail: {
          tags,
          summary: "Confirm a payment with the fields Razorpay Checkout's handler received",
          description:
            'The signature must be HMAC-SHA256(key secret, our order id | payment id); the payment is then asked for ' +
            'at Razorpay (captured if only authorized) and applied once, whatever webhooks did before or do after.',
        },
      },
    )
    .post(
      '/razorpay/webhook',
      async ({ request }) => {
        const body = await webhookBody(request);
        const { signature, eventId } = webhookHeaders(request);
        return { status: await payments.webhook(body, signature, eventId) };
      },
      {
        parse: 'none',
        response: {
          200: t.Object(
            { status: t.Union([t.Literal('handled'), t.Literal('duplicate'), t.Literal('ignored')]) },
            { description: 'Accepted (also a duplicate, or an event we do not act on)' },
          ),
          ...errors('INVALID_SIGNATURE', ...BODY_ERRORS, 'VALIDATION_FAILED', 'PAYMENT_PROVIDER_UNAVAILABLE'),
        },
        detail: {
          tags,
          summary: "Razorpay's webhook: payment.captured, order.paid, payment.failed",
          parameters: webhookHeaderParameters,
          requestBody: webhookRequestBody,
          description:
            'Signed with HMAC-SHA256(webhook secret, raw body) in `X-Razorpay-Signature`; each `X-Razorpay-Event-Id` ' +
            'acts once. A 5xx only when our store (or the gateway check) fails, so Razorpay retries.',
        },
      },
    )
    .get('/:id', async ({ user, params }) => ({ payment: toPayment(await payments.get(user, params.id)) }), {
      auth: ['patient', 'admin'],
      params: PaymentIdParams,
      response: {
        200: described(PaymentEnvelope, 'The payment (receipt)'),
        ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED', 'PAYMENT_NOT_FOUND'),
      },
      detail: { tags, summary: 'One payment: its owner or an admin', description: 'Anyone else gets 404.' },
    })
    .get(
      '',
      async ({ user, query }) => {
        const page = await payments.list(user.id, query);
        return { items: page.items.map(toPayment), nextCursor: page.nextCursor };
      },
      {
        auth: ['patient'],
        query: PaymentsQuery,
        response: {
          200: described(PaymentPage, 'My payments, newest first'),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: { tags, summary: 'My payments, newest first', description: 'Up to 100 a page (default 20).' },
      },
    );
}

/** The admin's listing and the audit. */
export function adminPaymentsController({
  payments,
  audit,
  auth,
}: {
  payments: PaymentsService;
  audit: PaymentsAudit;
  auth: AuthPlugin;
}) {
  return new Elysia({ name: 'admin-payments-controller', prefix: '/admin/payments' })
    .use(auth)
    .get(
      '',
      async ({ query }) => {
        const page = await payments.listAll(query);
        return { items: page.items.map(toPayment), nextCursor: page.nextCursor };
      },
      {
        auth: ['admin'],
        query: AdminPaymentsQuery,
        response: {
          200: described(PaymentPage, 'Payments, newest first'),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: {
          tags: ['Admin'],
          summary: 'All payments, optionally of one status',
          description: 'Newest first.',
        },
      },
    )
    .get('/audit', () => audit.run(), {
      auth: ['admin'],
      response: {
        200: described(AuditReport, 'The invariants checked, and any violation'),
        ...errors(...ROLE_ERRORS),
      },
      detail: {
        tags: ['Admin'],
        summary: 'Prove the books balance',
        description:
          'Wallets against their ledgers, reservations against live attempts, captured = applied + refunded, one ' +
          'active appointment per slot, every confirmed appointment paid. Also `bun run audit`.',
      },
    });
}

/** Stands in for Checkout and the gateway, only with the dev payment provider (otherwise 404). */
export function devPaymentsController({
  payments,
  gateway,
}: {
  payments: PaymentsService;
  gateway: PaymentGateway;
}) {
  const app = new Elysia({ name: 'dev-payments-controller', prefix: '/dev/payments' });
  if (!(gateway instanceof DevPaymentGateway)) return app;
  return app.post(
    '/orders/:orderId/pay',
    async ({ params, body }) => {
      const paid = gateway.pay(params.orderId, body.outcome);
      if (!paid) throw new NotFoundError('No such order');
      if (body.webhook !== false)
        for (const hook of paid.webhooks) await payments.webhook(hook.body, hook.signature, hook.eventId);
      return paid.fields ?? {};
    },
    {
      ...accepts('application/json'),
      params: t.Object({ orderId: t.String({ maxLength: 64 }) }),
      body: DevPayBody,
      response: {
        200: described(DevPayResult, 'Success: the fields Checkout hands its handler; failure: nothing'),
        ...errors(...JSON_BODY_ERRORS, 'NOT_FOUND', 'PAYMENT_PROVIDER_UNAVAILABLE'),
      },
      detail: {
        tags: ['Dev'],
        summary: 'Pay (or fail) a dev order as Checkout would',
        description:
          'Only with PAYMENT_PROVIDER=dev. Unless `webhook: false`, the signed webhook events are delivered to our ' +
          'webhook as Razorpay would send them.',
      },
    },
  );
}
