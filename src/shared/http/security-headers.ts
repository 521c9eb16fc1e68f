/** Headers every response carries (Elysia copies them into each response's headers in one step). */
export const SECURITY_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** API answers are per user and per moment: no cache may keep them. */
export const cacheHeadersFor = (path: string, headers: Record<string, unknown>): void => {
  if (path.startsWith('/api')) headers['cache-control'] = 'no-store';
};
