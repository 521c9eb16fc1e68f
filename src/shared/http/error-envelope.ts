import type { Static } from '@sinclair/typebox';
import type { ValidationError as ElysiaValidationError } from 'elysia';
import type { ErrorEnvelope } from '../error-schema.ts';
import { AppError, type FieldIssue } from '../errors.ts';
import type { Logger } from '../logger.ts';

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

const validationIssues = (error: ElysiaValidationError): FieldIssue[] => {
  const seen = new Set<string>();
  const issues: FieldIssue[] = [];
  for (const item of error.all as { path?: string; summary?: string; message?: string }[]) {
    const path = (item.path ?? '').replace(/^\//, '').replaceAll('/', '.') || '(root)';
    const key = `${path}:${item.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message: item.summary ?? item.message ?? 'invalid' });
    if (issues.length >= 20) break;
  }
  return issues;
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
