/**
 * A loopback stand-in for Resend's HTTP API (https://resend.com/docs/api-reference/emails/send-email):
 * `POST /emails` with `Authorization: Bearer <key>` and a JSON body; answers `200 { id }`, or the
 * documented error shape `{ statusCode, name, message }` when told to fail.
 */
export interface ReceivedEmail {
  authorization: string | null;
  contentType: string | null;
  userAgent: string | null;
  body: {
    from: string;
    to: string | string[];
    subject: string;
    text?: string;
    html?: string;
    [key: string]: unknown;
  };
}

export interface ResendFake {
  url: string;
  received: ReceivedEmail[];
  failNext(status: number, name: string, message: string): void;
  stop(): Promise<void>;
}

export function startResendFake(): ResendFake {
  const received: ReceivedEmail[] = [];
  let failure: { status: number; name: string; message: string } | null = null;
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
      received.push({
        authorization,
        contentType: request.headers.get('content-type'),
        userAgent: request.headers.get('user-agent'),
        body: (await request.json()) as ReceivedEmail['body'],
      });
      if (failure) {
        const { status, name, message } = failure;
        failure = null;
        return Response.json({ statusCode: status, name, message }, { status });
      }
      return Response.json({ id: crypto.randomUUID() });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    received,
    failNext(status, name, message) {
      failure = { status, name, message };
    },
    stop: () => server.stop(true),
  };
}
