/**
 * A loopback stand-in for Resend's HTTP API (https://resend.com/docs/api-reference/emails/send-email):
 * `POST /emails` with `Authorization: Bearer <key>` and a JSON body; answers `200 { id }`, or the
 * documented error shape `{ statusCode, name, message }` when told to fail.
 *
 * Like Resend, a request with an `Idempotency-Key` already accepted (same key, same body) is answered
 * with the first answer and sends nothing; `delivered` holds what a reader would receive, once each.
 */
export interface ReceivedEmail {
  authorization: string | null;
  contentType: string | null;
  userAgent: string | null;
  idempotencyKey: string | null;
  body: {
    from: string;
    to: string | string[];
    subject: string;
    text?: string;
    html?: string;
    attachments?: { filename?: string; content?: string; content_type?: string }[];
    [key: string]: unknown;
  };
}

export interface ResendFake {
  url: string;
  /** Every request that reached the API, refused ones included. */
  received: ReceivedEmail[];
  /** The messages accepted and sent, each once (a replayed idempotency key adds nothing). */
  delivered: ReceivedEmail[];
  failNext(status: number, name: string, message: string): void;
  /** The next `count` requests fail alike. */
  failTimes(count: number, status: number, name: string, message: string): void;
  /** The next request is answered only after `ms` (a provider that hangs). */
  stallNext(ms: number): void;
  /** Every request fails until `recover()`. */
  goDown(status?: number): void;
  recover(): void;
  /** Accepted messages to one address. */
  deliveredTo(address: string): ReceivedEmail[];
  stop(): Promise<void>;
}

export function startResendFake(): ResendFake {
  const received: ReceivedEmail[] = [];
  const delivered: ReceivedEmail[] = [];
  const accepted = new Map<string, { id: string; body: string }>();
  const failures: { status: number; name: string; message: string }[] = [];
  let down: number | null = null;
  let stall = 0;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (request.method !== 'POST' || pathname !== '/emails') {
        return Response.json({ statusCode: 404, name: 'not_found', message: 'Not found' }, { status: 404 });
      }
      const authorization = request.headers.get('authorization');
      if (!authorization?.startsWith('Bearer re_')) {
        return Response.json(
          {
            statusCode: 401,
            name: 'missing_api_key',
            message: 'Missing API key in the authorization header.',
          },
          { status: 401 },
        );
      }
      const text = await request.text();
      const email: ReceivedEmail = {
        authorization,
        contentType: request.headers.get('content-type'),
        userAgent: request.headers.get('user-agent'),
        idempotencyKey: request.headers.get('idempotency-key'),
        body: JSON.parse(text) as ReceivedEmail['body'],
      };
      received.push(email);
      if (stall > 0) {
        const ms = stall;
        stall = 0;
        await Bun.sleep(ms);
      }
      if (down !== null) {
        return Response.json(
          { statusCode: down, name: 'application_error', message: 'Service unavailable' },
          { status: down },
        );
      }
      const failure = failures.shift();
      if (failure) {
        const { status, name, message } = failure;
        return Response.json({ statusCode: status, name, message }, { status });
      }
      const key = email.idempotencyKey;
      const earlier = key ? accepted.get(key) : undefined;
      if (earlier) {
        if (earlier.body !== text) {
          return Response.json(
            {
              statusCode: 409,
              name: 'invalid_idempotent_request',
              message: 'Same idempotency key used with a different request payload.',
            },
            { status: 409 },
          );
        }
        return Response.json({ id: earlier.id });
      }
      const id = crypto.randomUUID();
      if (key) accepted.set(key, { id, body: text });
      delivered.push(email);
      return Response.json({ id });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    received,
    delivered,
    failNext(status, name, message) {
      failures.push({ status, name, message });
    },
    failTimes(count, status, name, message) {
      for (let i = 0; i < count; i++) failures.push({ status, name, message });
    },
    stallNext(ms) {
      stall = ms;
    },
    goDown(status = 503) {
      down = status;
    },
    recover() {
      down = null;
    },
    deliveredTo: (address) =>
      delivered.filter((r) => (Array.isArray(r.body.to) ? r.body.to : [r.body.to]).includes(address)),
    stop: () => server.stop(true),
  };
}
