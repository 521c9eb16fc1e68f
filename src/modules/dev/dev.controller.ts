import { Elysia, t } from 'elysia';
import { DEV_AVATAR_ROUTE, DevAvatarProvider } from '../../providers/avatars/dev.ts';
import type { AvatarProvider } from '../../providers/avatars/port.ts';
import { DevEmailProvider } from '../../providers/email/dev.ts';
import type { EmailProvider } from '../../providers/email/port.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { errors } from '../../shared/route-docs.ts';

const DevMessage = t.Object({
  to: t.String(),
  subject: t.String(),
  text: t.String(),
  html: t.String(),
  attachments: t.Array(t.Object({ filename: t.String(), contentType: t.String(), size: t.Integer() }), {
    description: 'Attached files by name, media type and size in bytes (a calendar invite is invite.ics)',
  }),
  sentAt: t.String({ description: 'ISO instant' }),
});

/**
 * The dev mailbox, mounted only with the dev email provider (otherwise the route does not exist: 404).
 * It shows codes, so it must never run in production (config refuses EMAIL_PROVIDER=dev there).
 */
export function devMailboxController({ email }: { email: EmailProvider }) {
  const app = new Elysia({ name: 'dev-mailbox-controller', prefix: '/dev' });
  if (!(email instanceof DevEmailProvider)) return app;
  return app.get(
    '/mailbox',
    async ({ query }) => ({
      messages: (await email.messagesTo(query.to)).map((m) => ({
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        attachments: (m.attachments ?? []).map((a) => ({
          filename: a.filename,
          contentType: a.contentType,
          size: Buffer.byteLength(a.content),
        })),
        sentAt: m.sentAt.toISOString(),
      })),
    }),
    {
      query: t.Object({ to: t.String({ minLength: 3, maxLength: 254 }) }, { additionalProperties: false }),
      response: {
        200: t.Object(
          { messages: t.Array(DevMessage) },
          { description: 'The messages sent to the address, newest first (none: an empty list)' },
        ),
        ...errors('VALIDATION_FAILED'),
      },
      detail: {
        tags: ['Dev'],
        summary: 'Messages the dev email provider kept for an address, newest first',
        description:
          'Only with EMAIL_PROVIDER=dev (never in production; otherwise this route does not exist): read the ' +
          'verification and reset codes here instead of an inbox.',
      },
    },
  );
}

/** Serves the dev avatar provider's files (only mounted with AVATAR_PROVIDER=dev). */
export function devMediaController({ avatars }: { avatars: AvatarProvider }) {
  const app = new Elysia({ name: 'dev-media-controller' });
  if (!(avatars instanceof DevAvatarProvider)) return app;
  return app.get(
    `${DEV_AVATAR_ROUTE}/:file`,
    async ({ params }) => {
      const file = avatars.file(params.file);
      if (!file || !(await file.exists())) throw new NotFoundError('No such file');
      const type = params.file.endsWith('.png')
        ? 'image/png'
        : params.file.endsWith('.webp')
          ? 'image/webp'
          : 'image/jpeg';
      return new Response(file, {
        headers: { 'content-type': type, 'cache-control': 'public, max-age=86400, immutable' },
      });
    },
    {
      params: t.Object({ file: t.String({ maxLength: 120 }) }),
      response: {
        200: t.File({ description: 'The picture (image/jpeg, image/png or image/webp)' }),
        ...errors('VALIDATION_FAILED', 'NOT_FOUND'),
      },
      detail: {
        tags: ['Dev'],
        summary: 'A profile picture kept by the dev avatar provider',
        description: 'Only with AVATAR_PROVIDER=dev: the files behind the `avatarUrl`s it hands out.',
        responses: {
          200: {
            description: 'The picture',
            content: Object.fromEntries(
              ['image/jpeg', 'image/png', 'image/webp'].map((type) => [
                type,
                { schema: { type: 'string', format: 'binary' } },
              ]),
            ),
          },
        },
      },
    },
  );
}
