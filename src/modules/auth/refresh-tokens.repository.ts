import type { Store } from '../../db/index.ts';
import { type RefreshTokenDoc, RefreshTokens } from './auth.model.ts';

export class RefreshTokensRepository {
  constructor(private readonly store: Store) {}

  private get tokens() {
    return this.store.collection(RefreshTokens);
  }

  record(token: RefreshTokenDoc): Promise<RefreshTokenDoc> {
    return this.tokens.insertOne(token);
  }

  findByHash(hash: string): Promise<RefreshTokenDoc | null> {
    return this.tokens.findById(hash);
  }

  /** Spends an unused token; false when it was already spent (a reuse, possibly a concurrent one). */
  markUsedOnce(hash: string, at: Date): Promise<boolean> {
    return this.tokens.updateOne({ _id: hash, usedAt: { $exists: false } }, { $set: { usedAt: at } });
  }

  /** An expired refresh token is refused whether or not it is stored; reuse detection ends with it. */
  purgeExpired(now: Date): Promise<number> {
    return this.tokens.deleteMany({ expiresAt: { $lt: now } });
  }
}
