import { type Static, Type } from '@sinclair/typebox';
import { EmailDeliveryError, type EmailMessage, type EmailProvider } from '../../../providers/email/port.ts';
import type { OutboxFailure, OutboxHandler } from '../outbox.handler.ts';
import type { OutboxDraft } from '../outbox.model.ts';

export const EmailPayload = Type.Object(
  {
    to: Type.String(),
    subject: Type.String(),
    text: Type.String(),
    html: Type.String(),
    attachments: Type.Optional(
      Type.Array(
        Type.Object({ filename: Type.String(), contentType: Type.String(), content: Type.String() }),
      ),
    ),
  },
  { additionalProperties: false },
);
export type EmailPayload = Static<typeof EmailPayload>;

/** An email as an outbox record; `sensitiveUntil` marks a body holding a one-time code. */
export const emailDraft = (message: EmailMessage, sensitiveUntil?: Date): OutboxDraft => ({
  kind: 'email',
  recipient: message.to,
  subject: message.subject,
  payload: {
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    ...(message.attachments?.length ? { attachments: message.attachments } : {}),
  } satisfies EmailPayload,
  ...(sensitiveUntil ? { sensitive: { until: sensitiveUntil } } : {}),
});

/** Sends an email record through the configured provider, the record id as the idempotency key. */
export class EmailHandler implements OutboxHandler<EmailPayload> {
  readonly kind = 'email' as const;
  readonly payload = EmailPayload;

  constructor(private readonly provider: EmailProvider) {}

  perform(payload: EmailPayload, record: { id: string }): Promise<void> {
    return this.provider.send(payload, { idempotencyKey: record.id });
  }

  classify(error: unknown): OutboxFailure {
    if (error instanceof EmailDeliveryError) return { permanent: error.permanent, message: error.message };
    return { permanent: false, message: error instanceof Error ? error.name : 'unknown error' };
  }
}
