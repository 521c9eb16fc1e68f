import { Elysia } from 'elysia';
import { BODY_ERRORS, described, errors } from '../../shared/route-docs.ts';
import { AUTH_ERRORS, type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { AdminRefundsQuery, RefundEnvelope, RefundIdParams, RefundPage, toRefund } from './refunds.model.ts';
import type { RefundsService } from './refunds.service.ts';

/** A cancellation's refund, for the payment's owner and admins; stuck ones listed and retried by admins. */
export function refundsController({ refunds, auth }: { refunds: RefundsService; auth: AuthPlugin }) {
  return new Elysia({ name: 'refunds-controller' })
    .use(auth)
    .get(
      '/refunds/:id',
      async ({ user, params }) => ({ refund: toRefund(await refunds.get(user, params.id)) }),
      {
        auth: true,
        params: RefundIdParams,
        response: {
          200: described(RefundEnvelope, 'The refund'),
          ...errors(...AUTH_ERRORS, 'VALIDATION_FAILED', 'REFUND_NOT_FOUND'),
        },
        detail: {
          tags: ['Payments'],
          summary: "A cancellation's refund: the payment's owner or an admin",
          description:
            '`pending` until Razorpay reports the gateway part processed (or `failed`); anyone else gets 404.',
        },
      },
    )
    .get(
      '/admin/refunds',
      async ({ query }) => {
        const page = await refunds.list(query);
        return { items: page.items.map(toRefund), nextCursor: page.nextCursor };
      },
      {
        auth: ['admin'],
        query: AdminRefundsQuery,
        response: {
          200: described(RefundPage, 'Refunds, newest first'),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: {
          tags: ['Admin'],
          summary: 'Refunds, optionally of one status (`failed`: stuck at the gateway)',
          description: 'Newest first.',
        },
      },
    )
    .post(
      '/admin/refunds/:id/retry',
      async ({ params }) => ({ refund: toRefund(await refunds.retry(params.id)) }),
      {
        auth: ['admin'],
        params: RefundIdParams,
        response: {
          200: described(RefundEnvelope, 'The refund, `pending` again with a new gateway request'),
          ...errors(
            ...ROLE_ERRORS,
            ...BODY_ERRORS,
            'VALIDATION_FAILED',
            'REFUND_NOT_FOUND',
            'REFUND_NOT_RETRYABLE',
          ),
        },
        detail: {
          tags: ['Admin'],
          summary: 'Retry a failed refund, once',
          description: 'Only a `failed` refund, once; else 409 `REFUND_NOT_RETRYABLE`.',
        },
      },
    );
}
