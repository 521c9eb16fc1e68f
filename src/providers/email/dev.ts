import { type Static, Type } from '@sinclair/typebox';
import { isDuplicateOn } from '../../db/errors.ts';
import { defineCollection, type Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { normalizeEmail } from '../../shared/email-address.ts';
import type { EmailMessage, EmailProvider, SendOptions } from './port.ts';

export const DevMailDoc = Type.Object(
  {
    _id: Type.String(),
    to: Type.String(),
    subject: Type.String(),
    text: Type.String(),
    html: Type.String(),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          { filename: Type.String(), contentType: Type.String(), content: Type.String() },
          { additionalProperties: false },
        ),
      ),
    ),
    /** A message is kept once per key, as a provider with idempotency keys delivers it once. */
    idempotencyKey: Type.Optional(Type.String()),
    sentAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type DevMailDoc = Static<typeof DevMailDoc>;

/** The dev mailbox lives in the store, so every instance (and the dev route) sees the same messages. */
export const DevMailbox = defineCollection({
  name: 'dev_mailbox',
  schema: DevMailDoc,
  indexes: [
    { keys: { to: 1, sentAt: -1 } },
    {
      keys: { idempotencyKey: 1 },
      unique: true,
      partial: { idempotencyKey: { $exists: true } },
      name: 'dev_mailbox__idempotency_key',
    },
  ],
});

/** Keeps messages instead of sending them; read back through GET /dev/mailbox. */
export class DevEmailProvider implements EmailProvider {
  readonly kind = 'dev' as const;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async send(message: EmailMessage, options: SendOptions = {}): Promise<void> {
    try {
      await this.store.collection(DevMailbox).insertOne({
        to: normalizeEmail(message.to),
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.attachments?.length ? { attachments: message.attachments } : {}),
        ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
        sentAt: this.clock.now(),
      });
    } catch (error) {
      // Already delivered under this key: a retry after a crash, not a second message.
      if (isDuplicateOn(error, 'dev_mailbox__idempotency_key') && options.idempotencyKey) return;
      throw error;
    }
  }

  /** Messages to an address, newest first. */
  async messagesTo(to: string, limit = 50): Promise<DevMailDoc[]> {
    return this.store
      .collection(DevMailbox)
      .findAll({ to: normalizeEmail(to) }, { sort: { sentAt: -1 }, limit });
  }
}
