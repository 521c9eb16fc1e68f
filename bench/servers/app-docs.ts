/**
 * The real app (every plugin, logging on) plus one bench-only route reading a document by id through the
 * document layer. Configured from the environment like src/main.ts; BENCH_* never reaches src/.
 */
import { t } from 'elysia';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildContainer } from '../../src/container.ts';
import { ErrorEnvelope } from '../../src/shared/error-schema.ts';
import { NotFoundError } from '../../src/shared/errors.ts';
import { BenchDoc, BenchDocs } from '../fixtures.ts';

const config = loadConfig();
const container = await buildContainer(config);
await container.store.engine.init([BenchDocs]);
const docs = container.store.collection(BenchDocs);

const app = createApp(container)
  .get(
    '/bench/docs/:id',
    async ({ params }) => {
      const doc = await docs.findById(params.id);
      if (!doc) throw new NotFoundError('No such document');
      return doc;
    },
    {
      params: t.Object({ id: t.String() }),
      response: { 200: BenchDoc, 404: ErrorEnvelope },
    },
  )
  .listen({ hostname: config.HOST, port: config.PORT });

process.on('SIGTERM', async () => {
  await app.stop();
  await container.close();
  process.exit(0);
});
