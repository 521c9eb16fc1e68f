import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';
import { AnalysisResult, ChatReply, Finding } from '../../providers/ml/port.ts';
import { REPORT_FILE_TYPES } from '../../providers/storage/port.ts';
import { ID_PATTERN } from '../../shared/ids.ts';
import { literalUnion } from '../../shared/literal-union.ts';
import { Text } from '../../shared/text.ts';

/**
 * Report states, each change one conditional write on the expected state:
 *   analyzing       -> analyzed          the analysis succeeded (its findings written in the same write)
 *   analyzing       -> analysis_failed   refused for good (NO_TEXT) or out of attempts, with the reason
 *   analysis_failed -> analyzing         the owner asks again (a new analysis record in the same transaction)
 * The report and its file are stored before analysis starts; the analysis itself is an outbox record
 * (kind `analyze_report`), so it survives a restart and is retried with backoff.
 */
export const REPORT_STATUSES = ['analyzing', 'analyzed', 'analysis_failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
const ReportStatusSchema = literalUnion(REPORT_STATUSES);

const ReportFileTypeSchema = literalUnion(REPORT_FILE_TYPES);

export const FAILURE_REASONS = [
  'NO_TEXT',
  'UNREADABLE',
  'ML_UNAVAILABLE',
  'ML_MALFORMED',
  'ML_REFUSED',
] as const;
const FailureReasonSchema = literalUnion(FAILURE_REASONS);

export const StoredAnalysis = Type.Object(
  {
    ...AnalysisResult.properties,
    source: Type.Union([Type.Literal('ml'), Type.Literal('builtin')]),
    analyzedAt: Type.Date(),
  },
  { additionalProperties: false },
);

export const ReportDoc = Type.Object(
  {
    _id: Type.String(),
    patientId: Type.String(),
    title: Type.Optional(Type.String({ maxLength: 200 })),
    appointmentId: Type.Optional(Type.String()),
    status: ReportStatusSchema,
    contentType: ReportFileTypeSchema,
    sizeBytes: Type.Integer({ minimum: 1 }),
    storage: Type.Union([Type.Literal('local'), Type.Literal('cloudinary')]),
    /** The storage's random key; never the client's file name. */
    storageKey: Type.String(),
    analysis: Type.Optional(StoredAnalysis),
    failureReason: Type.Optional(FailureReasonSchema),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type ReportDoc = Static<typeof ReportDoc>;

export const Reports = defineCollection({
  name: 'reports',
  schema: ReportDoc,
  indexes: [{ keys: { patientId: 1, status: 1 } }, { keys: { patientId: 1, _id: -1 } }],
});

/** A doctor's access to a report, through one of the owner's appointments with them. */
export const ReportShareDoc = Type.Object(
  {
    _id: Type.String(),
    reportId: Type.String(),
    appointmentId: Type.String(),
    doctorId: Type.String(),
    createdAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type ReportShareDoc = Static<typeof ReportShareDoc>;

export const ReportShares = defineCollection({
  name: 'report_shares',
  schema: ReportShareDoc,
  indexes: [
    { keys: { reportId: 1, appointmentId: 1 }, unique: true, name: 'report_shares__report_appointment' },
    { keys: { doctorId: 1, reportId: 1 } },
  ],
});

export const ChatMessageDoc = Type.Object(
  {
    _id: Type.String(),
    reportId: Type.String(),
    role: Type.Union([Type.Literal('patient'), Type.Literal('assistant')]),
    text: Type.String({ maxLength: 4000 }),
    citations: Type.Optional(Type.Array(Type.String())),
    disclaimer: Type.Optional(Type.String()),
    createdAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type ChatMessageDoc = Static<typeof ChatMessageDoc>;

export const ReportChats = defineCollection({
  name: 'report_chat_messages',
  schema: ChatMessageDoc,
  indexes: [{ keys: { reportId: 1, _id: 1 } }],
});

const Instant = t.String({ description: 'ISO 8601 instant, UTC' });

export const ReportFinding = Finding;

export const Report = t.Object(
  {
    id: t.String(),
    patientId: t.String(),
    title: t.Union([t.String(), t.Null()]),
    appointmentId: t.Union([t.String(), t.Null()]),
    status: ReportStatusSchema,
    contentType: ReportFileTypeSchema,
    sizeBytes: Type.Integer(),
    analysis: t.Union([
      t.Object({
        summary: t.String(),
        findings: t.Array(ReportFinding),
        source: t.Union([t.Literal('ml'), t.Literal('builtin')]),
        analyzedAt: Instant,
      }),
      t.Null(),
    ]),
    failureReason: t.Union([FailureReasonSchema, t.Null()], {
      description: 'Why the analysis failed (when `analysis_failed`): NO_TEXT for images and scans',
    }),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { title: 'Report' },
);
export type Report = Static<typeof Report>;

export const toReport = (doc: ReportDoc): Report => ({
  id: doc._id,
  patientId: doc.patientId,
  title: doc.title ?? null,
  appointmentId: doc.appointmentId ?? null,
  status: doc.status,
  contentType: doc.contentType,
  sizeBytes: doc.sizeBytes,
  analysis: doc.analysis ? { ...doc.analysis, analyzedAt: doc.analysis.analyzedAt.toISOString() } : null,
  failureReason: doc.failureReason ?? null,
  createdAt: doc.createdAt.toISOString(),
  updatedAt: doc.updatedAt.toISOString(),
});

export const ReportEnvelope = t.Object({ report: Report });
export const ReportPage = t.Object({ items: t.Array(Report), nextCursor: t.Union([t.String(), t.Null()]) });

export const ReportIdParams = t.Object({ id: t.String({ pattern: ID_PATTERN }) });
export const ShareParams = t.Object({
  id: t.String({ pattern: ID_PATTERN }),
  appointmentId: t.String({ pattern: ID_PATTERN }),
});

export const UploadBody = t.Object(
  {
    file: t.File({ description: 'PDF, PNG, JPEG or WebP (judged by its bytes), at most REPORT_MAX_BYTES' }),
    title: t.Optional(Text({ maxLength: 200 })),
    appointmentId: t.Optional(t.String({ pattern: ID_PATTERN })),
  },
  { additionalProperties: false },
);

export const ReportsQuery = t.Object(
  {
    status: t.Optional(ReportStatusSchema),
    limit: t.Optional(t.Numeric({ minimum: 1, maximum: 100, multipleOf: 1 })),
    cursor: t.Optional(t.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const ShareBody = t.Object(
  { appointmentId: t.String({ pattern: ID_PATTERN }) },
  { additionalProperties: false },
);

export const ChatBody = t.Object(
  { message: Text({ maxLength: 2000, multiline: true }) },
  { additionalProperties: false },
);
export const ChatQuery = t.Object(
  {
    cursor: t.Optional(t.String({ maxLength: 500 })),
    limit: t.Optional(t.Numeric({ minimum: 1, maximum: 100, multipleOf: 1 })),
  },
  { additionalProperties: false },
);

export const ChatReplyEnvelope = t.Object({ reply: ChatReply });

export const ChatMessage = t.Object(
  {
    id: t.String(),
    role: t.Union([t.Literal('patient'), t.Literal('assistant')]),
    text: t.String(),
    citations: t.Optional(t.Array(t.String())),
    disclaimer: t.Optional(t.String()),
    createdAt: Instant,
  },
  { title: 'ChatMessage' },
);
export const ChatPage = t.Object({
  items: t.Array(ChatMessage),
  nextCursor: t.Union([t.String(), t.Null()]),
});

export const toChatMessage = (doc: ChatMessageDoc): Static<typeof ChatMessage> => ({
  id: doc._id,
  role: doc.role,
  text: doc.text,
  ...(doc.citations ? { citations: doc.citations } : {}),
  ...(doc.disclaimer ? { disclaimer: doc.disclaimer } : {}),
  createdAt: doc.createdAt.toISOString(),
});
