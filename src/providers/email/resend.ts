import { Resend } from 'resend';
import { EmailDeliveryError, type EmailMessage, type EmailProvider, type SendOptions } from './port.ts';

export interface ResendSettings {
  apiKey: string;
  from: string;
  /** Defaults to Resend's public API; tests point it at a loopback fake. */
  baseUrl?: string;
  /** How long one send may take before it counts as a transient failure (default 15 s, under the lease). */
  timeoutMs?: number;
}

const SEND_TIMEOUT_MS = 15_000;

/** Statuses that a later try may get past: timeouts, idempotent requests still in flight, rate limits. */
const TRANSIENT_4XX = new Set([408, 409, 429]);

/** Resend's 4xx refusals (validation, keys, domains) come back the same however often they are sent. */
export const isPermanentStatus = (statusCode: number | null): boolean =>
  statusCode !== null && statusCode >= 400 && statusCode < 500 && !TRANSIENT_4XX.has(statusCode);

/** Sends through Resend's `POST /emails` with the official SDK. */
export class ResendEmailProvider implements EmailProvider {
  readonly kind = 'resend' as const;
  private readonly client: Resend;

  constructor(private readonly settings: ResendSettings) {
    // The base URL is always passed, so the SDK never falls back to reading the environment itself.
    this.client = new Resend(settings.apiKey, { baseUrl: settings.baseUrl ?? 'https://api.resend.com' });
  }

  async send(message: EmailMessage, options: SendOptions = {}): Promise<void> {
    const { error } = await this.client.emails.send(
      {
        from: this.settings.from,
        to: [message.to],
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.attachments?.length
          ? {
              attachments: message.attachments.map((a) => ({
                filename: a.filename,
                contentType: a.contentType,
                content: Buffer.from(a.content, 'utf8'),
              })),
            }
          : {}),
      },
      {
        signal: AbortSignal.timeout(this.settings.timeoutMs ?? SEND_TIMEOUT_MS),
        ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
      },
    );
    if (error) {
      throw new EmailDeliveryError(
        `Resend refused the email: ${error.message}`,
        error.name,
        isPermanentStatus(error.statusCode),
      );
    }
  }
}
