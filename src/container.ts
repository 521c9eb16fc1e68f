import { join } from 'node:path';
import { type Config, devPaymentSecretFile, devSecretFile } from './config.ts';
import { openStore, type Store } from './db/index.ts';
import type { CollectionDef } from './db/types.ts';
import type { Purge } from './jobs/housekeeping.ts';
import { wireAdmin } from './modules/admin/admin.wiring.ts';
import type { DoctorReviewService } from './modules/admin/doctor-review.service.ts';
import type { AppointmentMail } from './modules/appointments/appointment-mail.ts';
import { Appointments } from './modules/appointments/appointments.model.ts';
import type { AppointmentsRepository } from './modules/appointments/appointments.repository.ts';
import type { AppointmentsService } from './modules/appointments/appointments.service.ts';
import { wireAppointments, wireReschedules } from './modules/appointments/appointments.wiring.ts';
import type { PartySummaries } from './modules/appointments/party-summaries.ts';
import type { ReschedulesService } from './modules/appointments/reschedules.service.ts';
import type { AccountsService } from './modules/auth/accounts.service.ts';
import { Otps, RefreshSuccessors, RefreshTokens, Sessions } from './modules/auth/auth.model.ts';
import { wireAuth } from './modules/auth/auth.wiring.ts';
import type { TokenService } from './modules/auth/tokens.service.ts';
import { CallTickets, Consultations } from './modules/consultations/consultations.model.ts';
import type { ConsultationsService } from './modules/consultations/consultations.service.ts';
import { wireConsultations } from './modules/consultations/consultations.wiring.ts';
import type { SignalingHub } from './modules/consultations/signaling-hub.ts';
import type { DoctorsService } from './modules/doctors/doctors.service.ts';
import { wireDoctors } from './modules/doctors/doctors.wiring.ts';
import { IdempotencyKeys } from './modules/idempotency/idempotency.model.ts';
import type { IdempotencyService } from './modules/idempotency/idempotency.service.ts';
import { wireIdempotency } from './modules/idempotency/idempotency.wiring.ts';
import type { OutboxDeliverer } from './modules/outbox/outbox.deliverer.ts';
import { Outbox } from './modules/outbox/outbox.model.ts';
import type { OutboxService } from './modules/outbox/outbox.service.ts';
import { wireOutbox } from './modules/outbox/outbox.wiring.ts';
import type { CancellationsService } from './modules/payments/cancellations.service.ts';
import type { PaymentsAudit } from './modules/payments/payments.audit.ts';
import { Payments, WebhookEvents } from './modules/payments/payments.model.ts';
import type { PaymentsRepository } from './modules/payments/payments.repository.ts';
import type { PaymentsService } from './modules/payments/payments.service.ts';
import { wirePayments } from './modules/payments/payments.wiring.ts';
import { Refunds } from './modules/payments/refunds.model.ts';
import type { RefundsRepository } from './modules/payments/refunds.repository.ts';
import type { RefundsService } from './modules/payments/refunds.service.ts';
import { RateLimits } from './modules/rate-limits/rate-limits.model.ts';
import type { RateLimiter } from './modules/rate-limits/rate-limits.service.ts';
import { wireRateLimits } from './modules/rate-limits/rate-limits.wiring.ts';
import { Reminders } from './modules/reminders/reminders.model.ts';
import type { RemindersService } from './modules/reminders/reminders.service.ts';
import { wireReminders } from './modules/reminders/reminders.wiring.ts';
import { ReportChats, ReportShares, Reports } from './modules/reports/reports.model.ts';
import type { ReportsRepository } from './modules/reports/reports.repository.ts';
import type { ReportsService } from './modules/reports/reports.service.ts';
import { reportProviders, wireReports } from './modules/reports/reports.wiring.ts';
import { Slots } from './modules/slots/slots.model.ts';
import type { SlotsRepository } from './modules/slots/slots.repository.ts';
import type { SlotsService } from './modules/slots/slots.service.ts';
import { wireSlots } from './modules/slots/slots.wiring.ts';
import { Users } from './modules/users/users.model.ts';
import type { UsersRepository } from './modules/users/users.repository.ts';
import type { ProfileService } from './modules/users/users.service.ts';
import { wireUsers } from './modules/users/users.wiring.ts';
import { WalletEntries, Wallets } from './modules/wallet/wallet.model.ts';
import type { WalletRepository } from './modules/wallet/wallet.repository.ts';
import type { WalletService } from './modules/wallet/wallet.service.ts';
import { DEV_AVATAR_DIRECTORY } from './providers/avatars/dev.ts';
import type { AvatarProvider } from './providers/avatars/port.ts';
import { DevMailbox } from './providers/email/dev.ts';
import type { EmailProvider } from './providers/email/port.ts';
import type { MlProvider } from './providers/ml/port.ts';
import type { PaymentGateway } from './providers/payments/port.ts';
import { wireProviders } from './providers/providers.wiring.ts';
import { LOCAL_REPORTS_DIRECTORY } from './providers/storage/local.ts';
import type { ReportStorage } from './providers/storage/port.ts';
import { type Clock, systemClock } from './shared/clock.ts';
import { Lifecycle } from './shared/lifecycle.ts';
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
  Reports,
  ReportShares,
  ReportChats,
  CallTickets,
  Consultations,
  Payments,
  WebhookEvents,
  Wallets,
  WalletEntries,
  Refunds,
  Reminders,
];

/**
 * Everything the composition root built, for `main.ts`, scripts and tests (which read the repositories and
 * the store to check stored state). The app takes the services from it; no controller sees it.
 */
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
  reportStorage: ReportStorage;
  ml: MlProvider;
  reportsRepo: ReportsRepository;
  reports: ReportsService;
  consultations: ConsultationsService;
  /** The signaling rooms; `main.ts` opens it (the WebSocket server) after the HTTP server. */
  signalingHub: SignalingHub;
  paymentGateway: PaymentGateway;
  paymentsRepo: PaymentsRepository;
  walletRepo: WalletRepository;
  payments: PaymentsService;
  wallet: WalletService;
  paymentsAudit: PaymentsAudit;
  appointmentMail: AppointmentMail;
  reminders: RemindersService;
  reschedules: ReschedulesService;
  refundsRepo: RefundsRepository;
  refunds: RefundsService;
  cancellations: CancellationsService;
  /** Expired records the housekeeping job deletes. */
  purges: Purge[];
  /** What the container opened (the store, the outbox deliverer); `main.ts` adds the server and jobs. */
  resources: Lifecycle;
  /** Closes every resource, last opened first. */
  close(): Promise<void>;
}

export interface ContainerOverrides {
  logger?: Logger;
  clock?: Clock;
  store?: Store;
  /** Tests swap in SDK adapters pointed at loopback fakes. */
  email?: EmailProvider;
  avatars?: AvatarProvider;
  reportStorage?: ReportStorage;
  ml?: MlProvider;
  paymentGateway?: PaymentGateway;
}

/** What the server keeps on disk besides the store (whose files are checked as it opens), and dev mail. */
function warnAboutExposure(config: Config, logger: Logger): void {
  for (const file of exposedFiles([
    config.DATA_DIR,
    devSecretFile(config.DATA_DIR),
    devPaymentSecretFile(config.DATA_DIR),
    join(config.DATA_DIR, DEV_AVATAR_DIRECTORY),
    join(config.DATA_DIR, LOCAL_REPORTS_DIRECTORY),
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
}

/**
 * The composition root: the store, then each module's wiring in the order they depend on each other.
 * Nothing else wires. If a step fails, what was already opened is closed again.
 */
export async function buildContainer(config: Config, overrides: ContainerOverrides = {}): Promise<Container> {
  const logger = overrides.logger ?? createLogger(config.LOG_LEVEL);
  const clock = overrides.clock ?? systemClock;
  const resources = new Lifecycle(logger);
  try {
    const store = await resources.open(
      'store',
      () =>
        overrides.store ??
        openStore(config.DATABASE_URL, collections, {
          onNotice: (message) => logger.warn(message),
          serverSelectionTimeoutMS: config.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
        }),
      (opened) => opened.close(),
    );
    warnAboutExposure(config, logger);
    const base = { store, clock, logger };
    const providers = wireProviders(config, store, clock, overrides);
    const users = await wireUsers(config, { ...base, avatars: providers.avatars });
    const outbox = wireOutbox(config, { ...base, ...providers, resources });
    const rateLimits = wireRateLimits(config, base);
    const auth = await wireAuth(config, {
      ...base,
      ...users,
      rateLimiter: rateLimits.rateLimiter,
      outbox: outbox.outbox,
    });
    const admin = wireAdmin(config, { ...base, ...users, outbox: outbox.outbox });
    const doctors = wireDoctors(users);
    const slots = wireSlots(config, { ...base, ...users });
    const appointments = wireAppointments(config, { ...base, ...users, ...slots });
    const idempotency = wireIdempotency(base);
    const reportKit = reportProviders(config, overrides);
    const reports = wireReports(config, {
      ...base,
      ...appointments,
      ...outbox,
      ...reportKit,
      rateLimiter: rateLimits.rateLimiter,
    });
    const consultations = wireConsultations(config, { ...base, ...appointments, tokens: auth.tokens });
    const reminders = wireReminders(config, { ...base, ...appointments, outbox: outbox.outbox });
    const reschedules = wireReschedules(config, {
      ...base,
      ...slots,
      ...appointments,
      ...reminders,
      outbox: outbox.outbox,
    });
    const payments = wirePayments(config, {
      ...base,
      ...providers,
      ...users,
      ...slots,
      ...appointments,
      ...outbox,
      ...reminders,
    });

    return {
      config,
      ...base,
      ...providers,
      usersRepo: users.usersRepo,
      profiles: users.profiles,
      tokens: auth.tokens,
      accounts: auth.accounts,
      rateLimiter: rateLimits.rateLimiter,
      doctorReview: admin.doctorReview,
      ...doctors,
      ...slots,
      ...appointments,
      idempotency: idempotency.idempotency,
      outbox: outbox.outbox,
      outboxDeliverer: outbox.outboxDeliverer,
      ...reportKit,
      ...reports,
      consultations: consultations.consultations,
      signalingHub: consultations.signalingHub,
      purges: [
        ...auth.purges,
        ...rateLimits.purges,
        ...idempotency.purges,
        ...outbox.purges,
        ...consultations.purges,
      ],
      ...payments,
      ...reminders,
      ...reschedules,
      resources,
      close: () => resources.closeAll(),
    };
  } catch (error) {
    await resources.closeAll();
    throw error;
  }
}
