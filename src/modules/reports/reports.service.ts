import type { Page } from '../../db/index.ts';
import type { ChatReply, MlProvider } from '../../providers/ml/port.ts';
import type { FileDownload, ReportStorage } from '../../providers/storage/port.ts';
import type { Clock } from '../../shared/clock.ts';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { isLapsedHold } from '../appointments/appointments.model.ts';
import type { AppointmentsRepository } from '../appointments/appointments.repository.ts';
import type { OutboxService } from '../outbox/outbox.service.ts';
import type { RateLimitRule } from '../rate-limits/rate-limits.model.ts';
import type { RateLimiter } from '../rate-limits/rate-limits.service.ts';
import type { Role } from '../users/users.model.ts';
import { analyzeDraft } from './analyze-report.handler.ts';
import { acceptReportFile } from './report-file.ts';
import type { ChatMessageDoc, ReportDoc, ReportStatus } from './reports.model.ts';
import type { ReportsRepository } from './reports.repository.ts';

export interface Viewer {
  id: string;
  role: Role;
}

export interface ReportSettings {
  maxBytes: number;
  quota: number;
}

/** Chat turns per patient: the built-in answers are cheap, an ML service's are not. */
export const CHAT_RULE: RateLimitRule = { name: 'report_chat:patient', limit: 30, windowSeconds: 600 };
/** Turns of the conversation given to the chatbot as history. */
const HISTORY_TURNS = 20;
const PAGE_DEFAULT = 20;

const notFound = () => new NotFoundError('No such report that you may see', 'REPORT_NOT_FOUND');
const storageFailed = () =>
  new AppError(502, 'REPORT_STORAGE_FAILED', 'The file storage did not answer; try again later');

/**
 * Medical reports: private to their patient, readable by the doctors the patient shares them with (and
 * admins); anyone else gets 404. Report text and findings are never logged.
 */
export class ReportsService {
  constructor(
    private readonly repo: ReportsRepository,
    private readonly appointments: AppointmentsRepository,
    private readonly outbox: OutboxService,
    private readonly storage: ReportStorage,
    private readonly ml: MlProvider,
    private readonly rateLimiter: RateLimiter,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly settings: ReportSettings,
  ) {}

  /**
   * Checks the file, stores it, then writes the report and its analysis record in one transaction. A
   * refused file stores nothing; a failed write removes the stored file again.
   */
  async upload(
    patientId: string,
    input: { file: Blob; title?: string | undefined; appointmentId?: string | undefined },
  ): Promise<ReportDoc> {
    const file = await acceptReportFile(input.file, this.settings.maxBytes);
    if (input.appointmentId) await this.ownAppointment(patientId, input.appointmentId);
    // Checked before the upload (no file stored for nothing) and again in the transaction that writes.
    await this.checkQuota(this.repo, patientId);
    let stored: { key: string };
    try {
      stored = await this.storage.put(file);
    } catch (error) {
      this.logStorageError('report upload failed', error);
      throw storageFailed();
    }
    try {
      const now = this.clock.now();
      const report = await this.outbox.transaction(async (tx, outbox) => {
        await this.checkQuota(this.repo.within(tx), patientId);
        const inserted = await this.repo.within(tx).insert({
          patientId,
          ...(input.title ? { title: input.title } : {}),
          ...(input.appointmentId ? { appointmentId: input.appointmentId } : {}),
          status: 'analyzing',
          contentType: file.contentType,
          sizeBytes: file.bytes.byteLength,
          storage: this.storage.kind,
          storageKey: stored.key,
          createdAt: now,
          updatedAt: now,
        });
        await outbox.enqueue(analyzeDraft(inserted));
        return inserted;
      });
      this.logger.info('report uploaded', {
        reportId: report._id,
        contentType: report.contentType,
        sizeBytes: report.sizeBytes,
      });
      return report;
    } catch (error) {
      await this.storage.remove(stored.key, file.contentType).catch(() => undefined);
      throw error;
    }
  }

  private async checkQuota(repo: ReportsRepository, patientId: string): Promise<void> {
    if ((await repo.countOfPatient(patientId)) >= this.settings.quota) {
      throw new ConflictError(
        'REPORT_QUOTA_EXCEEDED',
        `You can keep at most ${this.settings.quota} reports`,
        {
          quota: this.settings.quota,
        },
      );
    }
  }

  /** The owner, a doctor it is shared with, or an admin; anyone else gets 404. */
  async get(viewer: Viewer, id: string): Promise<ReportDoc> {
    const report = await this.repo.findById(id);
    if (!report) throw notFound();
    if (viewer.role === 'admin' || report.patientId === viewer.id) return report;
    if (viewer.role === 'doctor' && (await this.repo.isSharedWith(id, viewer.id))) return report;
    throw notFound();
  }

  /** A patient's own reports, or the reports shared with a doctor; newest first. */
  list(
    viewer: Viewer,
    query: { status?: ReportStatus | undefined; limit?: number | undefined; cursor?: string | undefined },
  ): Promise<Page<ReportDoc>> {
    const page = { limit: query.limit ?? PAGE_DEFAULT, cursor: query.cursor };
    if (viewer.role === 'patient') return this.repo.pageOfPatient(viewer.id, query.status, page);
    if (viewer.role === 'doctor') return this.repo.pageSharedWith(viewer.id, query.status, page);
    throw new ForbiddenError('Your role cannot do this');
  }

  async download(viewer: Viewer, id: string): Promise<{ report: ReportDoc; download: FileDownload }> {
    const report = await this.get(viewer, id);
    try {
      return { report, download: await this.storage.download(report.storageKey, report.contentType) };
    } catch (error) {
      this.logStorageError('report download failed', error);
      throw storageFailed();
    }
  }

  private async owned(patientId: string, id: string): Promise<ReportDoc> {
    const report = await this.repo.findById(id);
    if (!report || report.patientId !== patientId) throw notFound();
    return report;
  }

  /** analysis_failed -> analyzing with a new analysis record; 409 while one runs or once it succeeded. */
  async reanalyze(patientId: string, id: string): Promise<ReportDoc> {
    const report = await this.owned(patientId, id);
    const restarted = await this.outbox.transaction(async (tx, outbox) => {
      const updated = await this.repo.within(tx).restartAnalysis(id, patientId, this.clock.now());
      if (updated) await outbox.enqueue(analyzeDraft(updated));
      return updated;
    });
    if (restarted) return restarted;
    if (report.status === 'analyzed') {
      throw new ConflictError('REPORT_ALREADY_ANALYZED', 'This report was analyzed already');
    }
    throw new ConflictError('ANALYSIS_IN_PROGRESS', 'The analysis of this report is still running');
  }

  /** One of the patient's appointments, held (not lapsed) or confirmed, for sharing or linking. */
  private async ownAppointment(patientId: string, appointmentId: string) {
    const appointment = await this.appointments.findById(appointmentId);
    if (!appointment || appointment.patientId !== patientId) {
      throw new NotFoundError('No such appointment that you may see', 'APPOINTMENT_NOT_FOUND');
    }
    const active =
      appointment.status === 'confirmed' ||
      (appointment.status === 'pending_payment' && !isLapsedHold(appointment, this.clock.now()));
    if (!active) {
      throw new ConflictError('APPOINTMENT_NOT_ACTIVE', 'Only a held or confirmed appointment can be used', {
        status: isLapsedHold(appointment, this.clock.now()) ? 'expired' : appointment.status,
      });
    }
    return appointment;
  }

  /** The doctor of one of the owner's held or confirmed appointments gains access (idempotent). */
  async share(
    patientId: string,
    id: string,
    appointmentId: string,
  ): Promise<{ reportId: string; appointmentId: string; doctorId: string }> {
    await this.owned(patientId, id);
    const appointment = await this.ownAppointment(patientId, appointmentId);
    await this.repo.share({
      reportId: id,
      appointmentId,
      doctorId: appointment.doctorId,
      createdAt: this.clock.now(),
    });
    this.logger.info('report shared', { reportId: id, appointmentId, doctorId: appointment.doctorId });
    return { reportId: id, appointmentId, doctorId: appointment.doctorId };
  }

  /** The doctor of that appointment loses the access it gave (idempotent). */
  async unshare(patientId: string, id: string, appointmentId: string): Promise<void> {
    await this.owned(patientId, id);
    if (await this.repo.unshare(id, appointmentId)) {
      this.logger.info('report unshared', { reportId: id, appointmentId });
    }
  }

  /** Answers a question about an analyzed report from its findings; both turns are kept. */
  async chat(patientId: string, id: string, message: string): Promise<ChatReply> {
    const report = await this.owned(patientId, id);
    if (report.status !== 'analyzed' || !report.analysis) {
      throw new ConflictError('REPORT_NOT_ANALYZED', 'The report has no analysis to talk about yet', {
        status: report.status,
      });
    }
    await this.rateLimiter.consume([{ rule: CHAT_RULE, subject: patientId }]);
    const history = await this.repo.recentChat(id, HISTORY_TURNS);
    let reply: ChatReply;
    try {
      reply = await this.ml.chat({
        findings: report.analysis.findings,
        summary: report.analysis.summary,
        history: history.map((turn) => ({ role: turn.role, text: turn.text })),
        question: message,
      });
    } catch (error) {
      this.logger.warn('report chat failed', {
        reportId: id,
        provider: this.ml.kind,
        error: error instanceof Error ? error.name : 'unknown',
      });
      throw new AppError(503, 'CHAT_UNAVAILABLE', 'The assistant is not available; try again later');
    }
    const now = this.clock.now();
    await this.repo.addChatMessages([
      { reportId: id, role: 'patient', text: message, createdAt: now },
      {
        reportId: id,
        role: 'assistant',
        text: reply.text,
        citations: reply.citations,
        disclaimer: reply.disclaimer,
        createdAt: now,
      },
    ]);
    return reply;
  }

  async chatHistory(
    viewer: Viewer,
    id: string,
    page: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<Page<ChatMessageDoc>> {
    const report = await this.get(viewer, id);
    if (viewer.role === 'admin' && report.patientId !== viewer.id) throw notFound();
    return this.repo.chatPage(id, { limit: page.limit ?? 50, cursor: page.cursor });
  }

  /** Removes the file first (so a failure changes nothing), then the report, its shares and chat. */
  async remove(patientId: string, id: string): Promise<void> {
    const report = await this.owned(patientId, id);
    try {
      await this.storage.remove(report.storageKey, report.contentType);
    } catch (error) {
      this.logStorageError('report file removal failed', error);
      throw storageFailed();
    }
    await this.outbox.transaction((tx) => this.repo.within(tx).remove(id));
    this.logger.info('report deleted', { reportId: id });
  }

  private logStorageError(message: string, error: unknown): void {
    this.logger.error(message, {
      provider: this.storage.kind,
      error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown',
    });
  }
}
