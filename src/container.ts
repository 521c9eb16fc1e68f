import { join } from 'node:path';
import { type Config, devSecretFile } from './config.ts';
import { openStore, type Store } from './db/index.ts';
import type { CollectionDef } from './db/types.ts';
import type { Purge } from './jobs/housekeeping.ts';
import { DoctorReviewService } from './modules/admin/doctor-review.service.ts';
import { Appointments } from './modules/appointments/appointments.model.ts';
import { AppointmentsRepository } from './modules/appointments/appointments.repository.ts';
import { AppointmentsService } from './modules/appointments/appointments.service.ts';
import { PartySummaries } from './modules/appointments/party-summaries.ts';
import { AccountsService } from './modules/auth/accounts.service.ts';
import { Otps, RefreshSuccessors, RefreshTokens, Sessions } from './modules/auth/auth.model.ts';
import { OtpService } from './modules/auth/otp.service.ts';
import { OtpsRepository } from './modules/auth/otps.repository.ts';
import { PasswordHasher } from './modules/auth/password-hasher.ts';
import { RefreshTokensRepository } from './modules/auth/refresh-tokens.repository.ts';
import { SessionsRepository } from './modules/auth/sessions.repository.ts';
import { TokenService } from './modules/auth/tokens.service.ts';
import { DoctorsService } from './modules/doctors/doctors.service.ts';
import { Slots } from './modules/doctors/slots.model.ts';
import { SlotsRepository } from './modules/doctors/slots.repository.ts';
import { SlotsService } from './modules/doctors/slots.service.ts';
import { IdempotencyKeys } from './modules/idempotency/idempotency.model.ts';
import { IdempotencyRepository } from './modules/idempotency/idempotency.repository.ts';
import { IdempotencyService } from './modules/idempotency/idempotency.service.ts';
import { EmailHandler } from './modules/outbox/handlers/email.ts';
import { OutboxDeliverer } from './modules/outbox/outbox.deliverer.ts';
import { Outbox } from './modules/outbox/outbox.model.ts';
import { OutboxRepository } from './modules/outbox/outbox.repository.ts';
import { OutboxService } from './modules/outbox/outbox.service.ts';
import { RateLimits } from './modules/rate-limits/rate-limits.model.ts';
import { RateLimitsRepository } from './modules/rate-limits/rate-limits.repository.ts';
import { RateLimiter } from './modules/rate-limits/rate-limits.service.ts';
import { AvatarsService } from './modules/users/avatars.service.ts';
import { Users } from './modules/users/users.model.ts';
import { UsersRepository } from './modules/users/users.repository.ts';
import { ProfileService } from './modules/users/users.service.ts';
import { DEV_AVATAR_DIRECTORY, DevAvatarProvider } from './providers/avatars/dev.ts';
import { ImageKitAvatarProvider } from './providers/avatars/imagekit.ts';
import type { AvatarProvider } from './providers/avatars/port.ts';
import { DevEmailProvider, DevMailbox } from './providers/email/dev.ts';
import type { EmailProvider } from './providers/email/port.ts';
import { ResendEmailProvider } from './providers/email/resend.ts';
import { type Clock, systemClock } from './shared/clock.ts';
import { createLogger, type Logger } from './shared/logger.ts';
import { exposedFiles } from './shared/private-files.ts';

/** Every collection the platform declares; the store creates them and their indexes at boot. */
export const collections: CollectionDef[] = [
  Users,
  Sessions,
  RefreshTokens,
  RefreshSuccessors,
  Otps,
  RateLimits,
  DevMailbox,
  Slots,
  Appointments,
  IdempotencyKeys,
  Outbox,
];

export interface Container {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: Store;
  usersRepo: UsersRepository;
  tokens: TokenService;
  rateLimiter: RateLimiter;
  accounts: AccountsService;
  profiles: ProfileService;
  doctorReview: DoctorReviewService;
  email: EmailProvider;
  avatars: AvatarProvider;
  slotsRepo: SlotsRepository;
  appointmentsRepo: AppointmentsRepository;
  doctors: DoctorsService;
  slots: SlotsService;
  appointments: AppointmentsService;
  partySummaries: PartySummaries;
  idempotency: IdempotencyService;
  outbox: OutboxService;
  outboxDeliverer: OutboxDeliverer;
  /** Expired records the housekeeping job deletes. */
  purges: Purge[];
  close(): Promise<void>;
}

export interface ContainerOverrides {
  logger?: Logger;
  clock?: Clock;
  store?: Store;
  /** Tests swap in SDK adapters pointed at loopback fakes. */
  email?: EmailProvider;
  avatars?: AvatarProvider;
}

/** The composition root: store -> repositories -> services -> providers. Nothing else wires. */
export async function buildContainer(config: Config, overrides: ContainerOverrides = {}): Promise<Container> {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const clock = overrides.clock ?? systemClock;
  const store =
    overrides.store ??
    (await openStore(config.DATABASE_URL, collections, {
      onNotice: (message) => logger.warn(message),
      serverSelectionTimeoutMS: config.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
    }));

  // The store's own files are checked as it opens; these are the rest of what the server keeps on disk.
  for (const file of exposedFiles([
    config.DATA_DIR,
    devSecretFile(config.DATA_DIR),
    join(config.DATA_DIR, DEV_AVATAR_DIRECTORY),
  ])) {
    logger.warn(file.message, { path: file.path, mode: file.mode });
  }
  if (config.EMAIL_PROVIDER === 'dev') {
    logger.warn(
      'dev email provider: every message, sign-in codes included, is readable at /api/v1/dev/mailbox',
      {
        host: config.HOST,
      },
    );
  }
  const usersRepo = new UsersRepository(store);
  const backfilled = await usersRepo.backfillSpecialtyKeys();
  if (backfilled) logger.info('specialty keys written for doctors stored before them', { backfilled });
  const email: EmailProvider =
    overrides.email ??
    (config.EMAIL_PROVIDER === 'resend'
      ? new ResendEmailProvider({
          apiKey: config.RESEND_API_KEY!,
          from: config.EMAIL_FROM,
          ...(config.RESEND_BASE_URL ? { baseUrl: config.RESEND_BASE_URL } : {}),
        })
      : new DevEmailProvider(store, clock));
  const avatars: AvatarProvider =
    overrides.avatars ??
    (config.AVATAR_PROVIDER === 'imagekit'
      ? new ImageKitAvatarProvider({
          privateKey: config.IMAGEKIT_PRIVATE_KEY!,
          ...(config.IMAGEKIT_UPLOAD_URL ? { baseUrl: config.IMAGEKIT_UPLOAD_URL } : {}),
        })
      : new DevAvatarProvider(config.DATA_DIR));
  // The outbox: every email goes through it, written with its state change, delivered by the deliverer.
  const outboxRepo = new OutboxRepository(store);
  const outboxDeliverer = new OutboxDeliverer(outboxRepo, [new EmailHandler(email)], clock, logger, {
    leaseSeconds: config.OUTBOX_LEASE_SECONDS,
    retryBaseSeconds: config.OUTBOX_RETRY_BASE_SECONDS,
    retryMaxSeconds: config.OUTBOX_RETRY_MAX_SECONDS,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
  });
  const outbox = new OutboxService(
    store,
    outboxRepo,
    outboxDeliverer,
    clock,
    logger,
    config.OUTBOX_KEEP_DAYS,
  );
  const sessionsRepo = new SessionsRepository(store);
  const refreshTokensRepo = new RefreshTokensRepository(store);
  const otpsRepo = new OtpsRepository(store);
  const rateLimitsRepo = new RateLimitsRepository(store);
  const tokens = new TokenService(sessionsRepo, refreshTokensRepo, clock, {
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    reuseGraceSeconds: config.REFRESH_REUSE_GRACE_SECONDS,
  });
  const rateLimiter = new RateLimiter(rateLimitsRepo, clock, config.RATE_LIMITS_ENABLED);
  const avatarService = new AvatarsService(avatars, logger, config.AVATAR_MAX_BYTES);
  const accounts = new AccountsService({
    users: usersRepo,
    tokens,
    otps: new OtpService(otpsRepo, clock, {
      ttlSeconds: config.OTP_TTL_SECONDS,
      pepper: `otp:${config.JWT_SECRET}`,
    }),
    hasher: new PasswordHasher({
      memoryKib: config.PASSWORD_HASH_MEMORY_KIB,
      timeCost: config.PASSWORD_HASH_TIME_COST,
    }),
    rateLimiter,
    avatars: avatarService,
    outbox,
    clock,
    logger,
    otpTtlSeconds: config.OTP_TTL_SECONDS,
  });
  const profiles = new ProfileService(usersRepo, avatarService, clock);
  const doctorReview = new DoctorReviewService(usersRepo, outbox, clock, logger, config.DEFAULT_TIMEZONE);
  const slotsRepo = new SlotsRepository(store);
  const appointmentsRepo = new AppointmentsRepository(store);
  const doctors = new DoctorsService(usersRepo);
  const slots = new SlotsService(slotsRepo, usersRepo, clock, {
    horizonDays: config.SLOT_HORIZON_DAYS,
    maxPerRequest: config.MAX_SLOTS_PER_REQUEST,
  });
  const appointments = new AppointmentsService(store, appointmentsRepo, slotsRepo, usersRepo, clock, logger, {
    holdSeconds: config.BOOKING_HOLD_SECONDS,
    maxHoldsPerPatient: config.MAX_HOLDS_PER_PATIENT,
  });
  const partySummaries = new PartySummaries(usersRepo);
  const idempotencyRepo = new IdempotencyRepository(store);
  const idempotency = new IdempotencyService(idempotencyRepo, clock);
  // An OTP record also holds the hour of sends the resend limit counts.
  const otpKeepMs = Math.max(3_600_000, config.OTP_TTL_SECONDS * 1000);
  const purges: Purge[] = [
    { name: 'sessions', run: (now) => sessionsRepo.purgeExpired(now) },
    { name: 'refreshTokens', run: (now) => refreshTokensRepo.purgeExpired(now) },
    { name: 'refreshSuccessors', run: (now) => refreshTokensRepo.purgeSuccessors(now) },
    { name: 'otps', run: (now) => otpsRepo.purgeStale(now, otpKeepMs) },
    { name: 'rateLimits', run: (now) => rateLimitsRepo.purgeExpired(now) },
    { name: 'idempotencyKeys', run: (now) => idempotencyRepo.purgeExpired(now) },
    { name: 'outboxSecrets', run: (now) => outbox.eraseLapsedSecrets(now) },
    { name: 'outboxSent', run: (now) => outbox.purgeSent(now) },
  ];
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    await accounts.ensureAdmin(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
  }

  return {
    config,
    logger,
    clock,
    store,
    usersRepo,
    tokens,
    rateLimiter,
    accounts,
    profiles,
    doctorReview,
    email,
    avatars,
    slotsRepo,
    appointmentsRepo,
    doctors,
    slots,
    appointments,
    partySummaries,
    idempotency,
    outbox,
    outboxDeliverer,
    purges,
    async close() {
      // A delivery under way may still write to the store (its record, the dev mailbox).
      await outboxDeliverer.stop();
      await store.close();
    },
  };
}
