import { createHash } from 'node:crypto';
import { jwt } from '@elysiajs/jwt';
import type { Clock } from '../../shared/clock.ts';
import { UnauthorizedError } from '../../shared/errors.ts';
import { ROLES, type Role } from '../users/users.model.ts';
import type { RefreshTokenDoc } from './auth.model.ts';
import { openSuccessor, sealSuccessor } from './refresh-successor.ts';
import type { RefreshTokensRepository } from './refresh-tokens.repository.ts';
import type { SessionsRepository } from './sessions.repository.ts';
import { type VerifiedClaims, VerifiedTokens } from './verified-tokens.ts';

/** Who a valid access token speaks for; what the auth plugin gives handlers as `user`. */
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}

/** A sign-out: one session, or every session of a user. Whatever keeps a session open (a socket) ends it. */
export type SessionEnded = { sessionId: string } | { userId: string };

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** How long after a rotation the spent token still answers the same successor pair (0: never). */
  reuseGraceSeconds: number;
}

/** Access tokens announce their type in the JOSE header (RFC 9068), so nothing else passes as one. */
const ACCESS_TYPE = 'at+jwt';
/** Refresh tokens are opaque: a prefix, then 256 random bits; never a JWT, so never an access token. */
const REFRESH_PREFIX = 'hvrt_';
const REFRESH_PATTERN = /^hvrt_[A-Za-z0-9_-]{43}$/;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

const decodeClaims = (token: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return null;
  }
};

/**
 * Issues and checks tokens. Access: HS256 JWT through `@elysiajs/jwt`, `iss`/`aud`/`typ` checked,
 * time from the injected clock. Refresh: opaque, stored hashed, rotated on every use; a spent token
 * presented again within the reuse grace answers the same successor pair (two tabs refreshing at once),
 * after it revokes its whole session.
 */
export class TokenService {
  private readonly signer;
  private readonly endedListeners = new Set<(ended: SessionEnded) => void>();
  /** Tokens verified before: their signature is checked once, their time claims and session every time. */
  private readonly verified = new VerifiedTokens();

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly clock: Clock,
    private readonly settings: TokenSettings,
  ) {
    this.signer = jwt({
      secret: settings.secret,
      alg: 'HS256',
      typ: ACCESS_TYPE,
      iss: settings.issuer,
      aud: settings.audience,
    }).decorator.jwt;
  }

  /** Opens a new session for a user who just proved who they are. */
  async startSession(userId: string, role: Role): Promise<TokenPair> {
    const now = this.clock.now();
    const session = await this.sessions.open({
      userId,
      createdAt: now,
      refreshedAt: now,
      expiresAt: this.refreshExpiry(now),
    });
    const { pair, record } = await this.pairFor({ id: userId, role, sessionId: session._id }, now);
    await this.refreshTokens.record(record);
    return pair;
  }

  /**
   * Exchanges a refresh token for a new pair. Unknown, expired, or of an ended session -> 401
   * `INVALID_REFRESH_TOKEN`, and nothing is spent (so a second try answers the same). A spent token:
   * within the grace, the same pair its rotation answered; after it, its session is revoked, then 401
   * `REFRESH_TOKEN_REUSED`.
   */
  async rotate(refreshToken: string, roleOf: (userId: string) => Promise<Role | null>): Promise<TokenPair> {
    const now = this.clock.now();
    if (!REFRESH_PATTERN.test(refreshToken)) throw invalidRefresh();
    const hash = sha256(refreshToken);
    const stored = await this.refreshTokens.findByHash(hash);
    if (!stored || stored.expiresAt <= now) throw invalidRefresh();
    const session = await this.sessions.findLive(stored.sessionId, now);
    const role = session ? await roleOf(session.userId) : null;
    if (!session || !role) throw invalidRefresh();
    if (!stored.usedAt) {
      const issued = await this.pairFor({ id: session.userId, role, sessionId: session._id }, now);
      if (await this.spend(refreshToken, hash, issued, now)) return issued.pair;
      // Another refresh with this token won the conditional write just now: answer what it answered.
    }
    const kept = await this.refreshTokens.findSuccessor(hash, now);
    const successor = kept ? await openSuccessor(refreshToken, kept) : null;
    if (successor) {
      return { ...successor, tokenType: 'Bearer', expiresIn: this.settings.accessTtlSeconds };
    }
    if (await this.sessions.revoke(stored.sessionId, 'refresh_reuse', now)) {
      this.announce({ sessionId: stored.sessionId });
    }
    throw new UnauthorizedError(
      'This refresh token was already used; the session has been signed out',
      'REFRESH_TOKEN_REUSED',
    );
  }

  /**
   * In one transaction: marks the token spent (if no one else did), records its successor, keeps the
   * sealed pair for the grace and moves the session's expiry. False when the token was spent first.
   */
  private async spend(
    refreshToken: string,
    hash: string,
    issued: { pair: TokenPair; record: RefreshTokenDoc },
    now: Date,
  ): Promise<boolean> {
    const graceMs = this.settings.reuseGraceSeconds * 1000;
    const sealed = graceMs > 0 ? await sealSuccessor(refreshToken, hash, issued.pair) : null;
    return this.refreshTokens.transaction(async ({ refreshTokens, sessions }) => {
      if (!(await refreshTokens.markUsedOnce(hash, now))) return false;
      // Revoked between the read and now (a sign-out): the transaction and its writes are undone.
      if (!(await sessions.extend(issued.record.sessionId, now, this.refreshExpiry(now)))) {
        throw invalidRefresh();
      }
      await refreshTokens.record(issued.record);
      if (sealed) {
        await refreshTokens.keepSuccessor({
          _id: hash,
          ...sealed,
          expiresAt: new Date(now.getTime() + graceMs),
        });
      }
      return true;
    });
  }

  /** The session a refresh token belongs to, if the token is one of ours (spent or not). */
  async sessionOfRefreshToken(refreshToken: string): Promise<{ sessionId: string; userId: string } | null> {
    if (!REFRESH_PATTERN.test(refreshToken)) return null;
    const stored = await this.refreshTokens.findByHash(sha256(refreshToken));
    return stored ? { sessionId: stored.sessionId, userId: stored.userId } : null;
  }

  /**
   * Checks a bearer access token: signature (HS256 only), `typ`, `iss`, `aud`, `exp` against the clock,
   * the claims' shape, and that its session is still live (one read by id). The signature and claims are
   * checked once per token in this process (`VerifiedTokens`); the clock and the session, every time.
   */
  async authenticate(authorization: string | undefined): Promise<AuthUser> {
    const match = authorization?.match(/^Bearer\s+(\S+)$/i);
    if (!match) throw new UnauthorizedError('A bearer access token is required');
    const token = match[1]!;
    // A compact JWS exactly (three unpadded base64url parts), so no other spelling of a token passes.
    if (!COMPACT_JWS.test(token)) throw new UnauthorizedError('The access token is invalid', 'INVALID_TOKEN');
    const now = this.clock.now();
    const { sub, role, sid } =
      this.verified.get(token, Math.floor(now.getTime() / 1000)) ?? (await this.verifyFully(token, now));
    const session = await this.sessions.findLive(sid, now);
    if (!session || session.userId !== sub) {
      throw new UnauthorizedError('The session has ended; sign in again', 'SESSION_REVOKED');
    }
    return { id: sub, role: role as Role, sessionId: sid };
  }

  /** The checks a token not yet verified in this process goes through; remembered when it passes. */
  private async verifyFully(token: string, now: Date): Promise<VerifiedClaims> {
    // The signature in its one spelling: base64url's last character has bits that decode to nothing, and
    // jose ignores them, so three other texts would carry the same signature (the signed header and payload
    // are compared as text, so they have no other spelling).
    const signature = token.slice(token.lastIndexOf('.') + 1);
    if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) {
      throw new UnauthorizedError('The access token is invalid', 'INVALID_TOKEN');
    }
    const claims = await this.verifyAccess(token, now);
    if (!claims) {
      const exp = decodeClaims(token)?.exp;
      if (typeof exp === 'number' && exp * 1000 <= now.getTime()) {
        // Only a token that was valid in its lifetime is "expired"; anything else is simply invalid.
        if (await this.verifyAccess(token, new Date((exp - 1) * 1000))) {
          throw new UnauthorizedError('The access token has expired', 'TOKEN_EXPIRED');
        }
      }
      throw new UnauthorizedError('The access token is invalid', 'INVALID_TOKEN');
    }
    const { sub, role, sid, exp, nbf } = claims;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      !ROLES.includes(role as Role) ||
      typeof exp !== 'number'
    ) {
      throw new UnauthorizedError('The access token is invalid', 'INVALID_TOKEN');
    }
    const verified: VerifiedClaims = { sub, role: role as Role, sid, exp };
    if (typeof nbf === 'number') verified.nbf = nbf;
    this.verified.remember(token, verified);
    return verified;
  }

  async revokeSession(sessionId: string, reason: 'logout' | 'password_reset'): Promise<boolean> {
    const revoked = await this.sessions.revoke(sessionId, reason, this.clock.now());
    if (revoked) this.announce({ sessionId });
    return revoked;
  }

  async revokeAllSessions(userId: string, reason: 'logout' | 'password_reset'): Promise<number> {
    const revoked = await this.sessions.revokeAllOfUser(userId, reason, this.clock.now());
    this.announce({ userId });
    return revoked;
  }

  async isSessionLive(sessionId: string): Promise<boolean> {
    return (await this.sessions.findLive(sessionId, this.clock.now())) !== null;
  }

  /** Calls `listener` after each revocation; returns the unsubscribe. */
  onSessionEnded(listener: (ended: SessionEnded) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  private announce(ended: SessionEnded): void {
    for (const listener of this.endedListeners) listener(ended);
  }

  private verifyAccess(token: string, at: Date) {
    return this.signer.verify(token, {
      algorithms: ['HS256'],
      typ: ACCESS_TYPE,
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      currentDate: at,
      requiredClaims: ['exp', 'sub'],
    });
  }

  private refreshExpiry(now: Date): Date {
    return new Date(now.getTime() + this.settings.refreshTtlSeconds * 1000);
  }

  /** A new pair and the record of its refresh token, not yet stored. */
  private async pairFor(user: AuthUser, now: Date): Promise<{ pair: TokenPair; record: RefreshTokenDoc }> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const accessToken = await this.signer.sign({
      sub: user.id,
      role: user.role,
      sid: user.sessionId,
      exp: nowSeconds + this.settings.accessTtlSeconds,
      iat: false,
    });
    const refreshToken =
      REFRESH_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    return {
      pair: { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.settings.accessTtlSeconds },
      record: {
        _id: sha256(refreshToken),
        sessionId: user.sessionId,
        userId: user.id,
        createdAt: now,
        expiresAt: this.refreshExpiry(now),
      },
    };
  }
}

const invalidRefresh = () =>
  new UnauthorizedError('The refresh token is invalid or has expired', 'INVALID_REFRESH_TOKEN');
