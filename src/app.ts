import { cors } from '@elysiajs/cors';
import { Elysia, t } from 'elysia';
import type { Config } from './config.ts';
import { openApiDocs } from './docs/openapi.ts';
import { adminController } from './modules/admin/admin.controller.ts';
import type { DoctorReviewService } from './modules/admin/doctor-review.service.ts';
import { appointmentsController } from './modules/appointments/appointments.controller.ts';
import type { AppointmentsService } from './modules/appointments/appointments.service.ts';
import type { PartySummaries } from './modules/appointments/party-summaries.ts';
import type { ReschedulesService } from './modules/appointments/reschedules.service.ts';
import type { AccountsService } from './modules/auth/accounts.service.ts';
import { authController } from './modules/auth/auth.controller.ts';
import { authPlugin } from './modules/auth/auth.plugin.ts';
import type { TokenService } from './modules/auth/tokens.service.ts';
import { callPage } from './modules/consultations/call-page.ts';
import {
  consultationsController,
  signalingController,
} from './modules/consultations/consultations.controller.ts';
import type { ConsultationsService } from './modules/consultations/consultations.service.ts';
import { MAX_FRAME_BYTES, type SignalingHub } from './modules/consultations/signaling-hub.ts';
import { devMailboxController, devMediaController } from './modules/dev/dev.controller.ts';
import { doctorsController, specialtiesController } from './modules/doctors/doctors.controller.ts';
import type { DoctorsService } from './modules/doctors/doctors.service.ts';
import { idempotencyPlugin } from './modules/idempotency/idempotency.plugin.ts';
import type { IdempotencyService } from './modules/idempotency/idempotency.service.ts';
import { outboxController } from './modules/outbox/outbox.controller.ts';
import type { OutboxService } from './modules/outbox/outbox.service.ts';
import type { CancellationsService } from './modules/payments/cancellations.service.ts';
import type { PaymentsAudit } from './modules/payments/payments.audit.ts';
import {
  adminPaymentsController,
  devPaymentsController,
  paymentsController,
} from './modules/payments/payments.controller.ts';
import type { PaymentsService } from './modules/payments/payments.service.ts';
import { refundsController } from './modules/payments/refunds.controller.ts';
import type { RefundsService } from './modules/payments/refunds.service.ts';
import { reportsController } from './modules/reports/reports.controller.ts';
import type { ReportsService } from './modules/reports/reports.service.ts';
import { slotsController } from './modules/slots/slots.controller.ts';
import type { SlotsService } from './modules/slots/slots.service.ts';
import { usersController } from './modules/users/users.controller.ts';
import type { ProfileService } from './modules/users/users.service.ts';
import { walletController } from './modules/wallet/wallet.controller.ts';
import type { WalletService } from './modules/wallet/wallet.service.ts';
import type { AvatarProvider } from './providers/avatars/port.ts';
import type { EmailProvider } from './providers/email/port.ts';
import type { PaymentGateway } from './providers/payments/port.ts';
import type { Clock } from './shared/clock.ts';
import { httpBasics } from './shared/http.ts';
import type { Logger } from './shared/logger.ts';
import { publicUrls } from './shared/public-urls.ts';
import { errors } from './shared/route-docs.ts';

/** The settings the HTTP layer reads. */
type HttpConfig = Pick<
  Config,
  | 'BODY_LIMIT_BYTES'
  | 'AVATAR_MAX_BYTES'
  | 'REPORT_MAX_BYTES'
  | 'PUBLIC_URL'
  | 'TRUST_PROXY'
  | 'CORS_ORIGINS'
  | 'READY_TIMEOUT_MS'
>;

/** What the app is made of: services for the controllers, and the store only for the readiness probe. */
export interface AppServices {
  config: HttpConfig;
  logger: Logger;
  clock: Clock;
  /** The store, as the readiness probe sees it. */
  store: { ping(timeoutMs: number): Promise<void> };
  email: EmailProvider;
  avatars: AvatarProvider;
  tokens: TokenService;
  accounts: AccountsService;
  profiles: ProfileService;
  doctorReview: DoctorReviewService;
  outbox: OutboxService;
  doctors: DoctorsService;
  slots: SlotsService;
  appointments: AppointmentsService;
  partySummaries: PartySummaries;
  idempotency: IdempotencyService;
  reports: ReportsService;
  consultations: ConsultationsService;
  signalingHub: SignalingHub;
  paymentGateway: PaymentGateway;
  payments: PaymentsService;
  wallet: WalletService;
  paymentsAudit: PaymentsAudit;
  cancellations: CancellationsService;
  reschedules: ReschedulesService;
  refunds: RefundsService;
}

/** Upload routes (an avatar, a report file) accept a body of their file limit plus room for the other fields. */
export const uploadBodyLimits = (
  config: Pick<Config, 'BODY_LIMIT_BYTES' | 'AVATAR_MAX_BYTES' | 'REPORT_MAX_BYTES'>,
): Record<string, number> => {
  const limit = Math.max(config.BODY_LIMIT_BYTES, config.AVATAR_MAX_BYTES + 64 * 1024);
  const report = Math.max(config.BODY_LIMIT_BYTES, config.REPORT_MAX_BYTES + 64 * 1024);
  return { '/api/v1/auth/signup': limit, '/api/v1/me/avatar': limit, '/api/v1/reports': report };
};

/** Builds the whole HTTP app without listening; tests call `app.handle(request)`. */
export function createApp(services: AppServices) {
  const { config, logger, store } = services;
  const auth = authPlugin(services.tokens);
  const idempotent = idempotencyPlugin(services.idempotency);

  // Bun closes a socket whose frame is over the limit with 1009 (the signaling sockets are Bun's own).
  return new Elysia({ name: 'healthvision', websocket: { maxPayloadLength: MAX_FRAME_BYTES } })
    .use(
      httpBasics({
        logger,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        bodyLimitsByPath: uploadBodyLimits(config),
      }),
    )
    .use(publicUrls({ publicUrl: config.PUBLIC_URL, trustProxy: config.TRUST_PROXY }))
    .use(
      cors({
        origin: [...config.CORS_ORIGINS],
        credentials: true,
        allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
        exposeHeaders: ['x-request-id', 'retry-after', 'idempotent-replayed'],
        maxAge: 600,
      }),
    )
    .use(openApiDocs())
    .get('/health', () => ({ status: 'ok' as const }), {
      response: { 200: t.Object({ status: t.Literal('ok') }, { description: 'The process is up' }) },
      detail: {
        tags: ['System'],
        summary: 'Liveness: the process is up',
        description: 'Answers without touching the store; for liveness probes.',
      },
    })
    .get(
      '/ready',
      async ({ status }) => {
        try {
          await store.ping(config.READY_TIMEOUT_MS);
          return { status: 'ready' as const };
        } catch (error) {
          logger.warn('readiness check failed', {
            error: error instanceof Error ? error.message : String(error),
          });
          return status(503, { error: { code: 'NOT_READY', message: 'The store is not reachable' } });
        }
      },
      {
        response: {
          200: t.Object({ status: t.Literal('ready') }, { description: 'The store answers' }),
          ...errors('NOT_READY'),
        },
        detail: {
          tags: ['System'],
          summary: 'Readiness: the store is reachable',
          description: 'Pings the store; for readiness probes and load balancers.',
        },
      },
    )
    .use(devMediaController({ avatars: services.avatars }))
    .use(callPage())
    .use(
      signalingController({
        consultations: services.consultations,
        hub: services.signalingHub,
        corsOrigins: config.CORS_ORIGINS,
        trustProxy: config.TRUST_PROXY,
      }),
    )
    .group('/api/v1', (api) =>
      api
        // `?q=&limit=` from a URL template means "not given", not "invalid".
        .onTransform(({ query }) => {
          for (const key in query) if (query[key] === '') delete query[key];
        })
        .use(authController({ accounts: services.accounts, trustProxy: config.TRUST_PROXY, auth }))
        .use(usersController({ profiles: services.profiles, auth }))
        .use(adminController({ doctorReview: services.doctorReview, auth }))
        .use(outboxController({ outbox: services.outbox, auth }))
        .use(devMailboxController({ email: services.email }))
        .use(doctorsController({ doctors: services.doctors }))
        .use(slotsController({ slots: services.slots, clock: services.clock, auth }))
        .use(specialtiesController({ doctors: services.doctors }))
        .use(
          appointmentsController({
            appointments: services.appointments,
            partySummaries: services.partySummaries,
            cancellations: services.cancellations,
            reschedules: services.reschedules,
            auth,
            idempotent,
          }),
        )
        .use(reportsController({ reports: services.reports, auth }))
        .use(
          consultationsController({
            consultations: services.consultations,
            auth,
            publicUrl: config.PUBLIC_URL,
            trustProxy: config.TRUST_PROXY,
          }),
        )
        .use(paymentsController({ payments: services.payments, auth, idempotent }))
        .use(walletController({ wallet: services.wallet, payments: services.payments, auth, idempotent }))
        .use(adminPaymentsController({ payments: services.payments, audit: services.paymentsAudit, auth }))
        .use(refundsController({ refunds: services.refunds, auth }))
        .use(devPaymentsController({ payments: services.payments, gateway: services.paymentGateway })),
    );
}

export type App = ReturnType<typeof createApp>;
