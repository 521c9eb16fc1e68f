import type { InsertDoc } from '../../db/collection.ts';
import { isDuplicateOn } from '../../db/errors.ts';
import type { Page, Store } from '../../db/index.ts';
import {
  type ChatMessageDoc,
  ReportChats,
  type ReportDoc,
  type ReportShareDoc,
  ReportShares,
  type ReportStatus,
  Reports,
} from './reports.model.ts';

/** Reports, their shares with doctors and their chat. State changes are conditional on the expected status. */
export class ReportsRepository {
  constructor(private readonly store: Store) {}

  within(tx: Store): this {
    return new (this.constructor as new (store: Store) => this)(tx);
  }

  private get reports() {
    return this.store.collection(Reports);
  }
  private get shares() {
    return this.store.collection(ReportShares);
  }
  private get chats() {
    return this.store.collection(ReportChats);
  }

  insert(doc: InsertDoc<ReportDoc>): Promise<ReportDoc> {
    return this.reports.insertOne(doc);
  }

  findById(id: string): Promise<ReportDoc | null> {
    return this.reports.findById(id);
  }

  countOfPatient(patientId: string): Promise<number> {
    return this.reports.count({ patientId });
  }

  pageOfPatient(
    patientId: string,
    status: ReportStatus | undefined,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ReportDoc>> {
    return this.reports.find(
      { patientId, ...(status ? { status } : {}) },
      { sort: { _id: -1 }, limit: page.limit, cursor: page.cursor ?? null },
    );
  }

  async pageSharedWith(
    doctorId: string,
    status: ReportStatus | undefined,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ReportDoc>> {
    const shares = await this.shares.findAll({ doctorId });
    const ids = [...new Set(shares.map((share) => share.reportId))];
    if (ids.length === 0) return { items: [], nextCursor: null };
    return this.reports.find(
      { _id: { $in: ids }, ...(status ? { status } : {}) },
      { sort: { _id: -1 }, limit: page.limit, cursor: page.cursor ?? null },
    );
  }

  /** analyzing -> analyzed, with the findings. */
  markAnalyzed(id: string, analysis: NonNullable<ReportDoc['analysis']>, now: Date): Promise<boolean> {
    return this.reports.updateOne(
      { _id: id, status: 'analyzing' },
      { $set: { status: 'analyzed', analysis, updatedAt: now } },
    );
  }

  /** analyzing -> analysis_failed, with the reason. */
  markFailed(id: string, reason: NonNullable<ReportDoc['failureReason']>, now: Date): Promise<boolean> {
    return this.reports.updateOne(
      { _id: id, status: 'analyzing' },
      { $set: { status: 'analysis_failed', failureReason: reason, updatedAt: now } },
    );
  }

  /** analysis_failed -> analyzing, the owner's retry. */
  restartAnalysis(id: string, patientId: string, now: Date): Promise<ReportDoc | null> {
    return this.reports.findOneAndUpdate(
      { _id: id, patientId, status: 'analysis_failed' },
      { $set: { status: 'analyzing', updatedAt: now }, $unset: { failureReason: true } },
    );
  }

  /** The report, its shares and its chat. */
  async remove(id: string): Promise<boolean> {
    const removed = await this.reports.deleteOne({ _id: id });
    await this.shares.deleteMany({ reportId: id });
    await this.chats.deleteMany({ reportId: id });
    return removed;
  }

  isSharedWith(reportId: string, doctorId: string): Promise<boolean> {
    return this.shares.findOne({ reportId, doctorId }).then((share) => share !== null);
  }

  /** Idempotent: sharing again through the same appointment changes nothing. */
  async share(doc: InsertDoc<ReportShareDoc>): Promise<void> {
    try {
      await this.shares.insertOne(doc);
    } catch (error) {
      if (isDuplicateOn(error, 'report_shares__report_appointment')) return;
      throw error;
    }
  }

  unshare(reportId: string, appointmentId: string): Promise<boolean> {
    return this.shares.deleteOne({ reportId, appointmentId });
  }

  addChatMessages(docs: InsertDoc<ChatMessageDoc>[]): Promise<ChatMessageDoc[]> {
    return this.chats.insertMany(docs);
  }

  /** The latest `limit` turns, oldest first (the chatbot's history). */
  async recentChat(reportId: string, limit: number): Promise<ChatMessageDoc[]> {
    const latest = await this.chats.findAll({ reportId }, { sort: { _id: -1 }, limit });
    return latest.reverse();
  }

  chatPage(
    reportId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<ChatMessageDoc>> {
    return this.chats.find(
      { reportId },
      { sort: { _id: 1 }, limit: page.limit, cursor: page.cursor ?? null },
    );
  }
}
