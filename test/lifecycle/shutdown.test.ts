import { afterEach, describe, expect, test } from 'bun:test';
import { RawConnection, ServerProcess } from './server-process.ts';

const started: ServerProcess[] = [];
const start = async (env: Record<string, string> = {}) => {
  const server = await ServerProcess.start(env);
  started.push(server);
  return server;
};
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

/**
 * Opens a POST whose chunked body is left unfinished, so the request stays in flight until the test
 * sends the rest. A complete request on another connection afterwards is the barrier that proves the
 * server has already read the unfinished one (its bytes arrived first).
 */
async function openUnfinishedRequest(server: ServerProcess, requestId: string): Promise<RawConnection> {
  const connection = await RawConnection.open(server.port);
  connection.write(
    'POST /api/v1/in-flight HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      `X-Request-Id: ${requestId}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n`,
  );
  const barrier = await fetch(`${server.url}/health`);
  expect(barrier.status).toBe(200);
  return connection;
}

const isRequest = (requestId: string) => (line: { msg: string; requestId?: unknown }) =>
  line.msg === 'request' && line.requestId === requestId;

describe('graceful shutdown', () => {
  test('SIGTERM stops accepting, lets the in-flight request finish, closes and exits 0', async () => {
    const server = await start({ SHUTDOWN_GRACE_MS: '60000' });
    const requestId = `in-flight-${crypto.randomUUID()}`;
    const connection = await openUnfinishedRequest(server, requestId);

    server.proc.kill('SIGTERM');
    await server.waitFor(
      (line) => line.msg === 'shutting down' && line.signal === 'SIGTERM',
      'shutting down',
    );

    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    expect(server.proc.exitCode).toBeNull();
    expect(server.indexOf((line) => line.msg === 'stopped')).toBe(-1);

    connection.write('2\r\n1}\r\n0\r\n\r\n');
    const response = await connection.response();
    expect(response?.status).toBe(404);
    expect(JSON.parse(response!.body)).toEqual({ error: { code: 'NOT_FOUND', message: 'No such route' } });
    expect(response!.headers.toLowerCase()).toContain(`x-request-id: ${requestId}`);

    expect(await server.proc.exited).toBe(0);
    await server.waitFor((line) => line.msg === 'stopped', 'stopped');
    const shuttingDown = server.indexOf((line) => line.msg === 'shutting down');
    const inFlight = server.indexOf(isRequest(requestId));
    const stopped = server.indexOf((line) => line.msg === 'stopped');
    expect(server.lines[inFlight]).toMatchObject({ method: 'POST', status: 404 });
    expect(shuttingDown).toBeLessThan(inFlight);
    expect(inFlight).toBeLessThan(stopped);
    // Closed in the reverse of their opening, the servers first: the request finished before anything closed,
    // and the sockets (1001) before the HTTP server drains, which would otherwise wait on them.
    const closed = server.lines.filter((line) => line.msg === 'closed').map((line) => line.resource);
    expect(closed).toEqual(['websocket server', 'http server', 'jobs', 'outbox deliverer', 'store']);
    expect(inFlight).toBeLessThan(
      server.indexOf((line) => line.msg === 'closed' && line.resource === 'http server'),
    );
    expect(server.lines.some((line) => line.msg.includes('did not finish in time'))).toBe(false);
  });

  test('SIGINT drains and exits 0 the same way', async () => {
    const server = await start();
    const response = await fetch(`${server.url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });

    server.proc.kill('SIGINT');
    expect(await server.proc.exited).toBe(0);
    await server.waitFor((line) => line.msg === 'stopped', 'stopped');
    expect(server.lines.find((line) => line.msg === 'shutting down')?.signal).toBe('SIGINT');
  });

  test('a request that outlives SHUTDOWN_GRACE_MS is cut off and the process still exits 0', async () => {
    const server = await start({ SHUTDOWN_GRACE_MS: '100' });
    const requestId = `stuck-${crypto.randomUUID()}`;
    const connection = await openUnfinishedRequest(server, requestId);

    server.proc.kill('SIGTERM');
    expect(await server.proc.exited).toBe(0);
    expect(await connection.response()).toBeNull();

    await server.waitFor((line) => line.msg === 'stopped', 'stopped');
    const warning = server.indexOf((line) => line.msg.includes('did not finish in time'));
    expect(server.lines[warning]).toMatchObject({ level: 'warn', graceMs: 100 });
    const cutOff = server.indexOf(isRequest(requestId));
    // Its body never arrived: logged as the malformed body it is, not as an error of ours.
    expect(server.lines[cutOff]).toMatchObject({ method: 'POST', status: 422 });
    expect(server.lines.filter((line) => line.level === 'error')).toEqual([]);
    expect(warning).toBeLessThan(cutOff);
  });
});
