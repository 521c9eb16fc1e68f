import type { Page } from '../../db/index.ts';
import { WALLET_PAGE_DEFAULT, type WalletDoc, type WalletEntryDoc } from './wallet.model.ts';
import type { WalletRepository } from './wallet.repository.ts';

/** A patient's wallet as they read it: the three amounts and the ledger, newest first. */
export class WalletService {
  constructor(private readonly wallet: WalletRepository) {}

  balance(userId: string): Promise<WalletDoc | null> {
    return this.wallet.findById(userId);
  }

  transactions(
    userId: string,
    page: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<Page<WalletEntryDoc>> {
    return this.wallet.page(userId, { limit: page.limit ?? WALLET_PAGE_DEFAULT, cursor: page.cursor });
  }
}
