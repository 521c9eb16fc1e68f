import { newId } from '../../shared/ids.ts';
import {
  type GatewayOrder,
  type GatewayPayment,
  type GatewayRefund,
  type PaymentGateway,
  PaymentProviderError,
} from './port.ts';
import { hmacHex, isSignedBy } from './signatures.ts';

/** A signed webhook delivery, as Razorpay would POST it. */
export interface DevWebhook {
  body: string;
  signature: string;
  eventId: string;
}

const gatewayId = (prefix: string): string => `${prefix}_dev${newId().replaceAll('-', '').slice(-14)}`;

/**
 * The offline gateway: orders, payments and refunds kept in memory for the life of the process, signed
 * with a secret kept in DATA_DIR (payment and webhook signatures alike). `pay` stands in for Checkout.
 */
export class DevPaymentGateway implements PaymentGateway {
  readonly kind = 'dev' as const;
  readonly keyId = 'rzp_test_dev';
  private readonly orders = new Map<string, GatewayOrder & { paymentIds: string[] }>();
  private readonly payments = new Map<string, GatewayPayment>();
  private readonly refundList: GatewayRefund[] = [];

  constructor(private readonly secret: string) {}

  async createOrder(input: { amountPaise: number; receipt: string }): Promise<GatewayOrder> {
    const order = {
      id: gatewayId('order'),
      amountPaise: input.amountPaise,
      currency: 'INR' as const,
      receipt: input.receipt,
    };
    this.orders.set(order.id, { ...order, paymentIds: [] });
    return order;
  }

  async ordersWithReceipt(receipt: string): Promise<GatewayOrder[]> {
    return [...this.orders.values()]
      .filter((order) => order.receipt === receipt)
      .map(({ paymentIds: _ids, ...order }) => order);
  }

  async fetchPayment(paymentId: string): Promise<GatewayPayment> {
    const payment = this.payments.get(paymentId);
    if (!payment)
      throw new PaymentProviderError('The id provided does not exist', false, 'BAD_REQUEST_ERROR');
    return { ...payment };
  }

  async capturePayment(paymentId: string, amountPaise: number): Promise<GatewayPayment> {
    const payment = await this.fetchPayment(paymentId);
    if (payment.status !== 'authorized' || payment.amountPaise !== amountPaise)
      throw new PaymentProviderError('This payment cannot be captured', false, 'BAD_REQUEST_ERROR');
    const captured = { ...payment, status: 'captured' as const };
    this.payments.set(paymentId, captured);
    return captured;
  }

  async paymentsOfOrder(orderId: string): Promise<GatewayPayment[]> {
    return (this.orders.get(orderId)?.paymentIds ?? []).map((id) => ({ ...this.payments.get(id)! }));
  }

  async refunds(paymentId: string): Promise<GatewayRefund[]> {
    return this.refundList.filter((refund) => refund.paymentId === paymentId);
  }

  async refund(paymentId: string, amountPaise: number, receipt: string): Promise<GatewayRefund> {
    await this.fetchPayment(paymentId);
    const refund = { id: gatewayId('rfnd'), paymentId, amountPaise, receipt };
    this.refundList.push(refund);
    return refund;
  }

  isPaymentSignatureValid(orderId: string, paymentId: string, signature: string): boolean {
    return isSignedBy(this.secret, `${orderId}|${paymentId}`, signature);
  }

  isWebhookSignatureValid(rawBody: string, signature: string): boolean {
    return isSignedBy(this.secret, rawBody, signature);
  }

  /**
   * What Checkout and the gateway would do: a payment on the order, captured or failed; the handler
   * fields Checkout gives the page (success only) and the signed webhook events Razorpay would send.
   */
  pay(
    orderId: string,
    outcome: 'success' | 'failure',
  ): {
    fields?: { razorpay_order_id: string; razorpay_payment_id: string; razorpay_signature: string };
    webhooks: DevWebhook[];
  } | null {
    const order = this.orders.get(orderId);
    if (!order) return null;
    const payment: GatewayPayment = {
      id: gatewayId('pay'),
      orderId,
      status: outcome === 'success' ? 'captured' : 'failed',
      amountPaise: order.amountPaise,
      currency: 'INR',
    };
    this.payments.set(payment.id, payment);
    order.paymentIds.push(payment.id);
    const entity = {
      id: payment.id,
      entity: 'payment',
      amount: payment.amountPaise,
      currency: 'INR',
      status: payment.status,
      order_id: orderId,
      captured: payment.status === 'captured',
    };
    const events =
      outcome === 'success'
        ? [
            { event: 'payment.captured', payload: { payment: { entity } } },
            {
              event: 'order.paid',
              payload: {
                payment: { entity },
                order: {
                  entity: { id: orderId, entity: 'order', amount: order.amountPaise, status: 'paid' },
                },
              },
            },
          ]
        : [{ event: 'payment.failed', payload: { payment: { entity } } }];
    const webhooks = events.map((event) => {
      const body = JSON.stringify({
        entity: 'event',
        contains: Object.keys(event.payload),
        ...event,
        created_at: Math.floor(Date.now() / 1000),
      });
      return { body, signature: hmacHex(this.secret, body), eventId: gatewayId('evt') };
    });
    if (outcome === 'failure') return { webhooks };
    return {
      fields: {
        razorpay_order_id: orderId,
        razorpay_payment_id: payment.id,
        razorpay_signature: hmacHex(this.secret, `${orderId}|${payment.id}`),
      },
      webhooks,
    };
  }
}
