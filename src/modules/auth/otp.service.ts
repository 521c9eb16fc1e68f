import { createHmac, timingSafeEqual } from 'node:crypto';
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
 */
export class OtpService {
  constructor(
    private readonly otps: OtpsRepository,
    private readonly clock: Clock,
    private readonly options: { ttlSeconds: number; pepper: string },
  ) {}

  private hash(email: string, purpose: OtpPurpose, code: string): string {
    return createHmac('sha256', this.options.pepper).update(`${purpose}\n${email}\n${code}`).digest('hex');
  }

  /**
   * Starts a new code for the email, replacing any earlier one, and returns it; or returns null when
   * `withCode` is false (unknown or already verified email), which still counts against the limits so
   * the answers look the same. Throws 429 with Retry-After while the email is throttled, unless
   * `enforceLimits` is false (the send that comes with signup).
   */
  async issue(
    email: string,
    purpose: OtpPurpose,
    options: { withCode: boolean; enforceLimits?: boolean },
  ): Promise<string | null> {
    const now = this.clock.now();
    const code = options.withCode ? randomSixDigits() : null;
    const issued = {
      codeHash: code ? this.hash(email, purpose, code) : undefined,
      expiresAt: code ? new Date(now.getTime() + this.options.ttlSeconds * 1000) : undefined,
      at: now,
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.otps.find(email, purpose);
      if (!current) {
        if (await this.otps.createFirst(email, purpose, { ...issued, sentAt: [now] })) return code;
        continue;
      }
      const recent = current.sentAt.filter((sent) => now.getTime() - sent.getTime() < HOUR_MS);
      if (options.enforceLimits !== false) {
        const last = recent.at(-1);
        if (last && now.getTime() - last.getTime() < RESEND_GAP_MS) {
          throw new TooManyRequestsError(retryAfter(last.getTime() + RESEND_GAP_MS - now.getTime()));
        }
        if (recent.length >= MAX_SENDS_PER_HOUR) {
          throw new TooManyRequestsError(retryAfter(recent[0]!.getTime() + HOUR_MS - now.getTime()));
        }
      }
      const sentAt = [...recent, now].slice(-MAX_SENDS_PER_HOUR);
      if (await this.otps.replaceCode(current, { ...issued, sentAt })) return code;
      // Another send won the conditional write just now: that one is the newest code.
      if (options.enforceLimits !== false) throw new TooManyRequestsError(RESEND_GAP_MS / 1000);
    }
    throw new TooManyRequestsError(RESEND_GAP_MS / 1000);
  }

  /** Spends the code if it is the newest, unexpired, unused and not locked; else throws OtpError. */
  async consume(email: string, purpose: OtpPurpose, code: string): Promise<void> {
    const now = this.clock.now();
    const doc = await this.otps.find(email, purpose);
    if (!doc?.codeHash || !doc.expiresAt || doc.consumedAt || doc.expiresAt <= now) {
      throw otpExpired();
    }
    if (doc.attempts >= OTP_MAX_ATTEMPTS) throw locked();
    const given = Buffer.from(this.hash(email, purpose, code), 'hex');
    if (timingSafeEqual(given, Buffer.from(doc.codeHash, 'hex'))) {
      if (await this.otps.consume(doc, OTP_MAX_ATTEMPTS, now)) return;
      const after = await this.otps.find(email, purpose);
      if (after?.codeHash === doc.codeHash && after.attempts >= OTP_MAX_ATTEMPTS) throw locked();
      throw otpExpired();
    }
    const counted = await this.otps.countWrongGuess(doc, OTP_MAX_ATTEMPTS);
    if (!counted) throw locked();
    const attemptsLeft = OTP_MAX_ATTEMPTS - counted.attempts;
    throw new OtpError('OTP_INVALID', 'The code is not correct', { attemptsLeft });
  }
}

const retryAfter = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
/** The answer for a code that is no longer (or never was) the live one. */
export const otpExpired = () =>
  new OtpError('OTP_EXPIRED', 'This code has expired or was already used; request a new one');
const locked = () =>
  new OtpError('OTP_LOCKED', 'Too many wrong codes; request a new code', { attemptsLeft: 0 });
