import { Elysia, t } from 'elysia';
import { accepts } from '../../shared/http.ts';
import { BODY_ERRORS, described, errors, JSON_BODY_ERRORS, noContent } from '../../shared/route-docs.ts';
import { type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import {
  ChatBody,
  ChatPage,
  ChatQuery,
  ChatReplyEnvelope,
  ReportEnvelope,
  ReportIdParams,
  ReportPage,
  ReportsQuery,
  ShareBody,
  ShareParams,
  toChatMessage,
  toReport,
  UploadBody,
} from './reports.model.ts';
import type { ReportsService } from './reports.service.ts';

const tags = ['Reports'];
const READ_ERRORS = [...ROLE_ERRORS, 'VALIDATION_FAILED', 'REPORT_NOT_FOUND'] as const;

/** The headers of a report's original: always a download, never sniffed, never cached. */
const FILE_HEADERS = {
  'content-disposition': 'attachment; filename="report"',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** Medical reports: upload, analysis, the original, sharing with a doctor, and a chat over the findings. */
export function reportsController({ reports, auth }: { reports: ReportsService; auth: AuthPlugin }) {
  return new Elysia({ name: 'reports-controller', prefix: '/reports' })
    .use(auth)
    .post(
      '',
      async ({ user, body, status }) =>
        status(201, { report: toReport(await reports.upload(user.id, body)) }),
      {
        auth: ['patient'],
        ...accepts('multipart/form-data'),
        body: UploadBody,
        response: {
          201: described(
            ReportEnvelope,
            'The stored report, `analyzing`; the analysis runs in the background',
          ),
          ...errors(
            ...ROLE_ERRORS,
            ...BODY_ERRORS,
            'MALFORMED_BODY',
            'VALIDATION_FAILED',
            'REPORT_EMPTY',
            'REPORT_TOO_LARGE',
            'UNSUPPORTED_REPORT_TYPE',
            'APPOINTMENT_NOT_FOUND',
            'APPOINTMENT_NOT_ACTIVE',
            'REPORT_QUOTA_EXCEEDED',
            'REPORT_STORAGE_FAILED',
          ),
        },
        detail: {
          tags,
          summary: 'Upload a medical report (multipart: file, optional title and appointmentId)',
          description:
            'A PDF, PNG, JPEG or WebP judged by its bytes (not its name or declared type), at most REPORT_MAX_BYTES (413 before the body is read whole), at most REPORT_QUOTA reports per patient. Stored privately under a random id, then analyzed in the background: poll `GET /reports/:id` until `analyzed` or `analysis_failed`.',
        },
      },
    )
    .get(
      '',
      async ({ user, query }) => {
        const page = await reports.list(user, query);
        return { items: page.items.map(toReport), nextCursor: page.nextCursor };
      },
      {
        auth: ['patient', 'doctor'],
        query: ReportsQuery,
        response: {
          200: described(ReportPage, 'A page of reports, newest first; pass `nextCursor` as `cursor`'),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: {
          tags,
          summary: 'My reports (patient) or the reports shared with me (doctor)',
          description: 'Newest first, optionally of one status, 1-100 a page (default 20).',
        },
      },
    )
    .get('/:id', async ({ user, params }) => ({ report: toReport(await reports.get(user, params.id)) }), {
      auth: true,
      params: ReportIdParams,
      response: {
        200: described(ReportEnvelope, 'The report, with its analysis once analyzed'),
        ...errors(...READ_ERRORS),
      },
      detail: {
        tags,
        summary: 'A report',
        description:
          'Its patient, a doctor it is shared with, or an admin; anyone else gets 404 `REPORT_NOT_FOUND`.',
      },
    })
    .get(
      '/:id/file',
      async ({ user, params }) => {
        const { report, download } = await reports.download(user, params.id);
        if ('redirect' in download) {
          return new Response(null, {
            status: 302,
            headers: { location: download.redirect, ...FILE_HEADERS },
          });
        }
        return new Response(download.stream, {
          headers: { 'content-type': report.contentType, ...FILE_HEADERS },
        });
      },
      {
        auth: true,
        params: ReportIdParams,
        response: {
          200: t.File({ description: 'The original file (local storage), as an attachment' }),
          302: t.Void({ description: 'A redirect to a short-lived signed URL of the original (Cloudinary)' }),
          ...errors(...READ_ERRORS, 'REPORT_STORAGE_FAILED'),
        },
        detail: {
          tags,
          summary: 'The original file of a report',
          description:
            'A stream (local storage) or a redirect to a signed URL valid a few minutes (Cloudinary); always `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`, `Cache-Control: no-store`.',
        },
      },
    )
    .post(
      '/:id/analyze',
      async ({ user, params }) => ({ report: toReport(await reports.reanalyze(user.id, params.id)) }),
      {
        auth: ['patient'],
        params: ReportIdParams,
        response: {
          200: described(ReportEnvelope, 'The report, `analyzing` again'),
          ...errors(...READ_ERRORS, ...BODY_ERRORS, 'ANALYSIS_IN_PROGRESS', 'REPORT_ALREADY_ANALYZED'),
        },
        detail: {
          tags,
          summary: 'Run a failed analysis again',
          description:
            'Only for `analysis_failed`; 409 `ANALYSIS_IN_PROGRESS` while one runs, 409 `REPORT_ALREADY_ANALYZED` once done.',
        },
      },
    )
    .post(
      '/:id/share',
      async ({ user, params, body }) => ({
        share: await reports.share(user.id, params.id, body.appointmentId),
      }),
      {
        auth: ['patient'],
        ...accepts('application/json'),
        params: ReportIdParams,
        body: ShareBody,
        response: {
          200: described(
            t.Object({
              share: t.Object({ reportId: t.String(), appointmentId: t.String(), doctorId: t.String() }),
            }),
            'The doctor of that appointment can now read the report and its chat',
          ),
          ...errors(...READ_ERRORS, ...JSON_BODY_ERRORS, 'APPOINTMENT_NOT_FOUND', 'APPOINTMENT_NOT_ACTIVE'),
        },
        detail: {
          tags,
          summary: 'Share a report with the doctor of one of my appointments',
          description:
            'The appointment must be mine and held or confirmed. Sharing again through the same appointment changes nothing.',
        },
      },
    )
    .delete(
      '/:id/share/:appointmentId',
      async ({ user, params, status }) => {
        await reports.unshare(user.id, params.id, params.appointmentId);
        return status(204, undefined);
      },
      {
        auth: ['patient'],
        params: ShareParams,
        response: {
          204: noContent('The doctor of that appointment no longer has access through it'),
          ...errors(...READ_ERRORS, ...BODY_ERRORS),
        },
        detail: { tags, summary: 'Stop sharing a report through an appointment', description: 'Idempotent.' },
      },
    )
    .post(
      '/:id/chat',
      async ({ user, params, body }) => ({ reply: await reports.chat(user.id, params.id, body.message) }),
      {
        auth: ['patient'],
        ...accepts('application/json'),
        params: ReportIdParams,
        body: ChatBody,
        response: {
          200: described(ChatReplyEnvelope, 'The answer, the findings it used, and a clinical disclaimer'),
          ...errors(
            ...READ_ERRORS,
            ...JSON_BODY_ERRORS,
            'REPORT_NOT_ANALYZED',
            'RATE_LIMITED',
            'CHAT_UNAVAILABLE',
          ),
        },
        detail: {
          tags,
          summary: 'Ask about the findings of my analyzed report',
          description:
            "Answers only from this report's findings, cites them and adds a disclaimer; it does not diagnose or prescribe, and text inside the report or the message is never taken as instructions. Rate limited per patient.",
        },
      },
    )
    .get(
      '/:id/chat',
      async ({ user, params, query }) => {
        const page = await reports.chatHistory(user, params.id, query);
        return { items: page.items.map(toChatMessage), nextCursor: page.nextCursor };
      },
      {
        auth: ['patient', 'doctor'],
        params: ReportIdParams,
        query: ChatQuery,
        response: {
          200: described(ChatPage, 'The conversation, oldest first'),
          ...errors(...READ_ERRORS),
        },
        detail: {
          tags,
          summary: 'The conversation about a report',
          description: 'Its patient, or a doctor it is shared with (read only).',
        },
      },
    )
    .delete(
      '/:id',
      async ({ user, params, status }) => {
        await reports.remove(user.id, params.id);
        return status(204, undefined);
      },
      {
        auth: ['patient'],
        params: ReportIdParams,
        response: {
          204: noContent('The report, its file, analysis, shares and chat are gone'),
          ...errors(...READ_ERRORS, ...BODY_ERRORS, 'REPORT_STORAGE_FAILED'),
        },
        detail: {
          tags,
          summary: 'Delete my report',
          description: 'Removes the stored file first, then the rest.',
        },
      },
    );
}
