export interface EmailAttachment {
  filename: string;
  /** A full media type, parameters included (`text/calendar; method=REQUEST`). */
  contentType: string;
  /** The file's text (attachments we send are text: calendar invites). */
  content: string;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: EmailAttachment[];
}

export interface SendOptions {
  /** The same key sends at most once (the outbox passes its record id), so a retry is harmless. */
  idempotencyKey?: string;
}

/** Sends transactional email. Adapters throw EmailDeliveryError when the provider refuses. */
export interface EmailProvider {
  readonly kind: 'dev' | 'resend';
  send(message: EmailMessage, options?: SendOptions): Promise<void>;
}

export class EmailDeliveryError extends Error {
  constructor(
    message: string,
    readonly providerCode?: string,
    /** True when sending the same message again cannot succeed (a validation refusal, a bad key). */
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'EmailDeliveryError';
  }
}
