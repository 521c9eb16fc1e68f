import { Elysia } from 'elysia';
import { logAccess } from './http/access-log.ts';
import { type BodyLimits, bodyGuard } from './http/body-limits.ts';
import { toErrorResponse } from './http/error-envelope.ts';
import { identifyRequest, pathOf, requestMetaOf } from './http/request-id.ts';
import { cacheHeadersFor, SECURITY_HEADERS } from './http/security-headers.ts';
import type { Logger } from './logger.ts';

// What controllers use, from where they have always imported it.
export { accepts, mediaTypeOf, unsupportedMediaType } from './http/media-types.ts';

/**
 * Cross-cutting HTTP behaviour in one plugin, one file per job under `http/`: request ids, security
 * headers, the body size guard, the single error envelope and one JSON log line per request.
 */
export function httpBasics(options: { logger: Logger } & BodyLimits) {
  const { logger } = options;
  const guardBody = bodyGuard(options);

  return (
    new Elysia({ name: 'http-basics' })
      // Default headers: Elysia copies them into every response's headers in one step.
      .headers(SECURITY_HEADERS)
      .onRequest(({ request, set }) => {
        set.headers['x-request-id'] = identifyRequest(request, set).id;
        const path = pathOf(request.url);
        cacheHeadersFor(path, set.headers);
        return guardBody(request, path);
      })
      .onError({ as: 'global' }, ({ code, error, set }) => {
        // Destructured on purpose: given the whole context, Elysia assumes every part of it is used and
        // parses cookies, query and headers on every request.
        const meta = requestMetaOf(set);
        const response = toErrorResponse({ code, error, requestId: meta?.id }, logger);
        if (meta) meta.status = response.status;
        return response;
      })
      .onAfterResponse({ as: 'global' }, ({ request, set, route, responseValue }) => {
        const meta = requestMetaOf(set);
        const status =
          meta?.status ??
          (responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200));
        logAccess(logger, { request, route, status, meta });
      })
      .as('global')
  );
}
