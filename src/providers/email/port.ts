export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends transactional email. Adapters throw EmailDeliveryError when the provider refuses. */
export interface EmailProvider {
  readonly kind: 'dev' | 'resend';
  send(message: EmailMessage): Promise<void>;
}

export class EmailDeliveryError extends Error {
  constructor(
    message: string,
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'EmailDeliveryError';
  }
}
