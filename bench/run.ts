/**
 * `bun run bench`: HealthVision beside twins that do the same work, in one run, on embedded SQLite.
 *
 *   (a) GET /health through the whole app (src/main.ts) vs Bun.serve with the same headers, request id
 *       and access log (a probe's line is at debug, so at LOG_LEVEL=info neither side writes one)
 *   (b) one document read by id through the document layer over HTTP vs Bun.serve + bun:sqlite, each
 *       with the headers, request id and access-log line
 *   (c) the document layer alone at 100k documents vs the same statements on bun:sqlite
 *   (d)-(f) the booking paths users wait on, each beside its twin: see bench/booking.ts
 *   (g)-(h) the wallet checkout path (hold + pay) and webhook intake, beside the twin: bench/payments.ts
 *   (i) the signaling relay (WebSocket) beside a bare Bun.serve publish twin: see bench/signaling.ts
 *
 * Servers are pinned to core 1 and wrk to core 0. Each figure is the median of the rounds, the two
 * sides alternating. Beside req/s the table shows CPU time per request (server process) or per
 * operation, which moves much less than req/s when something else shares the machine; targets are
 * judged on the CPU ratio, the median of the rounds' own ratios where the sides ran in rounds.
 * Options: --rounds=N (default 9), --seconds=N (a round's length on the slower side, default 3),
 * --warmup=N (requests each server answers first, default 24,000), --quick (1 round of 2 s, 2,000 to warm up),
 * --twin-jwt=hmac (the booking twin verifies tokens by hand rather than with the app's JWT library).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/db/index.ts';
import { bookingRows } from './booking.ts';
import { BenchDocs, seed } from './fixtures.ts';
import {
  BUN,
  CONNECTIONS,
  compareHttp,
  ensureWrk,
  freePort,
  httpRow,
  pinning,
  printTable,
  quick,
  ROOT,
  type Row,
  rounds,
  sameJson,
  scratchDir,
  seconds,
  startServer,
  warmupRequests,
} from './harness.ts';
import { paymentRows } from './payments.ts';
import { signalingRow } from './signaling.ts';

const layerSeconds = quick ? 0.5 : 1.5;

async function main(): Promise<void> {
  ensureWrk();
  const pin = pinning();
  const work = scratchDir('hv-bench-');
  const rows: Row[] = [];
  const started = performance.now();
  console.log(
    `HealthVision bench: Bun ${Bun.version}, ${availableParallelism()} cores, wrk -t1 -c${CONNECTIONS}, ` +
      `${warmupRequests.toLocaleString('en-US')} requests to warm each server up, then ${rounds} round(s) of about ${seconds} s, median\n`,
  );

  try {
    // (a) GET /health through the whole app, stdout to /dev/null.
    const healthDir = join(work, 'health');
    mkdirSync(healthDir);
    const health = await compareHttp(
      {
        name: '(a)',
        app: {
          label: 'src/main.ts (all middleware)',
          start: () => {
            const port = freePort();
            const env = { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: healthDir, LOG_LEVEL: 'info' };
            return startServer([...pin.server, BUN, 'src/main.ts'], env, port, '/health');
          },
        },
        bare: {
          label: 'Bun.serve, same headers/id/log',
          start: () => {
            const port = freePort();
            const command = [...pin.server, BUN, 'bench/servers/bare-health.ts', String(port), 'info'];
            return startServer(command, {}, port, '/');
          },
        },
        load: () => ({ path: '/health' }),
        check: sameJson('/health'),
      },
      pin,
    );
    rows.push(httpRow('(a) GET /health', 'Bun.serve, same headers/id/log', health, 0.8));

    // (b) a document by id through the document layer, over HTTP.
    const docsDir = join(work, 'docs');
    const database = join(docsDir, 'healthvision.sqlite');
    const store = await openStore(`sqlite:${database}`, [BenchDocs]);
    const ids = await seed(store.collection(BenchDocs), 1000);
    await store.close();
    const docPath = `/bench/docs/${ids[500]}`;
    const read = await compareHttp(
      {
        name: '(b)',
        app: {
          label: 'app + findById (all middleware)',
          start: () => {
            const port = freePort();
            const env = { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: docsDir, LOG_LEVEL: 'info' };
            return startServer([...pin.server, BUN, 'bench/servers/app-docs.ts'], env, port, docPath);
          },
        },
        bare: {
          label: 'Bun.serve + bun:sqlite, same h/id/log',
          start: () => {
            const port = freePort();
            const command = [...pin.server, BUN, 'bench/servers/bare-docs.ts', String(port), database];
            return startServer(command, {}, port, docPath);
          },
        },
        load: () => ({ path: docPath }),
        check: sameJson(docPath),
      },
      pin,
    );
    rows.push(httpRow('(b) GET a document by id', 'Bun.serve + bun:sqlite', read, 0.6));

    // (c) the document layer alone, in its own pinned process.
    console.log('  (c) document layer at 100k documents ...');
    const layerDir = join(work, 'layer');
    mkdirSync(layerDir);
    const layerRun = Bun.spawnSync(
      [...pin.server, BUN, 'bench/layer.ts', layerDir, String(layerSeconds), String(rounds)],
      { cwd: ROOT, stdout: 'pipe', stderr: 'inherit' },
    );
    if (layerRun.exitCode !== 0) throw new Error('bench/layer.ts failed');
    const layer = JSON.parse(layerRun.stdout.toString().trim().split('\n').at(-1)!) as {
      docs: number;
      seedSeconds: number;
      plan: string;
      results: { name: string; direct: number; layer: number; directCpuUs: number; layerCpuUs: number }[];
    };
    for (const result of layer.results) {
      rows.push({
        name: `(c) ${result.name}`,
        twin: 'same SQL on bun:sqlite',
        bare: result.direct,
        app: result.layer,
        unit: 'ops/s',
        cpuUs: { bare: result.directCpuUs, app: result.layerCpuUs },
        target: 0.7,
      });
    }
    console.log(
      `  (c) seeded ${layer.docs.toLocaleString('en-US')} documents in ${layer.seedSeconds.toFixed(1)} s; range plan: ${layer.plan}`,
    );

    rows.push(...(await bookingRows(pin, join(work, 'booking'))));
    rows.push(await signalingRow(pin, work));
    rows.push(...(await paymentRows(pin, join(work, 'payments'))));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  printTable(rows);
  console.log(`Whole bench: ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

await main();
