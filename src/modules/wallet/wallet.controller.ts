import { Elysia } from 'elysia';
import { accepts } from '../../shared/http.ts';
import { described, errors, JSON_BODY_ERRORS } from '../../shared/route-docs.ts';
import { type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { IdempotencyHeaders } from '../idempotency/idempotency.model.ts';
import { IDEMPOTENCY_ERRORS, type IdempotencyPlugin } from '../idempotency/idempotency.plugin.ts';
import { GatewayCheckoutResult, TopupBody, toPayment } from '../payments/payments.model.ts';
import type { PaymentsService } from '../payments/payments.service.ts';
import {
  toWallet,
  toWalletTransaction,
  WalletEnvelope,
  WalletTransactionPage,
  WalletTransactionsQuery,
} from './wallet.model.ts';
import type { WalletService } from './wallet.service.ts';

const tags = ['Wallet'];

/** A patient's wallet: the amounts, the ledger, and top-ups through Razorpay. */
export function walletController({
  wallet,
  payments,
  auth,
  idempotent,
}: {
  wallet: WalletService;
  payments: PaymentsService;
  auth: AuthPlugin;
  idempotent: IdempotencyPlugin;
}) {
  return new Elysia({ name: 'wallet-controller', prefix: '/wallet' })
    .use(auth)
    .use(idempotent)
    .get('', async ({ user }) => ({ wallet: toWallet(await wallet.balance(user.id)) }), {
      auth: ['patient'],
      response: { 200: described(WalletEnvelope, 'My wallet'), ...errors(...ROLE_ERRORS) },
      detail: {
        tags,
        summary: 'My wallet: balance, reserved and available paise',
        description: 'A new patient has zeros.',
      },
    })
    .get(
      '/transactions',
      async ({ user, query }) => {
        const page = await wallet.transactions(user.id, query);
        return { items: page.items.map(toWalletTransaction), nextCursor: page.nextCursor };
      },
      {
        auth: ['patient'],
        query: WalletTransactionsQuery,
        response: {
          200: described(WalletTransactionPage, 'Ledger entries, newest first; entries never change'),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: {
          tags,
          summary: 'My wallet ledger, newest first',
          description: 'Up to 100 a page (default 20).',
        },
      },
    )
    .post(
      '/topup',
      async ({ user, body, headers, status }) => {
        const result = await payments.topup(user.id, body.amountPaise, headers['idempotency-key']);
        return status(201, {
          payment: toPayment(result.payment),
          order: { id: result.order.id, amountPaise: result.order.amountPaise, currency: 'INR' as const },
          keyId: result.keyId,
        });
      },
      {
        auth: ['patient'],
        idempotent: 'POST /wallet/topup',
        ...accepts('application/json'),
        body: TopupBody,
        headers: IdempotencyHeaders,
        response: {
          201: described(
            GatewayCheckoutResult,
            'A Razorpay order; the wallet is credited once, on verify or webhook',
          ),
          ...errors(
            ...ROLE_ERRORS,
            ...JSON_BODY_ERRORS,
            'PAYMENT_PROVIDER_UNAVAILABLE',
            ...IDEMPOTENCY_ERRORS,
          ),
        },
        detail: {
          tags,
          summary: 'Top up my wallet through Razorpay',
          description: 'At least 100 paise and at most WALLET_TOPUP_MAX_PAISE (422 otherwise).',
        },
      },
    );
}
