import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { AppError, TooManyRequestsError } from '../../shared/errors.ts';
import type { OtpPurpose } from './auth.model.ts';
import type { OtpsRepository } from './otps.repository.ts';

export const OTP_MAX_ATTEMPTS = 5;
const RESEND_GAP_MS = 60_000;
const HOUR_MS = 3_600_000;
const MAX_SENDS_PER_HOUR = 5;

export class OtpError extends AppError {
  constructor(code: 'OTP_INVALID' | 'OTP_EXPIRED' | 'OTP_LOCKED', message: string, details?: unknown) {
    // 422, not 401: a wrong code is bad input, and 401 would trip clients' token-refresh handlers.
    super(422, code, message, details);
  }
}

/** Six uniformly random digits from the cryptographic RNG (rejection sampling, no modulo bias). */
export function randomSixDigits(): string {
  const buffer = new Uint32Array(1);
  const limit = Math.floor(0x1_0000_0000 / 1_000_000) * 1_000_000;
  for (;;) {
    crypto.getRandomValues(buffer);
    if (buffer[0]! < limit) return String(buffer[0]! % 1_000_000).padStart(6, '0');
  }
}

/**
 * One-time codes by email: stored as a keyed hash, valid for a while, single use, newest only,
 * a bounded number of wrong guesses (each counted by a conditional write), and throttled sends.
 *
 * Every address is treated alike, so no answer tells whether it has an account: an address that gets
 * no email (unknown, or already verified) gets a decoy code, hashed like a real one but never sent and
 * never a six-digit string, so nothing can match it; wrong guesses are counted and lock the same way
 * whether or not a code was ever issued; and sends are throttled per address, account or not.
 */
export class OtpService {
  constructor(
    private readonly otps: OtpsRepository,
    private readonly clock: Clock,
    /** `limitsEnabled: false` (RATE_LIMITS_ENABLED=false) lifts the send limits; sends are still counted. */
    private readonly options: { ttlSeconds: number; pepper: string; limitsEnabled?: boolean },
  ) {}

  /** This service writing through `tx`, the store of a running transaction. */
  within(tx: Store): OtpService {
    return new OtpService(this.otps.within(tx), this.clock, this.options);
  }

  /** When a code issued now stops working. */
  expiryOfCodeIssuedNow(): Date {
    return new Date(this.clock.now().getTime() + this.options.ttlSeconds * 1000);
  }

  private hash(email: string, purpose: OtpPurpose, code: string): Buffer {
    return createHmac('sha256', this.options.pepper).update(`${purpose}\n${email}\n${code}`).digest();
  }

  /**
   * Starts a new code for the email, replacing any earlier one and its wrong guesses. Returns the code
   * to email, or null when `deliver` is false (a decoy was stored instead, with the same work).
   * `throttled` sends (resend, forgot) are at most one a minute and five an hour per address, else
   * 429 with Retry-After, and are counted; the send that comes with signup is neither limited nor
   * counted, so a resend right after signup answers as it would for an address nobody signed up with.
   */
  async issue(
    email: string,
    purpose: OtpPurpose,
    options: { deliver: boolean; throttled: boolean },
  ): Promise<string | null> {
    const now = this.clock.now();
    const code = options.deliver ? randomSixDigits() : Buffer.from(randomBytes(16)).toString('hex');
    const issued = {
      codeHash: this.hash(email, purpose, code).toString('hex'),
      expiresAt: new Date(now.getTime() + this.options.ttlSeconds * 1000),
      at: now,
    };
    const answer = options.deliver ? code : null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.otps.find(email, purpose);
      const recent = (current?.sentAt ?? []).filter((sent) => now.getTime() - sent.getTime() < HOUR_MS);
      const limited = options.throttled && this.options.limitsEnabled !== false;
      if (limited) {
        const last = recent.at(-1);
        if (last && now.getTime() - last.getTime() < RESEND_GAP_MS) {
          throw new TooManyRequestsError(retryAfter(last.getTime() + RESEND_GAP_MS - now.getTime()));
        }
        if (recent.length >= MAX_SENDS_PER_HOUR) {
          throw new TooManyRequestsError(retryAfter(recent[0]!.getTime() + HOUR_MS - now.getTime()));
        }
      }
      const sentAt = options.throttled ? [...recent, now].slice(-MAX_SENDS_PER_HOUR) : recent;
      if (!current) {
        if (await this.otps.createFirst(email, purpose, { ...issued, sentAt })) return answer;
        continue;
      }
      if (await this.otps.replaceCode(current, { ...issued, sentAt })) return answer;
      // Another send won the conditional write just now: that one is the newest code.
      if (limited) throw new TooManyRequestsError(RESEND_GAP_MS / 1000);
    }
    throw new TooManyRequestsError(RESEND_GAP_MS / 1000);
  }

  /**
   * Spends the code if it is the newest, unexpired, unused and not locked; else throws OtpError.
   * A wrong code answers `OTP_INVALID { attemptsLeft }` and the fifth locks, whatever the address:
   * with no code issued, the wrong guesses are counted on a record of their own. Only the right code
   * learns that it expired or was used, so only the holder of the email ever sees `OTP_EXPIRED`.
   */
  async consume(email: string, purpose: OtpPurpose, code: string): Promise<void> {
    const now = this.clock.now();
    const given = this.hash(email, purpose, code);
    for (let round = 0; round < 5; round++) {
      const doc = await this.otps.find(email, purpose);
      if (!doc) {
        if (await this.otps.createWithWrongGuess(email, purpose, now)) throw invalid(OTP_MAX_ATTEMPTS - 1);
        continue;
      }
      if (doc.attempts >= OTP_MAX_ATTEMPTS) throw locked();
      const stored = Buffer.from(doc.codeHash ?? '', 'hex');
      if (stored.length === given.length && timingSafeEqual(given, stored)) {
        if (doc.consumedAt || !doc.expiresAt || doc.expiresAt <= now) throw otpExpired();
        if (await this.otps.consume(doc, OTP_MAX_ATTEMPTS, now)) return;
        continue;
      }
      const counted = await this.otps.countWrongGuess(doc, OTP_MAX_ATTEMPTS, now);
      if (counted) throw invalid(OTP_MAX_ATTEMPTS - counted.attempts);
      // The last try was taken, or a new code replaced this one, just now: look again.
    }
    throw locked();
  }
}

const retryAfter = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
/** The answer for the right code once it is no longer the live one. */
export const otpExpired = () =>
  new OtpError('OTP_EXPIRED', 'This code has expired or was already used; request a new one');
const invalid = (attemptsLeft: number) =>
  new OtpError('OTP_INVALID', 'The code is not correct', { attemptsLeft });
const locked = () =>
  new OtpError('OTP_LOCKED', 'Too many wrong codes; request a new code', { attemptsLeft: 0 });
