import type { Logger } from '../logger.ts';
import { pathOf, type RequestMeta } from './request-id.ts';

/** Probes come every few seconds: their lines are noise in a production log, so they go at `debug`. */
const PROBE_ROUTES = new Set(['/health', '/ready']);

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
  const line = {
    requestId: meta?.id,
    method: request.method,
    route: route || pathOf(request.url),
    status,
    durationMs: meta ? Math.round((performance.now() - meta.startedAt) * 100) / 100 : undefined,
  };
  if (PROBE_ROUTES.has(route)) logger.debug('request', line);
  else logger.info('request', line);
}
