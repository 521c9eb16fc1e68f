import Razorpay from 'razorpay';
import {
  type GatewayOrder,
  type GatewayPayment,
  type GatewayPaymentStatus,
  type GatewayRefund,
  type PaymentGateway,
  PaymentProviderError,
} from './port.ts';
import { isSignedBy } from './signatures.ts';

export interface RazorpayOptions {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** The API host (the SDK adds `/v1`); `RAZORPAY_BASE_URL`. */
  baseUrl: string;
  /** Per request; a gateway slower than this is unavailable for now. */
  timeoutMs?: number;
}

interface RazorpayEntity {
  id: string;
  [key: string]: unknown;
}

/** What the SDK rejects with: `{ statusCode, error: { code, description } }`, or a bare network error. */
function translate(error: unknown): PaymentProviderError {
  const shaped = error as { statusCode?: number; error?: { code?: string; description?: string } };
  if (typeof shaped?.statusCode === 'number') {
    return new PaymentProviderError(
      shaped.error?.description ?? `Razorpay answered ${shaped.statusCode}`,
      shaped.statusCode >= 500 || shaped.statusCode === 429,
      shaped.error?.code,
    );
  }
  // The SDK's error normaliser itself throws on a response-less (network) failure.
  return new PaymentProviderError('Razorpay could not be reached', true);
}

const toOrder = (order: RazorpayEntity): GatewayOrder => ({
  id: order.id,
  amountPaise: Number(order.amount),
  currency: 'INR',
  receipt: String(order.receipt ?? ''),
});

const toPayment = (payment: RazorpayEntity): GatewayPayment => ({
  id: payment.id,
  orderId: (payment.order_id as string | null | undefined) ?? null,
  status: payment.status as GatewayPaymentStatus,
  amountPaise: Number(payment.amount),
  currency: String(payment.currency),
});

const toRefund = (refund: RazorpayEntity): GatewayRefund => ({
  id: refund.id,
  paymentId: String(refund.payment_id),
  amountPaise: Number(refund.amount),
  receipt: (refund.receipt as string | null | undefined) ?? null,
});

/** Razorpay through its official SDK, its one axios instance pointed at `baseUrl`. */
export class RazorpayPaymentGateway implements PaymentGateway {
  readonly kind = 'razorpay' as const;
  readonly keyId: string;
  private readonly client: Razorpay;

  constructor(private readonly options: RazorpayOptions) {
    this.keyId = options.keyId;
    this.client = new Razorpay({ key_id: options.keyId, key_secret: options.keySecret });
    // The SDK has no host option; every resource shares this axios instance.
    const rq = (
      this.client as unknown as { api: { rq: { defaults: { baseURL?: string; timeout?: number } } } }
    ).api.rq;
    rq.defaults.baseURL = options.baseUrl.replace(/\/+$/, '');
    rq.defaults.timeout = options.timeoutMs ?? 10_000;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translate(error);
    }
  }

  createOrder(input: { amountPaise: number; receipt: string }): Promise<GatewayOrder> {
    return this.call(async () =>
      toOrder(
        (await this.client.orders.create({
          amount: input.amountPaise,
          currency: 'INR',
          receipt: input.receipt,
        })) as unknown as RazorpayEntity,
      ),
    );
  }

  ordersWithReceipt(receipt: string): Promise<GatewayOrder[]> {
    return this.call(async () => {
      const page = (await this.client.orders.all({ receipt } as never)) as unknown as {
        items: RazorpayEntity[];
      };
      return page.items.map(toOrder);
    });
  }

  fetchPayment(paymentId: string): Promise<GatewayPayment> {
    return this.call(async () =>
      toPayment((await this.client.payments.fetch(paymentId)) as unknown as RazorpayEntity),
    );
  }

  capturePayment(paymentId: string, amountPaise: number): Promise<GatewayPayment> {
    return this.call(async () =>
      toPayment(
        (await this.client.payments.capture(paymentId, amountPaise, 'INR')) as unknown as RazorpayEntity,
      ),
    );
  }

  paymentsOfOrder(orderId: string): Promise<GatewayPayment[]> {
    return this.call(async () => {
      const page = (await this.client.orders.fetchPayments(orderId)) as unknown as {
        items: RazorpayEntity[];
      };
      return page.items.map(toPayment);
    });
  }

  refunds(paymentId: string): Promise<GatewayRefund[]> {
    return this.call(async () => {
      const page = (await this.client.payments.fetchMultipleRefund(paymentId, {})) as unknown as {
        items: RazorpayEntity[];
      };
      return page.items.map(toRefund);
    });
  }

  refund(paymentId: string, amountPaise: number, receipt: string): Promise<GatewayRefund> {
    return this.call(async () =>
      toRefund(
        (await this.client.payments.refund(paymentId, {
          amount: amountPaise,
          receipt,
        })) as unknown as RazorpayEntity,
      ),
    );
  }

  isPaymentSignatureValid(orderId: string, paymentId: string, signature: string): boolean {
    return isSignedBy(this.options.keySecret, `${orderId}|${paymentId}`, signature);
  }

  isWebhookSignatureValid(rawBody: string, signature: string): boolean {
    return isSignedBy(this.options.webhookSecret, rawBody, signature);
  }
}
