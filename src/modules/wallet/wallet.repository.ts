import { isDuplicateOn } from '../../db/errors.ts';
import type { Filter, Page, Store } from '../../db/index.ts';
import { newId } from '../../shared/ids.ts';
import {
  type WalletDoc,
  WalletEntries,
  type WalletEntryDoc,
  type WalletEntryKind,
  Wallets,
} from './wallet.model.ts';

/** The change one entry kind makes to the wallet's three amounts, for `amount` >= 0. */
const EFFECTS: Record<WalletEntryKind, { balance: number; reserved: number }> = {
  topup: { balance: 1, reserved: 0 },
  refund: { balance: 1, reserved: 0 },
  debit: { balance: -1, reserved: 0 },
  reserve: { balance: 0, reserved: 1 },
  release: { balance: 0, reserved: -1 },
  settle: { balance: 0, reserved: -1 },
};

/**
 * Wallets and their ledger. `apply` is the only write: inside a transaction, one conditional update of
 * the wallet and the entry with its unique key. It returns null when the cause was already recorded
 * (the entry's key exists) or when the wallet cannot afford it.
 */
export class WalletRepository {
  constructor(private readonly store: Store) {}

  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  private get wallets() {
    return this.store.collection(Wallets);
  }

  private get entries() {
    return this.store.collection(WalletEntries);
  }

  findById(userId: string): Promise<WalletDoc | null> {
    return this.wallets.findById(userId);
  }

  findEntry(key: string): Promise<WalletEntryDoc | null> {
    return this.entries.findOne({ key });
  }

  /** `kind` of `amount` (>= 0) for the payment `refId`, once; must run inside a store transaction. */
  async apply(
    userId: string,
    kind: WalletEntryKind,
    amount: number,
    refId: string,
    now: Date,
  ): Promise<WalletEntryDoc | 'duplicate' | 'insufficient'> {
    const key = `${kind}:${refId}`;
    if (await this.entries.findOne({ key })) return 'duplicate';
    const effect = EFFECTS[kind];
    const balance = effect.balance * amount;
    const reserved = effect.reserved * amount;
    const available = balance - reserved;
    // A debit, a reserve, or a release/settle needs the funds (or the reservation) to be there.
    const condition: Filter = { _id: userId };
    if (available < 0) condition.availablePaise = { $gte: -available };
    if (reserved < 0) condition.reservedPaise = { $gte: -reserved };
    let wallet = await this.wallets.findOneAndUpdate(condition, {
      $inc: { balancePaise: balance, reservedPaise: reserved, availablePaise: available },
      $set: { updatedAt: now },
    });
    if (!wallet) {
      if (available < 0 || reserved < 0) return 'insufficient';
      wallet = await this.wallets.insertOne({
        _id: userId,
        balancePaise: balance,
        reservedPaise: reserved,
        availablePaise: available,
        createdAt: now,
        updatedAt: now,
      });
    }
    try {
      return await this.entries.insertOne({
        _id: newId(),
        walletId: userId,
        kind,
        amountPaise: effect.balance !== 0 ? balance : reserved,
        balanceAfterPaise: wallet.balancePaise,
        reservedAfterPaise: wallet.reservedPaise,
        ref: { type: 'payment', id: refId },
        key,
        createdAt: now,
      });
    } catch (error) {
      // A concurrent transaction recorded the same cause: this one must not commit its wallet change.
      if (isDuplicateOn(error, 'wallet_entries__key')) throw new DuplicateLedgerEntry(key);
      throw error;
    }
  }

  page(userId: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<WalletEntryDoc>> {
    return this.entries.find(
      { walletId: userId },
      { sort: { _id: -1 }, limit: page.limit, cursor: page.cursor ?? null },
    );
  }

  allWallets(): Promise<WalletDoc[]> {
    return this.wallets.findAll({});
  }

  entriesOf(userId: string): Promise<WalletEntryDoc[]> {
    return this.entries.findAll({ walletId: userId });
  }

  entriesFor(refId: string): Promise<WalletEntryDoc[]> {
    return this.entries.findAll({ 'ref.id': refId });
  }
}

/** Thrown inside a transaction when the same cause was recorded concurrently; the transaction rolls back. */
export class DuplicateLedgerEntry extends Error {
  constructor(readonly key: string) {
    super(`ledger entry ${key} exists`);
    this.name = 'DuplicateLedgerEntry';
  }
}
