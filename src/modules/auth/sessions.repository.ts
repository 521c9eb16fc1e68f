import type { Store, Stored } from '../../db/index.ts';
import { type RevokeReason, type SessionDoc, Sessions } from './auth.model.ts';

export class SessionsRepository {
  constructor(private readonly store: Store) {}

  private get sessions() {
    return this.store.collection(Sessions);
  }

  open(session: Omit<SessionDoc, '_id'>): Promise<SessionDoc> {
    return this.sessions.insertOne(session);
  }

  /**
   * The session if it is live at `now`: one read by primary key, done on every authenticated request, in
   * the stored form (its instants compared as the ISO strings they are kept as, no `Date` built).
   */
  async findLive(id: string, now: Date): Promise<Stored<SessionDoc> | null> {
    const session = await this.sessions.findById(id, { stored: true });
    if (!session || session.revokedAt || session.expiresAt <= now.toISOString()) return null;
    return session;
  }

  /** Moves a live session's expiry forward; false when it was revoked meanwhile. */
  extend(id: string, at: Date, expiresAt: Date): Promise<boolean> {
    return this.sessions.updateOne(
      { _id: id, revokedAt: { $exists: false } },
      { $set: { refreshedAt: at, expiresAt } },
    );
  }

  revoke(id: string, reason: RevokeReason, at: Date): Promise<boolean> {
    return this.sessions.updateOne(
      { _id: id, revokedAt: { $exists: false } },
      { $set: { revokedAt: at, revokedReason: reason } },
    );
  }

  async revokeAllOfUser(userId: string, reason: RevokeReason, at: Date): Promise<number> {
    const live = await this.sessions.findAll({ userId, revokedAt: { $exists: false } });
    let revoked = 0;
    for (const session of live) if (await this.revoke(session._id, reason, at)) revoked++;
    return revoked;
  }

  /** Expired sessions are dead weight: their tokens are refused anyway. */
  purgeExpired(now: Date): Promise<number> {
    return this.sessions.deleteMany({ expiresAt: { $lt: now } });
  }
}
