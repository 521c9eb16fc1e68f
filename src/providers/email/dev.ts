import { type Static, Type } from '@sinclair/typebox';
import { defineCollection, type Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { normalizeEmail } from '../../shared/email-address.ts';
import type { EmailMessage, EmailProvider } from './port.ts';

export const DevMailDoc = Type.Object(
  {
    _id: Type.String(),
    to: Type.String(),
    subject: Type.String(),
    text: Type.String(),
    html: Type.String(),
    sentAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type DevMailDoc = Static<typeof DevMailDoc>;

/** The dev mailbox lives in the store, so every instance (and the dev route) sees the same messages. */
export const DevMailbox = defineCollection({
  name: 'dev_mailbox',
  schema: DevMailDoc,
  indexes: [{ keys: { to: 1, sentAt: -1 } }],
});

/** Keeps messages instead of sending them; read back through GET /dev/mailbox. */
export class DevEmailProvider implements EmailProvider {
  readonly kind = 'dev' as const;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async send(message: EmailMessage): Promise<void> {
    await this.store.collection(DevMailbox).insertOne({
      to: normalizeEmail(message.to),
      subject: message.subject,
      text: message.text,
      html: message.html,
      sentAt: this.clock.now(),
    });
  }

  /** Messages to an address, newest first. */
  async messagesTo(to: string, limit = 50): Promise<DevMailDoc[]> {
    return this.store
      .collection(DevMailbox)
      .findAll({ to: normalizeEmail(to) }, { sort: { sentAt: -1 }, limit });
  }
}
