import type { Static } from '@sinclair/typebox';
import type { ValidationError as ElysiaValidationError } from 'elysia';
import { checkEmailAddress, EMAIL_ADDRESS } from '../email-address.ts';
import type { ErrorEnvelope } from '../error-schema.ts';
import { AppError, type FieldIssue } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { MULTI_LINE_TEXT, SINGLE_LINE_TEXT, textProblem } from '../text.ts';

/** The error envelope's type, derived from its schema. */
export type ErrorBody = Static<typeof ErrorEnvelope>;

export function errorResponse(
  status: number,
  code: string,
  message: string,
  details?: unknown,
  headers?: Record<string, string>,
): Response {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

interface ValueIssue {
  path?: string;
  message?: string;
  value?: unknown;
  schema?: { format?: string; anyOf?: { const?: unknown }[] };
}

/**
 * What is wrong with one value, in words a client can act on: the rule a text or an email broke, the
 * values an enum allows, else TypeBox's own message. Never the value itself (it may be a password).
 */
function issueMessage({ message, value, schema }: ValueIssue): string {
  if (
    typeof value === 'string' &&
    (schema?.format === SINGLE_LINE_TEXT || schema?.format === MULTI_LINE_TEXT)
  ) {
    const problem = textProblem(value, schema.format === MULTI_LINE_TEXT);
    if (problem) return problem;
  }
  if (typeof value === 'string' && schema?.format === EMAIL_ADDRESS) {
    const check = checkEmailAddress(value);
    if (!check.ok) return check.problem;
  }
  const allowed = schema?.anyOf?.map((option) => option.const);
  if (allowed?.length && allowed.every((option) => typeof option === 'string')) {
    return `must be one of: ${allowed.join(', ')}`;
  }
  return message ?? 'is invalid';
}

/** One issue per field (the first rule it broke), at most 20. */
const validationIssues = (error: ElysiaValidationError): FieldIssue[] => {
  const issues = new Map<string, FieldIssue>();
  for (const item of error.all as ValueIssue[]) {
    const path = (item.path ?? '').replace(/^\//, '').replaceAll('/', '.') || '(root)';
    if (!issues.has(path)) issues.set(path, { path, message: issueMessage(item) });
    if (issues.size >= 20) break;
  }
  return [...issues.values()];
};

/**
 * Any error as the one envelope: an `AppError` as its status and code, Elysia's own errors as theirs, and
 * everything else (a storage error, a bug) as a generic 500 `INTERNAL` carrying only the request id; its
 * name, message and stack go to the log.
 */
export function toErrorResponse(
  { code, error, requestId }: { code: unknown; error: unknown; requestId: string | undefined },
  logger: Logger,
): Response {
  // Elysia wraps what a parser throws (the media type check of `accepts`) in its ParseError.
  const appError =
    error instanceof AppError
      ? error
      : code === 'PARSE' && (error as Error).cause instanceof AppError
        ? ((error as Error).cause as AppError)
        : undefined;
  if (appError) {
    return errorResponse(
      appError.status,
      appError.code,
      appError.message,
      appError.details,
      appError.headers,
    );
  }
  switch (code) {
    case 'VALIDATION':
      return errorResponse(422, 'VALIDATION_FAILED', 'The request is invalid', {
        issues: validationIssues(error as ElysiaValidationError),
      });
    case 'PARSE':
      return errorResponse(422, 'MALFORMED_BODY', 'The request body could not be parsed');
    case 'NOT_FOUND':
      return errorResponse(404, 'NOT_FOUND', 'No such route');
    case 'INVALID_FILE_TYPE':
      return errorResponse(415, 'UNSUPPORTED_MEDIA_TYPE', 'The uploaded file type is not accepted');
    default: {
      const status = (error as { status?: number }).status;
      if (status === 413) return errorResponse(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
      logger.error('unhandled error', {
        requestId,
        error:
          error instanceof Error
            ? { name: error.name, message: error.message, stack: error.stack }
            : String(error),
      });
      return errorResponse(
        500,
        'INTERNAL',
        'Something went wrong on our side',
        requestId === undefined ? undefined : { requestId },
      );
    }
  }
}
