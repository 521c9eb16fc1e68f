/**
 * `bun run bench`: HealthVision beside its bare twins, in one run, on embedded SQLite.
 *
 *   (a) GET /health through the whole app (src/main.ts, logging on) vs a bare Bun.serve
 *   (b) one document read by id through the document layer over HTTP vs Bun.serve + bun:sqlite
 *   (c) the document layer alone at 100k documents vs the same statements on bun:sqlite
 *
 * Servers are pinned to core 1 and wrk to core 0. Each figure is the median of the rounds, the two
 * sides alternating. Beside req/s the table shows CPU time per request (server process) or per
 * operation, which holds steady when something else shares the machine; req/s does not.
 * Options: --rounds=N (default 3), --seconds=N (wrk run length, default 5), --quick (1 round of 2 s).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/db/index.ts';
import { BenchDocs, seed } from './fixtures.ts';
import { runWrk, type WrkResult } from './wrk.ts';

const ROOT = join(import.meta.dir, '..');
const BUN = process.execPath;
const CONNECTIONS = 64;
const WARMUP_SECONDS = 1;

const flag = (name: string): string | undefined =>
  Bun.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const quick = Bun.argv.includes('--quick');
const rounds = Number(flag('rounds') ?? (quick ? 1 : 3));
const seconds = Number(flag('seconds') ?? (quick ? 2 : 5));
const layerSeconds = quick ? 0.5 : 1.5;

function ensureWrk(): void {
  if (Bun.which('wrk')) return;
  const root = process.getuid?.() === 0;
  if (root && Bun.which('apt-get')) {
    console.log('wrk is not installed; installing it with apt-get ...');
    let install = Bun.spawnSync(['apt-get', 'install', '-y', '-qq', 'wrk'], {
      stdout: 'ignore',
      stderr: 'pipe',
    });
    if (install.exitCode !== 0) {
      Bun.spawnSync(['apt-get', 'update', '-qq'], { stdout: 'ignore', stderr: 'ignore' });
      install = Bun.spawnSync(['apt-get', 'install', '-y', '-qq', 'wrk'], {
        stdout: 'ignore',
        stderr: 'pipe',
      });
    }
    if (install.exitCode === 0 && Bun.which('wrk')) return;
    console.error(install.stderr.toString());
  }
  console.error(
    'The benchmark needs the wrk load generator, which is not installed and could not be installed here.\n' +
      'Install it and run again: `apt-get install wrk` (Debian/Ubuntu, as root), `brew install wrk` (macOS).',
  );
  process.exit(1);
}

function pinning(): { server: string[]; client: string[] } {
  if (availableParallelism() >= 2 && Bun.which('taskset')) {
    return { server: ['taskset', '-c', '1'], client: ['taskset', '-c', '0'] };
  }
  console.warn(
    'warning: fewer than 2 cores or no taskset; server and wrk share the CPU, figures are indicative',
  );
  return { server: [], client: [] };
}

const freePort = (): number => {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const { port } = probe;
  probe.stop(true);
  if (port === undefined) throw new Error('could not find a free port');
  return port;
};

const CLOCK_TICKS_PER_SECOND = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100;

/** CPU time (user + system, all threads) a process has used so far, in microseconds; null off Linux. */
function cpuMicros(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a server process (stdout to /dev/null, so its logging is paid for but not kept) and waits for `readyPath`. */
async function startServer(
  command: string[],
  env: Record<string, string>,
  port: number,
  readyPath: string,
): Promise<Server> {
  const proc = Bun.spawn(command, { cwd: ROOT, env, stdin: 'ignore', stdout: 'ignore', stderr: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    if (proc.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${proc.exitCode}`);
    const ok = await fetch(url + readyPath)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) {
      return {
        url,
        pid: proc.pid,
        async stop() {
          proc.kill('SIGTERM');
          await proc.exited;
        },
      };
    }
    await Bun.sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`${command.join(' ')} did not answer ${readyPath} within 10 s`);
}

interface HttpSide {
  label: string;
  start(): Promise<Server>;
}

interface HttpFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU time per request: steadier than req/s when the machine is shared. */
  cpuUsPerRequest: number | null;
}

type HttpRun = WrkResult & { cpuUsPerRequest: number | null };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const medianFigures = (runs: HttpRun[]): HttpFigures => {
  const cpu = runs.map((r) => r.cpuUsPerRequest).filter((v): v is number => v !== null);
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuUsPerRequest: cpu.length ? median(cpu) : null,
  };
};

/** Both sides answer the same JSON, or the comparison means nothing. */
async function sameBody(app: Server, bare: Server, path: string): Promise<void> {
  const [a, b] = await Promise.all([app, bare].map((s) => fetch(s.url + path).then((r) => r.json())));
  if (!Bun.deepEquals(a, b)) {
    throw new Error(
      `${path}: the app and its twin answer differently:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`,
    );
  }
}

async function compareHttp(
  name: string,
  path: string,
  app: HttpSide,
  bare: HttpSide,
  pin: string[],
): Promise<{ app: HttpFigures; bare: HttpFigures }> {
  const runs: Record<'app' | 'bare', HttpRun[]> = { app: [], bare: [] };
  const sides = { app, bare };
  {
    const [a, b] = [await app.start(), await bare.start()];
    try {
      await sameBody(a, b, path);
    } finally {
      await a.stop();
      await b.stop();
    }
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const);
    for (const key of order) {
      const server = await sides[key].start();
      try {
        const url = server.url + path;
        runWrk({ url, seconds: WARMUP_SECONDS, connections: CONNECTIONS, pin });
        const cpuBefore = cpuMicros(server.pid);
        const wrk = runWrk({ url, seconds, connections: CONNECTIONS, pin });
        const cpuAfter = cpuMicros(server.pid);
        const cpuUsPerRequest =
          cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / wrk.requests;
        const result = { ...wrk, cpuUsPerRequest };
        runs[key].push(result);
        console.log(
          `  ${name} round ${round + 1}/${rounds} ${sides[key].label.padEnd(28)} ${fmtInt(result.requestsPerSecond)} req/s`,
        );
      } finally {
        await server.stop();
      }
    }
  }
  return { app: medianFigures(runs.app), bare: medianFigures(runs.bare) };
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);
const fmtMs = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)}ms`;

interface Row {
  name: string;
  twin: string;
  bare: number;
  app: number;
  unit: string;
  latency?: { bare: HttpFigures; app: HttpFigures };
  /** CPU microseconds per request or operation, twin and HealthVision. */
  cpuUs: { bare: number | null; app: number | null };
  target: number;
}

async function main(): Promise<void> {
  ensureWrk();
  const pin = pinning();
  const work = mkdtempSync(join(tmpdir(), 'hv-bench-'));
  const rows: Row[] = [];
  console.log(
    `HealthVision bench: Bun ${Bun.version}, ${availableParallelism()} cores, wrk -t1 -c${CONNECTIONS} -d${seconds}s ` +
      `(after a ${WARMUP_SECONDS}s warm-up), median of ${rounds} round(s)\n`,
  );

  try {
    // (a) GET /health through the whole app, logging on, stdout to /dev/null.
    const healthDir = join(work, 'health');
    mkdirSync(healthDir);
    const health = await compareHttp(
      '(a)',
      '/health',
      {
        label: 'src/main.ts (all middleware)',
        start: () => {
          const port = freePort();
          const env = { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: healthDir, LOG_LEVEL: 'info' };
          return startServer([...pin.server, BUN, 'src/main.ts'], env, port, '/health');
        },
      },
      {
        label: 'bare Bun.serve',
        start: () => {
          const port = freePort();
          return startServer(
            [...pin.server, BUN, 'bench/servers/bare-health.ts', String(port)],
            {},
            port,
            '/',
          );
        },
      },
      pin.client,
    );
    rows.push({
      name: '(a) GET /health',
      twin: 'bare Bun.serve',
      bare: health.bare.requestsPerSecond,
      app: health.app.requestsPerSecond,
      unit: 'req/s',
      latency: health,
      cpuUs: { bare: health.bare.cpuUsPerRequest, app: health.app.cpuUsPerRequest },
      target: 0.8,
    });

    // (b) a document by id through the document layer, over HTTP.
    const docsDir = join(work, 'docs');
    const database = join(docsDir, 'healthvision.sqlite');
    const store = await openStore(`sqlite:${database}`, [BenchDocs]);
    const ids = await seed(store.collection(BenchDocs), 1000);
    await store.close();
    const docPath = `/bench/docs/${ids[500]}`;
    const read = await compareHttp(
      '(b)',
      docPath,
      {
        label: 'app + findById (all middleware)',
        start: () => {
          const port = freePort();
          const env = { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: docsDir, LOG_LEVEL: 'info' };
          return startServer([...pin.server, BUN, 'bench/servers/app-docs.ts'], env, port, docPath);
        },
      },
      {
        label: 'bare Bun.serve + bun:sqlite',
        start: () => {
          const port = freePort();
          const command = [...pin.server, BUN, 'bench/servers/bare-docs.ts', String(port), database];
          return startServer(command, {}, port, docPath);
        },
      },
      pin.client,
    );
    rows.push({
      name: '(b) GET a document by id',
      twin: 'Bun.serve + bun:sqlite',
      bare: read.bare.requestsPerSecond,
      app: read.app.requestsPerSecond,
      unit: 'req/s',
      latency: read,
      cpuUs: { bare: read.bare.cpuUsPerRequest, app: read.app.cpuUsPerRequest },
      target: 0.6,
    });

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
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  printTable(rows);
  const missed = rows.filter((row) => row.app / row.bare < row.target);
  if (missed.length) console.log(`\n${missed.length} of ${rows.length} ratios below target.`);
  else console.log(`\nAll ${rows.length} ratios meet their targets.`);
}

function printTable(rows: Row[]): void {
  const header = [
    'case',
    'twin',
    'twin',
    'healthvision',
    'ratio',
    'target',
    '',
    'CPU per request/op: twin -> hv',
  ];
  const lines = rows.map((row) => {
    const ratio = row.app / row.bare;
    const figure = (n: number, latency?: HttpFigures) =>
      `${fmtInt(n)} ${row.unit}${latency ? `  p50 ${fmtMs(latency.p50Ms)} p99 ${fmtMs(latency.p99Ms)}` : ''}`;
    const { bare: bareCpu, app: appCpu } = row.cpuUs;
    const cpu =
      bareCpu && appCpu
        ? `${bareCpu.toFixed(1)} us -> ${appCpu.toFixed(1)} us (ratio ${(bareCpu / appCpu).toFixed(2)})`
        : '';
    return [
      row.name,
      row.twin,
      figure(row.bare, row.latency?.bare),
      figure(row.app, row.latency?.app),
      ratio.toFixed(2),
      `>= ${row.target.toFixed(2)}`,
      ratio >= row.target ? 'ok' : 'MISSED',
      cpu,
    ];
  });
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log(`\n${format(header)}`);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

await main();
