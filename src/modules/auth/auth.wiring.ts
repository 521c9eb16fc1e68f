import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import type { Purge } from '../../jobs/housekeeping.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { RateLimiter } from '../rate-limits/rate-limits.service.ts';
import type { AvatarsService } from '../users/avatars.service.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import { AccountsService } from './accounts.service.ts';
import { OtpService } from './otp.service.ts';
import { OtpsRepository } from './otps.repository.ts';
import { PasswordHasher } from './password-hasher.ts';
import { RefreshTokensRepository } from './refresh-tokens.repository.ts';
import { SessionsRepository } from './sessions.repository.ts';
import { TokenService } from './tokens.service.ts';

/** Tokens, sessions, email codes and accounts; the first admin from ADMIN_EMAIL/ADMIN_PASSWORD. */
export async function wireAuth(
  config: Config,
  deps: {
    store: Store;
    usersRepo: UsersRepository;
    avatarService: AvatarsService;
    rateLimiter: RateLimiter;
    outbox: OutboxService;
    clock: Clock;
    logger: Logger;
  },
) {
  const { store, clock } = deps;
  const sessionsRepo = new SessionsRepository(store);
  const refreshTokensRepo = new RefreshTokensRepository(store);
  const otpsRepo = new OtpsRepository(store);
  const tokens = new TokenService(sessionsRepo, refreshTokensRepo, clock, {
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
  });
  const accounts = new AccountsService({
    users: deps.usersRepo,
    tokens,
    otps: new OtpService(otpsRepo, clock, {
      ttlSeconds: config.OTP_TTL_SECONDS,
      pepper: `otp:${config.JWT_SECRET}`,
      limitsEnabled: config.RATE_LIMITS_ENABLED,
    }),
    hasher: new PasswordHasher({
      memoryKib: config.PASSWORD_HASH_MEMORY_KIB,
      timeCost: config.PASSWORD_HASH_TIME_COST,
    }),
    rateLimiter: deps.rateLimiter,
    avatars: deps.avatarService,
    outbox: deps.outbox,
    clock,
    logger: deps.logger,
    otpTtlSeconds: config.OTP_TTL_SECONDS,
  });
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    await accounts.ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
  }
  // An OTP record also holds the hour of sends the resend limit counts.
  const otpKeepMs = Math.max(3_600_000, config.OTP_TTL_SECONDS * 1000);
  const purges: Purge[] = [
    { name: 'sessions', run: (now) => sessionsRepo.purgeExpired(now) },
    { name: 'refreshTokens', run: (now) => refreshTokensRepo.purgeExpired(now) },
    { name: 'refreshSuccessors', run: (now) => refreshTokensRepo.purgeSuccessors(now) },
    { name: 'otps', run: (now) => otpsRepo.purgeStale(now, otpKeepMs) },
  ];
  return { tokens, accounts, purges };
}
