/**
 * What every route of the app does around its handler, written by hand for the twins: the same response
 * headers (security, CORS, cache-control on /api), a request id (the client's when well-formed, else a
 * fresh one), one JSON access-log line per request gathered and written to stdout once per event-loop
 * turn, and HS256 access tokens checked as the auth plugin checks them. A twin that skips any of this
 * would make the ratio beside it measure that work instead of our layers.
 *
 * Tokens are verified with the library the app uses (@elysiajs/jwt over jose, WebCrypto HMAC), as bun:sqlite
 * runs the twins' SQL; `TWIN_JWT=hmac` verifies by hand with node:crypto instead, which shows what the
 * library itself costs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { jwt } from '@elysiajs/jwt';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The headers src/shared/http.ts and @elysiajs/cors put on every answer (no Origin sent). */
const COMMON_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'access-control-allow-credentials': 'true',
  'access-control-allow-headers': 'authorization, content-type, idempotency-key, x-request-id',
  'access-control-expose-headers': 'x-request-id, retry-after, idempotent-replayed',
  vary: 'Origin',
  'content-type': 'application/json;charset=utf-8',
};

export type LogLevel = 'debug' | 'info';

let pending = '';
let flushScheduled = false;
const flush = (): void => {
  flushScheduled = false;
  const out = pending;
  pending = '';
  process.stdout.write(out);
};

/** One JSON line, buffered like the app's logger; `minimum` is the server's LOG_LEVEL. */
export function logLine(level: LogLevel, msg: string, fields: Record<string, unknown>, minimum: LogLevel) {
  if (level === 'debug' && minimum !== 'debug') return;
  pending += `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`;
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flush);
}

export interface Exchange {
  request: Request;
  requestId: string;
  startedAt: number;
  path: string;
}

export function begin(request: Request): Exchange {
  const given = request.headers.get('x-request-id');
  const url = request.url;
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const end = url.indexOf('?', start);
  return {
    request,
    requestId: given !== null && REQUEST_ID.test(given) ? given : crypto.randomUUID(),
    startedAt: performance.now(),
    path: url.slice(start, end < 0 ? undefined : end),
  };
}

/** The answer with every common header, and its access-log line. */
export function finish(
  exchange: Exchange,
  route: string,
  status: number,
  body: string,
  logLevel: LogLevel,
  extra?: Record<string, string>,
): Response {
  const headers: Record<string, string> = {
    ...COMMON_HEADERS,
    'access-control-allow-methods': exchange.request.method,
    'x-request-id': exchange.requestId,
    ...extra,
  };
  if (exchange.path.startsWith('/api')) headers['cache-control'] = 'no-store';
  const probe = route === '/health' || route === '/ready';
  logLine(
    probe ? 'debug' : 'info',
    'request',
    {
      requestId: exchange.requestId,
      method: exchange.request.method,
      route,
      status,
      durationMs: Math.round((performance.now() - exchange.startedAt) * 100) / 100,
    },
    logLevel,
  );
  return new Response(body, { status, headers });
}

export const envelope = (code: string, message: string, details?: unknown): string =>
  JSON.stringify({ error: { code, message, ...(details === undefined ? {} : { details }) } });

const ACCESS_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' })).toString('base64url');

export interface AccessClaims {
  sub: string;
  role: string;
  sid: string;
  exp: number;
  iss: string;
  aud: string;
}

/** An access token as the app's TokenService signs one (HS256, `typ: at+jwt`, iss, aud, exp). */
export function signAccess(secret: string, claims: AccessClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${ACCESS_HEADER}.${payload}`).digest('base64url');
  return `${ACCESS_HEADER}.${payload}.${signature}`;
}

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i;
const ROLES = ['patient', 'doctor', 'admin'];

export interface TokenSettings {
  secret: string;
  issuer: string;
  audience: string;
}

/** A verifier of bearer access tokens; the claims, or null for anything that is not a valid token. */
export function accessVerifier(
  settings: TokenSettings,
  how: 'library' | 'hmac',
): (authorization: string | null, now: number) => Promise<AccessClaims | null> | AccessClaims | null {
  if (how === 'hmac')
    return (authorization, now) => verifyAccess(authorization, settings, Math.floor(now / 1000));
  const signer = jwt({
    secret: settings.secret,
    alg: 'HS256',
    typ: 'at+jwt',
    iss: settings.issuer,
    aud: settings.audience,
  }).decorator.jwt;
  // As the app's TokenService: a token verified once is remembered by its text (10,000 at most, oldest
  // out first) and only its exp is checked again, against now.
  const verified = new Map<string, AccessClaims>();
  return async (authorization, now) => {
    const token = authorization === null ? undefined : BEARER.exec(authorization)?.[1];
    if (!token) return null;
    const known = verified.get(token);
    if (known !== undefined) {
      if (known.exp > Math.floor(now / 1000)) return known;
      verified.delete(token);
    }
    // The signature in its one spelling, as the app checks it before verifying.
    const signature = token.slice(token.lastIndexOf('.') + 1);
    if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) return null;
    const claims = await signer.verify(token, {
      algorithms: ['HS256'],
      typ: 'at+jwt',
      issuer: settings.issuer,
      audience: settings.audience,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'sub'],
    });
    if (!claims || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return null;
    if (!ROLES.includes(claims.role as string)) return null;
    if (verified.size >= 10_000) verified.delete(verified.keys().next().value!);
    verified.set(token, claims as unknown as AccessClaims);
    return claims as unknown as AccessClaims;
  };
}

/**
 * The checks the auth plugin makes before its session read: a bearer token, an HS256 signature, the
 * header's `alg` and `typ`, `iss`, `aud`, `exp` against now, and claims of the right shape.
 */
export function verifyAccess(
  authorization: string | null,
  settings: TokenSettings,
  nowSeconds: number,
): AccessClaims | null {
  const token = authorization === null ? undefined : BEARER.exec(authorization)?.[1];
  if (!token) return null;
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return null;
  const expected = createHmac('sha256', settings.secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    if (head.alg !== 'HS256' || head.typ !== 'at+jwt') return null;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessClaims;
    if (claims.iss !== settings.issuer || claims.aud !== settings.audience) return null;
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return null;
    if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || !ROLES.includes(claims.role))
      return null;
    return claims;
  } catch {
    return null;
  }
}
