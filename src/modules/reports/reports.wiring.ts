import type { Config } from '../../config.ts';
import type { Store } from '../../db/index.ts';
import { BuiltinMlProvider } from '../../providers/ml/builtin.ts';
import { HttpMlProvider } from '../../providers/ml/http.ts';
import type { MlProvider } from '../../providers/ml/port.ts';
import { CloudinaryReportStorage } from '../../providers/storage/cloudinary.ts';
import { LocalReportStorage } from '../../providers/storage/local.ts';
import type { ReportStorage } from '../../providers/storage/port.ts';
import type { Clock } from '../../shared/clock.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { OutboxDeliverer } from '../outbox/outbox.deliverer.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { RateLimiter } from '../rate-limits/rate-limits.service.ts';
import { AnalyzeReportHandler } from './analyze-report.handler.ts';
import { ReportsRepository } from './reports.repository.ts';
import { ReportsService } from './reports.service.ts';

/** The configured file storage and ML provider; tests pass SDK adapters pointed at loopback fakes. */
export function reportProviders(
  config: Config,
  overrides: { reportStorage?: ReportStorage; ml?: MlProvider } = {},
): { reportStorage: ReportStorage; ml: MlProvider } {
  const reportStorage =
    overrides.reportStorage ??
    (config.STORAGE_PROVIDER === 'cloudinary'
      ? new CloudinaryReportStorage({
          cloudName: config.CLOUDINARY_CLOUD_NAME!,
          apiKey: config.CLOUDINARY_API_KEY!,
          apiSecret: config.CLOUDINARY_API_SECRET!,
          ...(config.CLOUDINARY_UPLOAD_PREFIX ? { uploadPrefix: config.CLOUDINARY_UPLOAD_PREFIX } : {}),
        })
      : new LocalReportStorage(config.DATA_DIR));
  const ml =
    overrides.ml ??
    (config.ML_PROVIDER === 'http'
      ? new HttpMlProvider({
          baseUrl: config.ML_SERVICE_URL!,
          timeoutMs: config.ML_TIMEOUT_MS,
          ...(config.ML_API_KEY ? { apiKey: config.ML_API_KEY } : {}),
        })
      : new BuiltinMlProvider());
  return { reportStorage, ml };
}

/** Reports, with their analysis as an outbox kind retried on its own schedule (ML_* settings). */
export function wireReports(
  config: Config,
  deps: {
    store: Store;
    clock: Clock;
    logger: Logger;
    appointmentsRepo: AppointmentsRepository;
    outbox: OutboxService;
    outboxDeliverer: OutboxDeliverer;
    rateLimiter: RateLimiter;
    reportStorage: ReportStorage;
    ml: MlProvider;
  },
) {
  const reportsRepo = new ReportsRepository(deps.store);
  const { reportStorage, ml } = deps;
  deps.outboxDeliverer.register(
    new AnalyzeReportHandler(reportsRepo, reportStorage, ml, deps.clock, async (report) => {
      const download = await reportStorage.download(report.storageKey, report.contentType);
      return 'redirect' in download ? download.redirect : null;
    }),
    { maxAttempts: config.ML_MAX_ATTEMPTS, retryBaseSeconds: config.ML_RETRY_BASE_SECONDS },
  );
  const reports = new ReportsService(
    reportsRepo,
    deps.appointmentsRepo,
    deps.outbox,
    reportStorage,
    ml,
    deps.rateLimiter,
    deps.clock,
    deps.logger,
    { maxBytes: config.REPORT_MAX_BYTES, quota: config.REPORT_QUOTA },
  );
  return { reportsRepo, reports };
}
