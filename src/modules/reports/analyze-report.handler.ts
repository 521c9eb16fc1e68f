import { type Static, Type } from '@sinclair/typebox';
import { AnalysisError, type MlProvider } from '../../providers/ml/port.ts';
import type { ReportStorage } from '../../providers/storage/port.ts';
import type { Clock } from '../../shared/clock.ts';
import type { OutboxFailure, OutboxHandler } from '../outbox/outbox.handler.ts';
import type { OutboxDraft } from '../outbox/outbox.model.ts';
import { FAILURE_REASONS, type ReportDoc } from './reports.model.ts';
import type { ReportsRepository } from './reports.repository.ts';

export const AnalyzePayload = Type.Object({ reportId: Type.String() }, { additionalProperties: false });
export type AnalyzePayload = Static<typeof AnalyzePayload>;

/** The analysis of a report as an outbox record: durable, leased, retried with backoff. */
export const analyzeDraft = (report: Pick<ReportDoc, '_id' | 'patientId'>): OutboxDraft => ({
  kind: 'analyze_report',
  recipient: report.patientId,
  subject: `analysis of report ${report._id}`,
  payload: { reportId: report._id } satisfies AnalyzePayload,
});

type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * Runs one analysis: reads the file, asks the ML provider, writes the findings (analyzing -> analyzed).
 * Repeating it is harmless: a report no longer analyzing (done, failed, deleted) is left as it is.
 */
export class AnalyzeReportHandler implements OutboxHandler<AnalyzePayload> {
  readonly kind = 'analyze_report' as const;
  readonly payload = AnalyzePayload;

  constructor(
    private readonly reports: ReportsRepository,
    private readonly storage: ReportStorage,
    private readonly ml: MlProvider,
    private readonly clock: Clock,
    private readonly signedUrl: (report: ReportDoc) => Promise<string | null>,
  ) {}

  async perform(payload: AnalyzePayload): Promise<void> {
    const report = await this.reports.findById(payload.reportId);
    if (report?.status !== 'analyzing') return;
    const result = await this.ml.analyze({
      contentType: report.contentType,
      bytes: () => this.storage.read(report.storageKey, report.contentType),
      signedUrl: () => this.signedUrl(report),
    });
    const now = this.clock.now();
    await this.reports.markAnalyzed(
      report._id,
      { ...result, source: this.ml.kind === 'http' ? 'ml' : 'builtin', analyzedAt: now },
      now,
    );
  }

  /** Only the reason code is kept and logged: never the report's text or findings. */
  classify(error: unknown): OutboxFailure {
    if (error instanceof AnalysisError) return { permanent: error.permanent, message: error.reason };
    return { permanent: false, message: 'ML_UNAVAILABLE' };
  }

  async parked(payload: AnalyzePayload, failure: OutboxFailure): Promise<void> {
    const reason = (FAILURE_REASONS as readonly string[]).includes(failure.message)
      ? (failure.message as FailureReason)
      : 'ML_UNAVAILABLE';
    await this.reports.markFailed(payload.reportId, reason, this.clock.now());
  }
}
