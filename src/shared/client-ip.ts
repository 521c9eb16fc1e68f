/**
 * The address a request came from. Behind a trusted proxy (TRUST_PROXY) it is the last hop the proxy
 * appended to `X-Forwarded-For`; otherwise the socket's address, so a client cannot pick its own.
 */
export function clientIp(
  request: Request,
  server: { requestIP(request: Request): { address: string } | null } | null | undefined,
  trustProxy: boolean,
): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for');
    const last = forwarded?.split(',').at(-1)?.trim();
    if (last) return last.slice(0, 64);
  }
  return server?.requestIP(request)?.address ?? 'unknown';
}
