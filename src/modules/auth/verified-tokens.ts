/** The claims of an access token whose signature, header, `iss` and `aud` were checked. */
export interface VerifiedClaims {
  sub: string;
  role: string;
  sid: string;
  exp: number;
  nbf?: number;
}

/** How many verified tokens a process remembers: one per user active within a token's life, bounded. */
export const VERIFIED_TOKENS_MAX = 10_000;

/**
 * Access tokens already verified, by their exact text, so a token's signature is checked once per
 * process instead of on every request. WebCrypto's HMAC verify is handed to a worker thread: under load it
 * costs several times the session read that follows it, and more than the rest of the auth check.
 *
 * What a hit still checks: the time claims against the caller's clock, as the verifier does (`exp` at or
 * before now, or `nbf` after it, is a miss; the caller verifies again and answers as it would). What it
 * does not replace: the session read, so a signed-out session ends its tokens at once. The secret is the
 * process's, so a restart with another secret starts empty. The oldest entry leaves first when full.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedClaims>();

  constructor(private readonly max = VERIFIED_TOKENS_MAX) {}

  /** The token's claims if it was verified and its time claims hold at `nowSeconds`. */
  get(token: string, nowSeconds: number): VerifiedClaims | undefined {
    const claims = this.entries.get(token);
    if (claims === undefined) return undefined;
    if (claims.exp <= nowSeconds || (claims.nbf !== undefined && claims.nbf > nowSeconds)) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  remember(token: string, claims: VerifiedClaims): void {
    if (this.entries.size >= this.max && !this.entries.has(token)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, claims);
  }

  get size(): number {
    return this.entries.size;
  }
}
