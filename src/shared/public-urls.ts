import { Elysia, ElysiaStatus } from 'elysia';

/** Response fields holding a link a browser follows on another origin (the frontend's). */
const URL_FIELDS = new Set(['avatarUrl']);
/** Users and doctors sit at most this deep in a response: `{ items: [{ doctor: { avatarUrl } }] }`. */
const MAX_DEPTH = 4;

const FORWARDED_HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin a client reached this server at: the request's own, or behind a trusted proxy
 * (TRUST_PROXY) the last `X-Forwarded-Proto` / `X-Forwarded-Host` the proxy set.
 */
export function requestOrigin(request: Request, trustProxy: boolean): string {
  const own = new URL(request.url);
  if (!trustProxy) return own.origin;
  const last = (name: string) => request.headers.get(name)?.split(',').at(-1)?.trim().toLowerCase();
  const proto = last('x-forwarded-proto');
  const host = last('x-forwarded-host');
  const scheme = proto === 'http' || proto === 'https' ? proto : own.protocol.slice(0, -1);
  return `${scheme}://${host && FORWARDED_HOST.test(host) ? host : own.host}`;
}

/**
 * Makes every server-relative link field (`/media/...`) in a response's plain objects and arrays
 * absolute, in place; `origin` is asked for only when there is one.
 */
export function absolutizeUrls(value: unknown, origin: () => string, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (const item of value) absolutizeUrls(item, origin, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (typeof item === 'string') {
      if (URL_FIELDS.has(key) && item.startsWith('/') && !item.startsWith('//'))
        record[key] = origin() + item;
    } else if (item !== null && typeof item === 'object') absolutizeUrls(item, origin, depth + 1);
  }
}

/**
 * Links the server hands out are stored relative to it (`/media/avatars/...`) and made absolute at the
 * response edge, from PUBLIC_URL when set, else from the origin the request came to: an `<img>` on the
 * frontend's own origin then still reaches this server. Absolute links (ImageKit's) pass unchanged.
 */
export function publicUrls(options: { publicUrl: string | undefined; trustProxy: boolean }) {
  const fixed = options.publicUrl?.replace(/\/+$/, '');
  return new Elysia({ name: 'public-urls' })
    .onAfterHandle({ as: 'global' }, ({ request, responseValue }) => {
      // `status(201, body)` hands the body over wrapped.
      const body = responseValue instanceof ElysiaStatus ? responseValue.response : responseValue;
      let origin = fixed;
      absolutizeUrls(body, () => (origin ??= requestOrigin(request, options.trustProxy)));
    })
    .as('global');
}
