import { requestContext } from '../request-context.ts';

/** What the HTTP plugin remembers about a request between its hooks. */
export interface RequestMeta {
  id: string;
  startedAt: number;
  status?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Kept on the per-request `set` object, which every hook of the request receives. */
const META = Symbol('http-basics.meta');
type MetaHolder = { [META]?: RequestMeta };

/**
 * Names the request: the caller's `X-Request-Id` when it is a safe token, a fresh UUID otherwise. The id
 * is echoed in the response and carried by every log line written while the request is served.
 */
export function identifyRequest(request: Request, set: object): RequestMeta {
  const given = request.headers.get('x-request-id');
  const id = given !== null && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  const meta: RequestMeta = { id, startedAt: performance.now() };
  (set as MetaHolder)[META] = meta;
  requestContext.enterWith({ requestId: id });
  return meta;
}

/** What `identifyRequest` remembered for this request (none when a hook runs before it). */
export const requestMetaOf = (set: object): RequestMeta | undefined => (set as MetaHolder)[META];

/** The path of an absolute request URL, without the cost of a `URL` object on every request. */
export const pathOf = (url: string): string => {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.indexOf('?', start);
  return url.slice(start, end < 0 ? undefined : end);
};
