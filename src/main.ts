import type { Server } from 'bun';
import { createApp } from './app.ts';
import { loadConfigOrExit } from './config.ts';
import { buildContainer } from './container.ts';
import { startJobs } from './jobs/index.ts';
import { flushLogs, type Logger } from './shared/logger.ts';

/** Exit code for a server that cannot listen (sysexits EX_UNAVAILABLE); a bad setting is 78. */
const EXIT_CANNOT_LISTEN = 69;

/** One line saying why the server cannot listen and what to change, for the errors a setting causes. */
function cannotListen(error: unknown, host: string, port: number): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return `PORT ${port} is already in use on ${host}; stop the other server or set PORT to a free port (PORT=0 picks one)`;
    case 'EACCES':
      return `PORT ${port} on ${host} needs privileges this process does not have; set PORT above 1023`;
    case 'EADDRNOTAVAIL':
      return `HOST ${host} is not an address of this machine; set HOST to one of its addresses, or :: for all`;
    case 'EAFNOSUPPORT':
      return `HOST ${host} needs IPv6, which this machine lacks; set HOST=0.0.0.0`;
    default:
      return typeof code === 'string' && code.startsWith('E')
        ? `Cannot listen on ${host} port ${port} (${code}); check HOST and PORT`
        : undefined;
  }
}

/** How the listening line shows the address: a wildcard host is reachable as localhost. */
const displayUrl = (host: string, port: number | undefined): string => {
  const shown = host === '::' || host === '0.0.0.0' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
};

/**
 * Stops taking connections and lets the requests in flight finish, for up to `graceMs`; then closes
 * the ones left.
 */
async function drain(
  server: Server<unknown> | null | undefined,
  graceMs: number,
  logger: Logger,
): Promise<void> {
  const drained = server?.stop(false) ?? Promise.resolve();
  const timedOut = await Promise.race([drained.then(() => false), Bun.sleep(graceMs).then(() => true)]);
  if (timedOut) {
    logger.warn('in-flight requests did not finish in time; closing them', { graceMs });
    await server?.stop(true);
  }
  // After-response hooks (the access log line) run on the next turn; let the last requests' hooks finish.
  await new Promise((resolve) => setImmediate(resolve));
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();

  // Opened in order: the store and the outbox deliverer (by the container), the jobs, the HTTP server.
  // A signal closes them in reverse, so in-flight requests finish while everything they use is still open.
  const container = await buildContainer(config);
  const { logger, resources } = container;
  await resources.open(
    'jobs',
    () => startJobs(container),
    (jobs) => jobs.stop(),
  );
  let app: ReturnType<typeof createApp>;
  try {
    app = await resources.open(
      'http server',
      () =>
        createApp(container).listen({
          hostname: config.HOST,
          port: config.PORT,
          // Elysia's default shares the port with any other process that asks the same: a second server
          // would start silently on a port already in use.
          reusePort: false,
          // The app's own guard answers 413 in the envelope for every body over its route's limit (declared
          // or measured as it arrives); Bun's bare 413 must never come first.
          maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        }),
      (listening) => drain(listening.server, config.SHUTDOWN_GRACE_MS, logger),
    );
  } catch (error) {
    await resources.closeAll();
    const line = cannotListen(error, config.HOST, config.PORT);
    if (!line) throw error;
    console.error(line);
    process.exit(EXIT_CANNOT_LISTEN);
  }
  // After the HTTP server, so it closes first: its sockets get 1001 before the server drains.
  await resources.open(
    'websocket server',
    () => container.signalingHub.open(),
    (hub) => hub.close(),
  );
  logger.info('listening', {
    url: displayUrl(config.HOST, app.server?.port),
    host: config.HOST,
    store: container.store.kind,
    env: config.NODE_ENV,
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { signal });
    await resources.closeAll();
    logger.info('stopped');
    flushLogs();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
