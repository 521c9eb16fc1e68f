import type { Logger } from '../logger.ts';
import { pathOf, type RequestMeta } from './request-id.ts';

/** One line per request, written after its response is sent. */
export function logAccess(
  logger: Logger,
  {
    request,
    route,
    status,
    meta,
  }: { request: Request; route: string; status: number; meta: RequestMeta | undefined },
): void {
  logger.info('request', {
    requestId: meta?.id,
    method: request.method,
    route: route || pathOf(request.url),
    status,
    durationMs: meta ? Math.round((performance.now() - meta.startedAt) * 100) / 100 : undefined,
  });
}
