import { createHash } from 'node:crypto';
import { jwt } from '@elysiajs/jwt';
import type { Clock } from '../../shared/clock.ts';
import { UnauthorizedError } from '../../shared/errors.ts';
import { ROLES, type Role } from '../users/users.model.ts';
import type { RefreshTokensRepository } from './refresh-tokens.repository.ts';
import type { SessionsRepository } from './sessions.repository.ts';

/** Who a valid access token speaks for; what the auth plugin gives handlers as `user`. */
export interface AuthUser {
  id: string;
  role: Role;
  sessionId: string;
}

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
}

/** Access tokens announce their type in the JOSE header (RFC 9068), so nothing else passes as one. */
const ACCESS_TYPE = 'at+jwt';
/** Refresh tokens are opaque: a prefix, then 256 random bits; never a JWT, so never an access token. */
const REFRESH_PREFIX = 'hvrt_';
const REFRESH_PATTERN = /^hvrt_[A-Za-z0-9_-]{43}$/;

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
 * presented again revokes its whole session.
 */
export class TokenService {
  private readonly signer;

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
    return this.pairFor({ id: userId, role, sessionId: session._id }, now);
  }

  /**
   * Exchanges a refresh token for a new pair. Unknown, expired or revoked -> 401; a token already
   * spent -> its session is revoked, then 401.
   */
  async rotate(refreshToken: string, roleOf: (userId: string) => Promise<Role | null>): Promise<TokenPair> {
    const now = this.clock.now();
    if (!REFRESH_PATTERN.test(refreshToken)) throw invalidRefresh();
    const hash = sha256(refreshToken);
    const stored = await this.refreshTokens.findByHash(hash);
    if (!stored) throw invalidRefresh();
    if (stored.usedAt || !(await this.refreshTokens.markUsedOnce(hash, now))) {
      await this.sessions.revoke(stored.sessionId, 'refresh_reuse', now);
      throw new UnauthorizedError(
        'This refresh token was already used; the session has been signed out',
        'REFRESH_TOKEN_REUSED',
      );
    }
    if (stored.expiresAt <= now) throw invalidRefresh();
    const session = await this.sessions.findLive(stored.sessionId, now);
    const role = session ? await roleOf(session.userId) : null;
    if (!session || !role) throw invalidRefresh();
    if (!(await this.sessions.extend(session._id, now, this.refreshExpiry(now)))) throw invalidRefresh();
    return this.pairFor({ id: session.userId, role, sessionId: session._id }, now);
  }

  /** The session a refresh token belongs to, if the token is one of ours (spent or not). */
  async sessionOfRefreshToken(refreshToken: string): Promise<{ sessionId: string; userId: string } | null> {
    if (!REFRESH_PATTERN.test(refreshToken)) return null;
    const stored = await this.refreshTokens.findByHash(sha256(refreshToken));
    return stored ? { sessionId: stored.sessionId, userId: stored.userId } : null;
  }

  /**
   * Checks a bearer access token: signature (HS256 only), `typ`, `iss`, `aud`, `exp` against the clock,
   * the claims' shape, and that its session is still live (one read by id).
   */
  async authenticate(authorization: string | undefined): Promise<AuthUser> {
    const match = authorization?.match(/^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i);
    if (!match) throw new UnauthorizedError('A bearer access token is required');
    const token = match[1]!;
    const now = this.clock.now();
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
    const { sub, role, sid } = claims;
    if (typeof sub !== 'string' || typeof sid !== 'string' || !ROLES.includes(role as Role)) {
      throw new UnauthorizedError('The access token is invalid', 'INVALID_TOKEN');
    }
    const session = await this.sessions.findLive(sid, now);
    if (!session || session.userId !== sub) {
      throw new UnauthorizedError('The session has ended; sign in again', 'SESSION_REVOKED');
    }
    return { id: sub, role: role as Role, sessionId: sid };
  }

  revokeSession(sessionId: string, reason: 'logout' | 'password_reset'): Promise<boolean> {
    return this.sessions.revoke(sessionId, reason, this.clock.now());
  }

  revokeAllSessions(userId: string, reason: 'logout' | 'password_reset'): Promise<number> {
    return this.sessions.revokeAllOfUser(userId, reason, this.clock.now());
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

  private async pairFor(user: AuthUser, now: Date): Promise<TokenPair> {
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
    await this.refreshTokens.record({
      _id: sha256(refreshToken),
      sessionId: user.sessionId,
      userId: user.id,
      createdAt: now,
      expiresAt: this.refreshExpiry(now),
    });
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.settings.accessTtlSeconds };
  }
}

const invalidRefresh = () =>
  new UnauthorizedError('The refresh token is invalid or has expired', 'INVALID_REFRESH_TOKEN');
