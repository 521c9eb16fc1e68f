import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';
import { literalUnion } from '../../shared/literal-union.ts';

/**
 * A patient's wallet is a ledger. Every change is an immutable entry with a unique key per cause
 * (`<kind>:<payment id>`), written in one transaction with a conditional update of the wallet document.
 *   money entries        topup (+), debit (-), refund (+)      sum to balancePaise
 *   reservation entries  reserve (+), release (-), settle (-)   sum to reservedPaise
 * `settle` is a reservation turned into its debit (written together with a `debit` entry).
 * availablePaise = balancePaise - reservedPaise, never below zero (every debit and reserve is conditional on it).
 */
export const MONEY_ENTRY_KINDS = ['topup', 'debit', 'refund'] as const;
export const RESERVATION_ENTRY_KINDS = ['reserve', 'release', 'settle'] as const;
export const WALLET_ENTRY_KINDS = [...MONEY_ENTRY_KINDS, ...RESERVATION_ENTRY_KINDS] as const;
export type WalletEntryKind = (typeof WALLET_ENTRY_KINDS)[number];
export const isMoneyEntry = (kind: WalletEntryKind): boolean =>
  (MONEY_ENTRY_KINDS as readonly string[]).includes(kind);

export const WALLET_PAGE_DEFAULT = 20;
export const WALLET_PAGE_MAX = 100;

export const WalletDoc = Type.Object(
  {
    /** The patient's user id: one wallet each. */
    _id: Type.String(),
    balancePaise: Type.Integer({ minimum: 0 }),
    reservedPaise: Type.Integer({ minimum: 0 }),
    availablePaise: Type.Integer({ minimum: 0 }),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type WalletDoc = Static<typeof WalletDoc>;

export const Wallets = defineCollection({ name: 'wallets', schema: WalletDoc, indexes: [] });

export const WalletEntryDoc = Type.Object(
  {
    _id: Type.String(),
    walletId: Type.String(),
    kind: literalUnion(WALLET_ENTRY_KINDS),
    /** Signed: its effect on the balance (money entries) or on the reserved amount (reservation entries). */
    amountPaise: Type.Integer(),
    balanceAfterPaise: Type.Integer({ minimum: 0 }),
    reservedAfterPaise: Type.Integer({ minimum: 0 }),
    ref: Type.Object({ type: Type.Literal('payment'), id: Type.String() }, { additionalProperties: false }),
    /** `<kind>:<ref id>`: one entry per cause. */
    key: Type.String(),
    createdAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type WalletEntryDoc = Static<typeof WalletEntryDoc>;

export const WalletEntries = defineCollection({
  name: 'wallet_entries',
  schema: WalletEntryDoc,
  indexes: [
    { keys: { key: 1 }, unique: true, name: 'wallet_entries__key' },
    { keys: { walletId: 1, _id: -1 } },
    { keys: { 'ref.id': 1 } },
  ],
});

export const Wallet = t.Object(
  {
    balancePaise: Type.Integer({ description: 'Money in the wallet, in paise' }),
    reservedPaise: Type.Integer({ description: 'Set aside for hybrid payments under way' }),
    availablePaise: Type.Integer({ description: 'balancePaise - reservedPaise: what can be spent now' }),
  },
  { title: 'Wallet' },
);
export type Wallet = Static<typeof Wallet>;
export const WalletEnvelope = t.Object({ wallet: Wallet });

export const WalletTransaction = t.Object(
  {
    id: t.String(),
    kind: literalUnion(WALLET_ENTRY_KINDS),
    amountPaise: Type.Integer({
      description: 'Signed effect on the balance (or, for reserve/release/settle, on reservedPaise)',
    }),
    balanceAfterPaise: Type.Integer(),
    ref: t.Object({ type: t.Literal('payment'), id: t.String() }),
    createdAt: t.String({ description: 'ISO 8601 instant, UTC' }),
  },
  { title: 'WalletTransaction' },
);
export const WalletTransactionPage = t.Object({
  items: t.Array(WalletTransaction),
  nextCursor: t.Union([t.String(), t.Null()]),
});

export const WalletTransactionsQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: WALLET_PAGE_MAX, default: WALLET_PAGE_DEFAULT })),
  cursor: t.Optional(t.String({ maxLength: 2048 })),
});

export const toWallet = (doc: WalletDoc | null): Wallet => ({
  balancePaise: doc?.balancePaise ?? 0,
  reservedPaise: doc?.reservedPaise ?? 0,
  availablePaise: doc?.availablePaise ?? 0,
});

export const toWalletTransaction = (doc: WalletEntryDoc): Static<typeof WalletTransaction> => ({
  id: doc._id,
  kind: doc.kind,
  amountPaise: doc.amountPaise,
  balanceAfterPaise: doc.balanceAfterPaise,
  ref: doc.ref,
  createdAt: doc.createdAt.toISOString(),
});
