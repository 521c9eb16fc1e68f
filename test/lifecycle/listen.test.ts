import { afterEach, describe, expect, test } from 'bun:test';
import { RawConnection, ServerProcess } from './server-process.ts';

const started: ServerProcess[] = [];
const track = (server: ServerProcess) => {
  started.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

/** Runs a server that should refuse to start: its exit code and stderr, or a failure if it listens. */
async function expectRefusal(env: Record<string, string>) {
  const server = track(ServerProcess.launch(env));
  const outcome = await Promise.race([
    server.proc.exited.then((code) => ({ code })),
    server
      .waitFor((line) => line.msg === 'listening', 'the listening line')
      .then((line) => ({ listening: line }))
      .catch(() => new Promise<never>(() => {})),
  ]);
  expect(outcome).not.toHaveProperty('listening');
  return { code: (outcome as { code: number }).code, stderr: await server.stderrRead, server };
}

describe('listening', () => {
  test('a port another HealthVision already listens on: one line on stderr, exit 69, no stack', async () => {
    const first = track(await ServerProcess.start());
    const { code, stderr, server } = await expectRefusal({ PORT: String(first.port) });
    expect(code).toBe(69);
    expect(stderr).toBe(
      `PORT ${first.port} is already in use on 127.0.0.1; stop the other server or set PORT to a free port (PORT=0 picks one)\n`,
    );
    expect(server.lines.map((line) => line.msg)).not.toContain('listening');
    // The first server still answers alone.
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
  });

  test('a port held by another program: the same line and exit code', async () => {
    const holder = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    try {
      const { code, stderr } = await expectRefusal({ PORT: String(holder.port) });
      expect(code).toBe(69);
      expect(stderr).toStartWith(`PORT ${holder.port} is already in use on 127.0.0.1;`);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      holder.stop(true);
    }
  });

  test('the default HOST answers on IPv4 and IPv6 loopback, so localhost works either way', async () => {
    const server = track(await ServerProcess.start({ HOST: '' }));
    const listening = server.lines.find((line) => line.msg === 'listening');
    expect(listening).toMatchObject({ host: '::', url: `http://localhost:${server.port}` });
    for (const origin of [`http://127.0.0.1:${server.port}`, `http://[::1]:${server.port}`]) {
      const response = await fetch(`${origin}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    }
  });
});

describe('bodies over the limit on a real server', () => {
  const envelope = {
    error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body exceeds 1048576 bytes' },
  };

  test('3 MB declared in Content-Length to /auth/login: 413 in the envelope', async () => {
    const server = track(await ServerProcess.start());
    const connection = await RawConnection.open(server.port);
    connection.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${3 * 1024 * 1024}\r\n\r\n{"email":"${'a'.repeat(1000)}`,
    );
    const response = await connection.response();
    connection.close();
    expect(response?.status).toBe(413);
    expect(response!.headers.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(response!.body)).toEqual(envelope);
  });

  test('3 MB chunked to /auth/login: 413 in the envelope once the limit is passed', async () => {
    const server = track(await ServerProcess.start());
    const connection = await RawConnection.open(server.port);
    connection.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n',
    );
    const chunk = 'x'.repeat(64 * 1024);
    const response = connection.response();
    for (let sent = 0; sent < 3 * 1024 * 1024; sent += chunk.length) {
      if (!(await connection.writeUnlessClosed(`${chunk.length.toString(16)}\r\n${chunk}\r\n`))) break;
    }
    const answer = await response;
    connection.close();
    expect(answer?.status).toBe(413);
    expect(JSON.parse(answer!.body)).toEqual(envelope);
  });

  test('broken chunked framing is the fault of the client: no error line, no 500 in the access log', async () => {
    const server = track(await ServerProcess.start());
    const connection = await RawConnection.open(server.port);
    connection.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\nX-Request-Id: broken-chunks\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    );
    await connection.response();
    connection.close();
    const line = await server.waitFor(
      (l) => l.msg === 'request' && l.requestId === 'broken-chunks',
      'the access line of the broken request',
    );
    expect(line.status).toBe(422);
    expect(server.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
