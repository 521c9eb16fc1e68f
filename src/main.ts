import { createApp, uploadBodyLimits } from './app.ts';
import { loadConfigOrExit } from './config.ts';
import { buildContainer } from './container.ts';
import { startJobs } from './jobs/index.ts';
import { flushLogs } from './shared/logger.ts';

async function main(): Promise<void> {
  const config = loadConfigOrExit();

  const container = await buildContainer(config);
  const { logger } = container;
  const app = createApp(container).listen({
    hostname: config.HOST,
    port: config.PORT,
    // Bun's own guard; the app answers 413 in the envelope before this for declared lengths.
    maxRequestBodySize:
      Math.max(config.BODY_LIMIT_BYTES, ...Object.values(uploadBodyLimits(config))) + 64 * 1024,
  });
  const jobs = startJobs(container);
  logger.info('listening', {
    url: `http://${config.HOST}:${app.server?.port}`,
    store: container.store.kind,
    env: config.NODE_ENV,
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { signal });
    const server = app.server;
    const drained = server?.stop(false) ?? Promise.resolve();
    const timedOut = await Promise.race([
      drained.then(() => false),
      Bun.sleep(config.SHUTDOWN_GRACE_MS).then(() => true),
    ]);
    if (timedOut) {
      logger.warn('in-flight requests did not finish in time; closing them', {
        graceMs: config.SHUTDOWN_GRACE_MS,
      });
      await server?.stop(true);
    }
    // After-response hooks (the access log line) run on the next turn; let the last requests' hooks finish.
    await new Promise((resolve) => setImmediate(resolve));
    await jobs.stop();
    await container.close();
    logger.info('stopped');
    flushLogs();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
