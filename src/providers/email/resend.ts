import { Resend } from 'resend';
import { EmailDeliveryError, type EmailMessage, type EmailProvider } from './port.ts';

export interface ResendSettings {
  apiKey: string;
  from: string;
  /** Defaults to Resend's public API; tests point it at a loopback fake. */
  baseUrl?: string;
}

/** Sends through Resend's `POST /emails` with the official SDK. */
export class ResendEmailProvider implements EmailProvider {
  readonly kind = 'resend' as const;
  private readonly client: Resend;

  constructor(private readonly settings: ResendSettings) {
    // The base URL is always passed, so the SDK never falls back to reading the environment itself.
    this.client = new Resend(settings.apiKey, { baseUrl: settings.baseUrl ?? 'https://api.resend.com' });
  }

  async send(message: EmailMessage): Promise<void> {
    const { error } = await this.client.emails.send({
      from: this.settings.from,
      to: [message.to],
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
    if (error) throw new EmailDeliveryError(`Resend refused the email: ${error.message}`, error.name);
  }
}
