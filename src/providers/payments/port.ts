/** A gateway order: what Checkout collects (`amountPaise` in INR); `receipt` is our payment id. */
export interface GatewayOrder {
  id: string;
  amountPaise: number;
  currency: 'INR';
  receipt: string;
}

/** Razorpay's payment states (https://razorpay.com/docs/payments/payments/#payment-life-cycle). */
export type GatewayPaymentStatus = 'created' | 'authorized' | 'captured' | 'refunded' | 'failed';

export interface GatewayPayment {
  id: string;
  orderId: string | null;
  status: GatewayPaymentStatus;
  amountPaise: number;
  currency: string;
}

export interface GatewayRefund {
  id: string;
  paymentId: string;
  amountPaise: number;
  /** Our outbox record id: a repeated refund request finds its earlier refund by it. */
  receipt: string | null;
}

/**
 * The payment gateway (Razorpay's Orders, Payments and Refunds APIs). Adapters throw PaymentProviderError:
 * `unavailable` when the gateway could not be reached or failed on its side (retry later).
 */
export interface PaymentGateway {
  readonly kind: 'dev' | 'razorpay';
  /** The public key Checkout is opened with. */
  readonly keyId: string;
  createOrder(input: { amountPaise: number; receipt: string }): Promise<GatewayOrder>;
  /** Orders made with this receipt (a retried checkout whose first answer was lost finds its order). */
  ordersWithReceipt(receipt: string): Promise<GatewayOrder[]>;
  fetchPayment(paymentId: string): Promise<GatewayPayment>;
  capturePayment(paymentId: string, amountPaise: number): Promise<GatewayPayment>;
  paymentsOfOrder(orderId: string): Promise<GatewayPayment[]>;
  refunds(paymentId: string): Promise<GatewayRefund[]>;
  refund(paymentId: string, amountPaise: number, receipt: string): Promise<GatewayRefund>;
  /** HMAC-SHA256(key secret, orderId + "|" + paymentId), compared in constant time. */
  isPaymentSignatureValid(orderId: string, paymentId: string, signature: string): boolean;
  /** HMAC-SHA256(webhook secret, raw body), compared in constant time. */
  isWebhookSignatureValid(rawBody: string, signature: string): boolean;
}

export class PaymentProviderError extends Error {
  constructor(
    message: string,
    /** The gateway could not be reached or failed on its side: the same request may succeed later. */
    readonly unavailable: boolean,
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'PaymentProviderError';
  }
}
