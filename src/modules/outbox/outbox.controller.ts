import { Elysia, t } from 'elysia';
import { ID_PATTERN } from '../../shared/ids.ts';
import { BODY_ERRORS, described, errors } from '../../shared/route-docs.ts';
import { type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { OutboxItem, OutboxListQuery, OutboxPage, OutboxStats } from './outbox.model.ts';
import type { OutboxService } from './outbox.service.ts';

const RecordParams = t.Object({ id: t.String({ pattern: ID_PATTERN }) });
const tags = ['Admin'];

/** The outbox for admins: metadata only, never a body; failed records can be sent again. */
export function outboxController({ outbox, auth }: { outbox: OutboxService; auth: AuthPlugin }) {
  return new Elysia({ name: 'outbox-controller', prefix: '/admin' })
    .use(auth)
    .get(
      '/outbox',
      ({ query }) =>
        outbox.list(
          { status: query.status, kind: query.kind },
          { limit: query.limit ?? 50, cursor: query.cursor ?? null },
        ),
      {
        auth: ['admin'],
        query: OutboxListQuery,
        response: {
          200: described(
            OutboxPage,
            'A page of outbox records (metadata only); pass `nextCursor` as `cursor`',
          ),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: {
          tags,
          summary: 'Outbox records, newest first',
          description:
            'Metadata of outbox records (id, kind, recipient, subject, status, attempts, nextAttemptAt, lastError, createdAt, sentAt), optionally of one status and kind, 1-100 a page (default 50) with `cursor` from the previous page. Bodies are never returned.',
        },
      },
    )
    .get('/outbox/stats', () => outbox.stats(), {
      auth: ['admin'],
      response: {
        200: described(OutboxStats, 'Counts by status and the age of the oldest queued record'),
        ...errors(...ROLE_ERRORS),
      },
      detail: {
        tags,
        summary: 'Outbox counts by status and the age of the oldest queued record',
        description:
          'How many records are queued, sending, sent (not yet purged) and failed, and how long the oldest queued record has waited, in seconds (null when none is queued). A growing age means delivery is stuck.',
      },
    })
    .post(
      '/outbox/:id/retry',
      async ({ params, user }) => ({ record: await outbox.retry(params.id, user.id) }),
      {
        auth: ['admin'],
        params: RecordParams,
        response: {
          200: described(t.Object({ record: OutboxItem }), 'The record, queued again and due now'),
          ...errors(
            ...ROLE_ERRORS,
            ...BODY_ERRORS,
            'VALIDATION_FAILED',
            'OUTBOX_RECORD_NOT_FOUND',
            'OUTBOX_NOT_FAILED',
            'OUTBOX_BODY_ERASED',
          ),
        },
        detail: {
          tags,
          summary: 'Send a failed outbox record again',
          description:
            'Moves a `failed` record back to `queued`, due now with a fresh count of attempts, and wakes the deliverer. 409 `OUTBOX_NOT_FAILED` for a record in any other status; 409 `OUTBOX_BODY_ERASED` for a failed record that held a one-time code, whose body was erased; 404 `OUTBOX_RECORD_NOT_FOUND` for an unknown id.',
        },
      },
    );
}
