import type { Static } from '@sinclair/typebox';
import { Elysia, type ValidationError as ElysiaValidationError } from 'elysia';
import type { ErrorEnvelope } from './error-schema.ts';
import { AppError, type FieldIssue } from './errors.ts';
import type { Logger } from './logger.ts';
import { requestContext } from './request-context.ts';

/** The error envelope's type, derived from its schema. */
export type ErrorBody = Static<typeof ErrorEnvelope>;

interface RequestMeta {
  id: string;
  startedAt: number;
  status?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ACCEPTED_TYPES = ['application/json', 'multipart/form-data', 'application/x-www-form-urlencoded'];
/** Probes come every few seconds: their lines are noise in a production log, so they go at `debug`. */
const PROBE_ROUTES = new Set(['/health', '/ready']);

const SECURITY_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

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

function checkBody(request: Request, length: number, bodyLimitBytes: number): void {
  if (length > bodyLimitBytes) {
    throw new AppError(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${bodyLimitBytes} bytes`);
  }
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (length > 0 && (!type || !ACCEPTED_TYPES.includes(type))) {
    throw new AppError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be one of ${ACCEPTED_TYPES.join(', ')}`,
    );
  }
}

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value);
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
};

/** A plain object or array holding a Date somewhere within its plain objects and arrays. */
function hasDateInside(value: object): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === 'object' && (item instanceof Date || hasDateInside(item)))
        return true;
    }
    return false;
  }
  if (!isPlain(value)) return false;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== null && typeof item === 'object' && (item instanceof Date || hasDateInside(item)))
      return true;
  }
  return false;
}

/**
 * A copy of plain objects and arrays with every Date replaced by `date.toJSON()` and everything else as it
 * is, so JSON.stringify of the copy is byte for byte JSON.stringify of the original.
 */
export function withoutDates(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toJSON();
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = withoutDates(value[i]);
    return out;
  }
  if (!isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  // Own enumerable keys in order, as JSON.stringify reads them.
  for (const key of Object.keys(value)) {
    const item = withoutDates((value as Record<string, unknown>)[key]);
    // An own `__proto__` key (JSON.parse makes them) stays a key rather than becoming the prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: item, enumerable: true, writable: true });
    else out[key] = item;
  }
  return out;
}

/** The path of an absolute request URL, without the cost of a `URL` object on every request. */
const pathOf = (url: string): string => {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.indexOf('?', start);
  return url.slice(start, end < 0 ? undefined : end);
};

/** What the plugin remembers about a request between its hooks, kept on the per-request `set` object. */
const META = Symbol('http-basics.meta');
type MetaHolder = { [META]?: RequestMeta };

/**
 * Cross-cutting HTTP behaviour in one plugin: request ids, security headers, size and type guards,
 * the single error envelope and one JSON log line per request.
 */
export function httpBasics(options: {
  logger: Logger;
  bodyLimitBytes: number;
  /** Larger limits for exact paths, e.g. multipart routes that carry an upload. */
  bodyLimitsByPath?: Record<string, number>;
}) {
  const { logger } = options;

  /** Size and type guards for requests that carry a body; a promise only when the body must be measured. */
  const guardBody = (request: Request, pathname: string): Promise<void> | undefined => {
    const bodyLimitBytes = options.bodyLimitsByPath?.[pathname] ?? options.bodyLimitBytes;
    const declared = request.headers.get('content-length');
    if (declared !== null) {
      checkBody(request, Number(declared), bodyLimitBytes);
      return undefined;
    }
    // Without a declared length (chunked, or an in-process Request) the body is measured.
    return request
      .clone()
      .arrayBuffer()
      .then((buffer) => checkBody(request, buffer.byteLength, bodyLimitBytes));
  };

  return (
    new Elysia({ name: 'http-basics' })
      // Default headers: Elysia copies them into every response's headers in one step.
      .headers(SECURITY_HEADERS)
      .onRequest(({ request, set }) => {
        const given = request.headers.get('x-request-id');
        const id = given !== null && REQUEST_ID.test(given) ? given : crypto.randomUUID();
        (set as MetaHolder)[META] = { id, startedAt: performance.now() };
        // Lines logged anywhere while this request is served carry its id.
        requestContext.enterWith({ requestId: id });
        set.headers['x-request-id'] = id;
        const path = pathOf(request.url);
        if (path.startsWith('/api')) set.headers['cache-control'] = 'no-store';
        if (!BODY_METHODS.has(request.method) || request.body === null) return;
        return guardBody(request, path);
      })
      .onError({ as: 'global' }, ({ code, error, set, request }) => {
        // Destructured on purpose: given the whole context, Elysia assumes every part of it is used and
        // parses cookies, query and headers on every request.
        const info = (set as MetaHolder)[META];
        const response = toErrorResponse({ code, error, requestId: info?.id, request });
        if (info) info.status = response.status;
        return response;
      })
      .mapResponse({ as: 'global' }, ({ responseValue, set }) => {
        // JSON.stringify leaves its fast path for the whole value when it meets a Date; turning Dates
        // into their ISO strings first (exactly what toJSON gives) halves the cost of a document.
        if (responseValue === null || typeof responseValue !== 'object' || !hasDateInside(responseValue))
          return;
        // The content type Response.json would give; Elysia answers a string with `set` as its init.
        set.headers['content-type'] = 'application/json;charset=utf-8';
        return JSON.stringify(withoutDates(responseValue)) as unknown as Response;
      })
      .onAfterResponse({ as: 'global' }, ({ request, set, route, responseValue }) => {
        const info = (set as MetaHolder)[META];
        const status =
          info?.status ??
          (responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200));
        (PROBE_ROUTES.has(route) ? logger.debug : logger.info)('request', {
          requestId: info?.id,
          method: request.method,
          route: route || pathOf(request.url),
          status,
          durationMs: info ? Math.round((performance.now() - info.startedAt) * 100) / 100 : undefined,
        });
      })
      .as('global')
  );

  function toErrorResponse({
    code,
    error,
    requestId,
    request,
  }: {
    code: unknown;
    error: unknown;
    requestId: string | undefined;
    request: Request;
  }): Response {
    if (error instanceof AppError) {
      return errorResponse(error.status, error.code, error.message, error.details, error.headers);
    }
    switch (code) {
      case 'VALIDATION':
        return errorResponse(422, 'VALIDATION_FAILED', 'The request is invalid', {
          issues: validationIssues(error as ElysiaValidationError),
        });
      case 'PARSE': {
        // JSON-only routes parse every body as JSON: a form sent there is the wrong type, not bad JSON.
        const type = request.headers.get('content-type')?.toLowerCase() ?? '';
        if (!type.includes('json')) {
          return errorResponse(415, 'UNSUPPORTED_MEDIA_TYPE', 'This route takes application/json');
        }
        return errorResponse(422, 'MALFORMED_BODY', 'The request body could not be parsed');
      }
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
        return errorResponse(500, 'INTERNAL', 'Something went wrong on our side');
      }
    }
  }
}
