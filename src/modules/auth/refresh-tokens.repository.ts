import type { Store } from '../../db/index.ts';
import {
  type RefreshSuccessorDoc,
  RefreshSuccessors,
  type RefreshTokenDoc,
  RefreshTokens,
} from './auth.model.ts';
import { SessionsRepository } from './sessions.repository.ts';

/** Refresh tokens (by hash) and the sealed successor pairs their rotations keep for the reuse grace. */
export class RefreshTokensRepository {
  constructor(private readonly store: Store) {}

  private get tokens() {
    return this.store.collection(RefreshTokens);
  }

  private get successors() {
    return this.store.collection(RefreshSuccessors);
  }

  /** Runs `work` atomically, with repositories bound to the transaction. */
  transaction<R>(
    work: (tx: { refreshTokens: RefreshTokensRepository; sessions: SessionsRepository }) => Promise<R>,
  ): Promise<R> {
    return this.store.transaction((tx) =>
      work({ refreshTokens: new RefreshTokensRepository(tx), sessions: new SessionsRepository(tx) }),
    );
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

  keepSuccessor(successor: RefreshSuccessorDoc): Promise<RefreshSuccessorDoc> {
    return this.successors.insertOne(successor);
  }

  /** The sealed pair the rotation of this token issued, while its grace lasts. */
  async findSuccessor(hash: string, now: Date): Promise<RefreshSuccessorDoc | null> {
    const kept = await this.successors.findById(hash);
    return kept && kept.expiresAt >= now ? kept : null;
  }

  /** An expired refresh token is refused whether or not it is stored; reuse detection ends with it. */
  purgeExpired(now: Date): Promise<number> {
    return this.tokens.deleteMany({ expiresAt: { $lt: now } });
  }

  /** A successor pair is kept for the grace only. */
  purgeSuccessors(now: Date): Promise<number> {
    return this.successors.deleteMany({ expiresAt: { $lt: now } });
  }
}
