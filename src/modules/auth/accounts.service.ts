import type { Store } from '../../db/index.ts';
import type { Clock } from '../../shared/clock.ts';
import {
  AppError,
  type FieldIssue,
  ForbiddenError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import type { Logger } from '../../shared/logger.ts';
import { passwordResetCodeEmail } from '../email-templates/password-reset-code.ts';
import { verificationCodeEmail } from '../email-templates/verification-code.ts';
import { emailDraft } from '../outbox/handlers/email.ts';
import type { OutboxService, OutboxWriter } from '../outbox/outbox.service.ts';
import type { RateLimitRule } from '../rate-limits/rate-limits.model.ts';
import type { RateLimiter } from '../rate-limits/rate-limits.service.ts';
import type { AvatarsService } from '../users/avatars.service.ts';
import { languagesField, timeZoneField, trimmedText } from '../users/profile-fields.ts';
import { type PublicUser, toPublicUser, type UserDoc } from '../users/users.model.ts';
import { normalizeEmail, type UsersRepository } from '../users/users.repository.ts';
import type { SignupBody } from './auth.model.ts';
import { type OtpService, otpExpired } from './otp.service.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { AuthUser, TokenPair, TokenService } from './tokens.service.ts';

export const RATE_LIMIT_RULES = {
  signupPerIp: { name: 'signup:ip', limit: 5, windowSeconds: 60 },
  loginPerIp: { name: 'login:ip', limit: 10, windowSeconds: 60 },
  loginPerEmail: { name: 'login:email', limit: 10, windowSeconds: 60 },
  verifyPerIp: { name: 'otp-verify:ip', limit: 10, windowSeconds: 60 },
  resendPerIp: { name: 'otp-resend:ip', limit: 10, windowSeconds: 60 },
  resendPerIpHourly: { name: 'otp-resend:ip:hour', limit: 50, windowSeconds: 3600 },
  forgotPerIp: { name: 'password-forgot:ip', limit: 10, windowSeconds: 60 },
  forgotPerIpHourly: { name: 'password-forgot:ip:hour', limit: 50, windowSeconds: 3600 },
  resetPerIp: { name: 'password-reset:ip', limit: 10, windowSeconds: 60 },
} satisfies Record<string, RateLimitRule>;

export type SessionGrant = TokenPair & { user: PublicUser };

const DOCTOR_REQUIRED = ['specialty', 'registrationNumber', 'consultationFeePaise', 'timezone'] as const;
// A patient may give `timezone` too (the zone emails show times in); the rest is a doctor's alone.
const DOCTOR_ONLY = ['specialty', 'registrationNumber', 'consultationFeePaise', 'bio', 'languages'] as const;

/**
 * Sign-up, email verification, sign-in, sessions and password reset. Emails carry the one-time codes;
 * codes and tokens never reach a log line.
 */
export class AccountsService {
  constructor(
    private readonly deps: {
      users: UsersRepository;
      tokens: TokenService;
      otps: OtpService;
      hasher: PasswordHasher;
      rateLimiter: RateLimiter;
      avatars: AvatarsService;
      outbox: OutboxService;
      clock: Clock;
      logger: Logger;
      otpTtlSeconds: number;
    },
  ) {}

  private get ttlMinutes(): number {
    return Math.round(this.deps.otpTtlSeconds / 60);
  }

  async signup(input: SignupBody, clientIp: string): Promise<PublicUser> {
    const { users, hasher, rateLimiter, avatars, clock, logger } = this.deps;
    await rateLimiter.consume([{ rule: RATE_LIMIT_RULES.signupPerIp, subject: clientIp }]);
    const issues: FieldIssue[] = [];
    const name = trimmedText(input.name, 'name', 1, issues);
    const doctor = this.doctorProfileOf(input, issues);
    const timezone =
      input.role !== 'doctor' && input.timezone !== undefined
        ? timeZoneField(input.timezone, issues)
        : undefined;
    if (issues.length) throw new ValidationError('The request is invalid', issues);
    const email = normalizeEmail(input.email);
    // The picture is judged (size, bytes) before anything is written, so a refused one leaves no trace.
    const avatar = input.avatar ? await avatars.accept(input.avatar) : undefined;
    if (await users.findByEmail(email)) {
      throw new AppError(409, 'EMAIL_TAKEN', 'An account with this email already exists');
    }
    const now = clock.now();
    const passwordHash = await hasher.hash(input.password);
    const id = newId();
    // The account, its first code and the email carrying it commit together, or none of them does.
    let user = await this.deps.outbox.transaction(async (tx, outbox) => {
      const created = await users.within(tx).create({
        _id: id,
        email,
        name,
        ...(input.phone ? { phone: input.phone } : {}),
        role: input.role,
        passwordHash,
        emailVerified: false,
        ...(timezone ? { timezone } : {}),
        ...(doctor ? { doctor } : {}),
        createdAt: now,
        updatedAt: now,
      });
      await this.issueVerificationCode(tx, outbox, created, false);
      return created;
    });
    if (avatar) {
      try {
        const stored = await avatars.storeAccepted(user._id, avatar);
        user = (await users.setAvatar(user._id, stored, clock.now())) ?? user;
      } catch (error) {
        // The account stands; the picture can be sent again with PUT /me/avatar.
        logger.error('avatar upload failed at signup', {
          userId: user._id,
          error: error instanceof Error ? error.name : 'unknown',
        });
      }
    }
    logger.info('account created', { userId: user._id, role: user.role });
    return toPublicUser(user);
  }

  /**
   * Answers alike for every address that did not get this code (see OtpService), so it tells nothing
   * about which addresses have accounts.
   */
  async verifyEmail(emailInput: string, code: string, clientIp: string): Promise<SessionGrant> {
    const { users, otps, tokens, rateLimiter, clock, logger } = this.deps;
    await rateLimiter.consume([{ rule: RATE_LIMIT_RULES.verifyPerIp, subject: clientIp }]);
    const email = normalizeEmail(emailInput);
    await otps.consume(email, 'verify_email', code);
    const user = await users.markEmailVerified((await this.requireUser(email))._id, clock.now());
    if (!user) throw otpExpired();
    logger.info('email verified', { userId: user._id });
    return { ...(await tokens.startSession(user._id, user.role)), user: toPublicUser(user) };
  }

  /**
   * Answers the same for unknown, unverified and verified emails, after the same work and with the
   * same throttle; only a pending account is emailed its new code.
   */
  async resendVerification(emailInput: string, clientIp: string): Promise<void> {
    const { users, rateLimiter } = this.deps;
    await rateLimiter.consume([
      { rule: RATE_LIMIT_RULES.resendPerIp, subject: clientIp },
      { rule: RATE_LIMIT_RULES.resendPerIpHourly, subject: clientIp },
    ]);
    const email = normalizeEmail(emailInput);
    const user = await users.findByEmail(email);
    const pending = user !== null && !user.emailVerified;
    // Every address takes the same transaction; only a pending account's also holds an email.
    await this.deps.outbox.transaction(async (tx, outbox) => {
      if (pending) await this.issueVerificationCode(tx, outbox, user, true);
      else await this.deps.otps.within(tx).issue(email, 'verify_email', { deliver: false, throttled: true });
    });
  }

  /**
   * Unknown email and wrong password get the same 401 after the same work (a dummy hash is verified);
   * a right password on an unverified email is 403 `EMAIL_NOT_VERIFIED`.
   */
  async login(emailInput: string, password: string, clientIp: string): Promise<SessionGrant> {
    const { users, hasher, rateLimiter, tokens, logger } = this.deps;
    const email = normalizeEmail(emailInput);
    await rateLimiter.consume([
      { rule: RATE_LIMIT_RULES.loginPerIp, subject: clientIp },
      { rule: RATE_LIMIT_RULES.loginPerEmail, subject: email },
    ]);
    const user = await users.findByEmail(email);
    const valid = await hasher.verify(password, user?.passwordHash);
    if (!user || !valid) {
      logger.info('sign-in refused', { reason: 'bad_credentials' });
      throw new UnauthorizedError('The email or password is incorrect', 'INVALID_CREDENTIALS');
    }
    if (!user.emailVerified) {
      throw new ForbiddenError('Verify your email before signing in', 'EMAIL_NOT_VERIFIED');
    }
    logger.info('signed in', { userId: user._id });
    return { ...(await tokens.startSession(user._id, user.role)), user: toPublicUser(user) };
  }

  async refresh(refreshToken: string): Promise<SessionGrant> {
    const { users, tokens } = this.deps;
    let holder: UserDoc | null = null;
    const pair = await tokens.rotate(refreshToken, async (userId) => {
      holder = await users.findById(userId);
      return holder?.role ?? null;
    });
    return { ...pair, user: toPublicUser(holder!) };
  }

  /**
   * Ends the refresh token's session; with a signed-in caller, the caller's session too, and then the
   * refresh token's only if it is the caller's. A token that is not (or no longer) ours changes nothing
   * and is no error: the client's goal, a token that works no more, holds (as RFC 7009 revocation).
   */
  async logout(user: AuthUser | null, refreshToken: string): Promise<void> {
    const { tokens, logger } = this.deps;
    if (user) await tokens.revokeSession(user.sessionId, 'logout');
    // Holding a refresh token is enough to end its session (it works without a bearer too), so its
    // session ends whoever the bearer is: a 204 never leaves the token it named working.
    const held = await tokens.sessionOfRefreshToken(refreshToken);
    if (held && held.sessionId !== user?.sessionId) await tokens.revokeSession(held.sessionId, 'logout');
    if (user) logger.info('signed out', { userId: user.id, sessionId: user.sessionId });
    if (held && held.sessionId !== user?.sessionId) {
      logger.info('signed out', { userId: held.userId, sessionId: held.sessionId });
    }
  }

  /**
   * Always accepted, alike for every address after the same work and with the same throttle; only an
   * existing account is emailed a reset code.
   */
  async forgotPassword(emailInput: string, clientIp: string): Promise<void> {
    const { users, otps, rateLimiter } = this.deps;
    await rateLimiter.consume([
      { rule: RATE_LIMIT_RULES.forgotPerIp, subject: clientIp },
      { rule: RATE_LIMIT_RULES.forgotPerIpHourly, subject: clientIp },
    ]);
    const email = normalizeEmail(emailInput);
    const user = await users.findByEmail(email);
    // The same transaction for every address; the deliverer is woken after it either way.
    await this.deps.outbox.transaction(async (tx, outbox) => {
      const issuing = otps.within(tx);
      const code = await issuing.issue(email, 'reset_password', { deliver: user !== null, throttled: true });
      if (code) {
        await outbox.enqueue(
          emailDraft(
            passwordResetCodeEmail({ to: email, code, ttlMinutes: this.ttlMinutes }),
            issuing.expiryOfCodeIssuedNow(),
          ),
        );
      }
    });
  }

  /**
   * Sets the new password, proves the email (the code came through it) and ends every session. A wrong
   * code answers alike for every address (see OtpService).
   */
  async resetPassword(
    emailInput: string,
    code: string,
    newPassword: string,
    clientIp: string,
  ): Promise<void> {
    const { users, otps, hasher, tokens, rateLimiter, clock, logger } = this.deps;
    await rateLimiter.consume([{ rule: RATE_LIMIT_RULES.resetPerIp, subject: clientIp }]);
    const email = normalizeEmail(emailInput);
    await otps.consume(email, 'reset_password', code);
    const user = await this.requireUser(email);
    await users.replacePasswordHash(user._id, await hasher.hash(newPassword), clock.now());
    if (!user.emailVerified) await users.markEmailVerified(user._id, clock.now());
    const revoked = await tokens.revokeAllSessions(user._id, 'password_reset');
    logger.info('password reset', { userId: user._id, sessionsRevoked: revoked });
  }

  /**
   * The first admin, from ADMIN_EMAIL/ADMIN_PASSWORD at boot or the CLI. Idempotent: an existing admin
   * is left as is; an existing non-admin account with that email is refused, never promoted.
   */
  async ensureAdmin(
    emailInput: string,
    password: string,
    name = 'Administrator',
  ): Promise<{ created: boolean; user: PublicUser }> {
    const { users, hasher, clock, logger } = this.deps;
    const email = normalizeEmail(emailInput);
    const existing = await users.findByEmail(email);
    if (existing) {
      if (existing.role !== 'admin') {
        throw new AppError(
          409,
          'EMAIL_TAKEN',
          'ADMIN_EMAIL belongs to a non-admin account; choose another email',
        );
      }
      return { created: false, user: toPublicUser(existing) };
    }
    const now = clock.now();
    try {
      const admin = await users.create({
        email,
        name,
        role: 'admin',
        passwordHash: await hasher.hash(password),
        emailVerified: true,
        createdAt: now,
        updatedAt: now,
      });
      logger.info('admin created', { userId: admin._id });
      return { created: true, user: toPublicUser(admin) };
    } catch (error) {
      // Two instances booting at once: the other one created it.
      const raced = await users.findByEmail(email);
      if (raced?.role === 'admin') return { created: false, user: toPublicUser(raced) };
      throw error;
    }
  }

  /**
   * A new verification code and the email carrying it, in the caller's transaction. The one that comes
   * with signup is neither limited nor counted; resend's is (see OtpService.issue).
   */
  private async issueVerificationCode(
    tx: Store,
    outbox: OutboxWriter,
    user: UserDoc,
    throttled: boolean,
  ): Promise<void> {
    const otps = this.deps.otps.within(tx);
    const code = await otps.issue(user.email, 'verify_email', { deliver: true, throttled });
    if (!code) return;
    await outbox.enqueue(
      emailDraft(
        verificationCodeEmail({ to: user.email, name: user.name, code, ttlMinutes: this.ttlMinutes }),
        otps.expiryOfCodeIssuedNow(),
      ),
    );
  }

  private async requireUser(email: string): Promise<UserDoc> {
    const user = await this.deps.users.findByEmail(email);
    if (!user) throw otpExpired();
    return user;
  }

  /** The practice details of a doctor's signup; problems (and doctor fields from others) go to `issues`. */
  private doctorProfileOf(input: SignupBody, issues: FieldIssue[]): UserDoc['doctor'] {
    if (input.role !== 'doctor') {
      for (const field of DOCTOR_ONLY) {
        if (input[field] !== undefined) issues.push({ path: field, message: 'only doctors give this field' });
      }
      return undefined;
    }
    for (const field of DOCTOR_REQUIRED) {
      if (input[field] === undefined) issues.push({ path: field, message: 'required for doctors' });
    }
    const { specialty, registrationNumber, consultationFeePaise, timezone, bio } = input;
    if (
      specialty === undefined ||
      registrationNumber === undefined ||
      consultationFeePaise === undefined ||
      timezone === undefined
    ) {
      return undefined;
    }
    const languages = input.languages !== undefined ? languagesField(input.languages, issues) : undefined;
    return {
      specialty: trimmedText(specialty, 'specialty', 2, issues),
      registrationNumber: trimmedText(registrationNumber, 'registrationNumber', 3, issues),
      consultationFeePaise,
      timezone: timeZoneField(timezone, issues),
      ...(bio !== undefined ? { bio } : {}),
      ...(languages !== undefined ? { languages } : {}),
      approvalStatus: 'pending',
    };
  }
}
