/**
 * What the benches share: options, wrk and taskset, server processes, CPU time, and the comparison of a
 * route with its twin, the two sides alternating round by round.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWrk, type WrkResult } from './wrk.ts';

export const ROOT = join(import.meta.dir, '..');
export const BUN = process.execPath;
export const CONNECTIONS = 64;

const flag = (name: string): string | undefined =>
  Bun.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
export const quick = Bun.argv.includes('--quick');
export const rounds = Number(flag('rounds') ?? (quick ? 1 : 9));
export const seconds = Number(flag('seconds') ?? (quick ? 2 : 3));
/**
 * Requests each server answers before it is measured: enough for JavaScriptCore's optimizing compilers
 * to be done with the hot paths (their threads then use under 1% of the CPU on every case here), so the
 * figures are what a server that has been up for a while spends, and a side with more code to compile
 * does not pay for compiling it in every round.
 */
export const warmupRequests = Number(flag('warmup') ?? (quick ? 2000 : 24_000));
export { flag };

/**
 * A scratch folder for stores and seed files: in memory (/dev/shm) where there is one, so the disk's
 * writeback, which other work on a shared machine also waits for, stays out of the figures; `BENCH_TMPDIR`
 * chooses another place. The caller removes it.
 */
export function scratchDir(prefix: string): string {
  const base =
    Bun.env.BENCH_TMPDIR ??
    (existsSync('/dev/shm') && statSync('/dev/shm').isDirectory() ? '/dev/shm' : tmpdir());
  return mkdtempSync(join(base, prefix));
}

export function ensureWrk(): void {
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

export interface Pinning {
  server: string[];
  client: string[];
}

export function pinning(): Pinning {
  if (availableParallelism() >= 2 && Bun.which('taskset')) {
    return { server: ['taskset', '-c', '1'], client: ['taskset', '-c', '0'] };
  }
  console.warn(
    'warning: fewer than 2 cores or no taskset; server and wrk share the CPU, figures are indicative',
  );
  return { server: [], client: [] };
}

export const freePort = (): number => {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const { port } = probe;
  probe.stop(true);
  if (port === undefined) throw new Error('could not find a free port');
  return port;
};

const CLOCK_TICKS_PER_SECOND = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100;

/** User + system CPU time in a `/proc/.../stat` file (a process's or one thread's), in microseconds. */
const statMicros = (path: string): number => {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
};

/** CPU time (user + system, all threads) a process has used so far, in microseconds; null off Linux. */
export function cpuMicros(pid: number): number | null {
  try {
    return statMicros(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
}

/**
 * CPU time of a process's JavaScriptCore compiler threads (named `JITWorker`) and of all its threads, in
 * microseconds; null off Linux.
 */
export function compilerMicros(pid: number): { compiler: number; all: number } | null {
  try {
    let compiler = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const dir = `/proc/${pid}/task/${task}`;
      if (readFileSync(`${dir}/comm`, 'utf8').startsWith('JIT')) compiler += statMicros(`${dir}/stat`);
    }
    return { compiler, all: statMicros(`/proc/${pid}/stat`) };
  } catch {
    return null;
  }
}

export interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a server process (stdout to /dev/null, so its logging is paid for but not kept) and waits for
 * `readyPath`; `cwd` is the tree it runs from (this one unless two trees are compared).
 */
export async function startServer(
  command: string[],
  env: Record<string, string>,
  port: number,
  readyPath: string,
  cwd = ROOT,
): Promise<Server> {
  const proc = Bun.spawn(command, { cwd, env, stdin: 'ignore', stdout: 'ignore', stderr: 'inherit' });
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

/**
 * The environment every bench server runs with: development settings on loopback, its own data folder and
 * store file, logging at `info` (written, to /dev/null), plus what a case adds.
 */
export const serverEnv = (
  port: number,
  dataDir: string,
  database: string,
  jwtSecret: string,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  NODE_ENV: 'development',
  HOST: '127.0.0.1',
  PORT: String(port),
  DATA_DIR: dataDir,
  DATABASE_URL: `sqlite:${database}`,
  JWT_SECRET: jwtSecret,
  LOG_LEVEL: 'info',
  ...extra,
});

export interface HttpSide {
  label: string;
  start(): Promise<Server>;
}

export interface HttpFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU time per request: steadier than req/s when the machine is shared. */
  cpuUsPerRequest: number | null;
  /** The share of that CPU the JIT compiler threads used (the median of the rounds). */
  compilerShare: number | null;
}

type HttpRun = WrkResult & { cpuUsPerRequest: number | null; compilerShare: number | null };

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const medianFigures = (runs: HttpRun[]): HttpFigures => {
  const cpu = runs.map((r) => r.cpuUsPerRequest).filter((v): v is number => v !== null);
  const shares = runs.map((r) => r.compilerShare).filter((v): v is number => v !== null);
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuUsPerRequest: cpu.length ? median(cpu) : null,
    compilerShare: shares.length ? median(shares) : null,
  };
};

export type Side = 'app' | 'bare';

/**
 * What wrk sends to one side; asked before every run with `offset`, how many requests that side was sent
 * before it (the same on both sides, run for run), so a script moves on through its data and both sides
 * send the same requests.
 */
export interface Load {
  path: string;
  headers?: Record<string, string>;
  /** A Lua script and its arguments. */
  script?: string[];
}

export interface HttpCase {
  name: string;
  app: HttpSide;
  bare: HttpSide;
  load(side: Side, offset: number): Load;
  /** Told of every wrk run on a side, warm-up included. */
  ran?(side: Side, result: WrkResult): void;
  /**
   * How many distinct requests the case's data holds (lines of its pairs or events file), when it is
   * finite: the rounds are sized so neither side runs past the end (a repeat would be a cheaper request).
   */
  capacity?: number;
  /** Both sides answer alike, or the comparison means nothing; each side is started once for it. */
  check(app: Server, bare: Server): Promise<void>;
}

/** Both sides answer the same JSON to a GET. */
export const sameJson =
  (path: string, headers: Record<string, string> = {}) =>
  async (app: Server, bare: Server): Promise<void> => {
    const [a, b] = await Promise.all(
      [app, bare].map((s) => fetch(s.url + path, { headers }).then((r) => r.json())),
    );
    if (!Bun.deepEquals(a, b)) {
      throw new Error(
        `${path}: the app and its twin answer differently:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`,
      );
    }
  };

/** Each side's medians, and the CPU ratio of every round (twin over ours, the two runs back to back). */
export interface HttpComparison {
  app: HttpFigures;
  bare: HttpFigures;
  cpuRatios: number[];
}

/**
 * Each side's server is started once and kept for every round: both first answer `warmupRequests`, then
 * the rounds alternate which side goes first, each side answering the same number of requests, sized
 * from the warm-up so a round lasts about `seconds` on the slower side. Both sides so send exactly the
 * same requests in the same order, and a case that writes finds both stores alike in every round.
 */
export async function compareHttp(c: HttpCase, pin: Pinning): Promise<HttpComparison> {
  const runs: Record<Side, HttpRun[]> = { app: [], bare: [] };
  {
    const [a, b] = [await c.app.start(), await c.bare.start()];
    try {
      await c.check(a, b);
    } finally {
      await a.stop();
      await b.stop();
    }
  }
  const sent: Record<Side, number> = { app: 0, bare: 0 };
  const wrk = async (server: Server, key: Side, limit: number): Promise<WrkResult> => {
    const load = c.load(key, sent[key]);
    const result = await runWrk({
      url: server.url + load.path,
      // A cap: the run ends at its limit, far sooner.
      seconds: 600,
      connections: CONNECTIONS,
      pin: pin.client,
      limit,
      ...(load.script ? { script: load.script } : {}),
      ...(load.headers ? { headers: load.headers } : {}),
    });
    // Requests still in flight at the limit may have landed too: the next run starts past all of them.
    sent[key] += limit + 2 * CONNECTIONS;
    c.ran?.(key, result);
    return result;
  };
  const servers: Record<Side, Server> = { app: await c.app.start(), bare: await c.bare.start() };
  try {
    const warm = {
      app: await wrk(servers.app, 'app', warmupRequests),
      bare: await wrk(servers.bare, 'bare', warmupRequests),
    };
    const slower = Math.min(warm.app.requestsPerSecond, warm.bare.requestsPerSecond);
    let perRound = Math.max(1000, Math.round((slower * seconds) / 100) * 100);
    if (c.capacity !== undefined) {
      const fits = Math.floor((c.capacity - sent.app) / rounds) - 2 * CONNECTIONS;
      if (fits < 1000) throw new Error(`${c.name}: its data holds too few requests for ${rounds} rounds`);
      if (fits < perRound) {
        console.log(
          `  ${c.name} rounds of ${fits} requests, not ${perRound}: the case's data holds ${c.capacity}`,
        );
        perRound = fits;
      }
    }
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const);
      for (const key of order) {
        const server = servers[key];
        const before = compilerMicros(server.pid);
        const result = await wrk(server, key, perRound);
        const after = compilerMicros(server.pid);
        const cpu = before && after ? after.all - before.all : null;
        const perRequest = cpu === null ? null : cpu / result.requests;
        runs[key].push({
          ...result,
          cpuUsPerRequest: perRequest,
          compilerShare: cpu ? (after!.compiler - before!.compiler) / cpu : null,
        });
        console.log(
          `  ${c.name} round ${round + 1}/${rounds} ${c[key].label.padEnd(34)} ${fmtInt(result.requestsPerSecond)} req/s` +
            (perRequest === null ? '' : `  ${perRequest.toFixed(1).padStart(7)} us CPU per request`),
        );
      }
    }
  } finally {
    await servers.app.stop();
    await servers.bare.stop();
  }
  // A round's two runs follow each other, so they share whatever else the machine was doing then.
  const cpuRatios = runs.app.flatMap((app, i) => {
    const bare = runs.bare[i]!.cpuUsPerRequest;
    return app.cpuUsPerRequest && bare ? [bare / app.cpuUsPerRequest] : [];
  });
  const figures = { app: medianFigures(runs.app), bare: medianFigures(runs.bare), cpuRatios };
  const share = (f: HttpFigures) =>
    f.compilerShare === null ? 'n/a' : `${(f.compilerShare * 100).toFixed(1)}%`;
  console.log(
    `  ${c.name} ${rounds} round(s) of the same requests on both sides after ${warmupRequests.toLocaleString('en-US')} to warm up; ` +
      `JIT compiler threads: twin ${share(figures.bare)}, ours ${share(figures.app)} of the CPU`,
  );
  return figures;
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(9);
const fmtMs = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)}ms`;

export interface Row {
  name: string;
  twin: string;
  bare: number;
  app: number;
  unit: string;
  latency?: { bare: HttpFigures; app: HttpFigures };
  /** CPU microseconds per request or operation, twin and HealthVision (each the median of its rounds). */
  cpuUs: { bare: number | null; app: number | null };
  /** The CPU ratio of each round, where the two sides ran back to back in rounds. */
  cpuRatios?: number[];
  target: number;
}

/** A table row from an HTTP comparison. */
export const httpRow = (
  name: string,
  twin: string,
  figures: HttpComparison,
  target: number,
  unit = 'req/s',
): Row => ({
  name,
  twin,
  bare: figures.bare.requestsPerSecond,
  app: figures.app.requestsPerSecond,
  unit,
  latency: figures,
  cpuUs: { bare: figures.bare.cpuUsPerRequest, app: figures.app.cpuUsPerRequest },
  cpuRatios: figures.cpuRatios,
  target,
});

/**
 * The twin's CPU per request over ours: what throughput the ratio would be on a core of its own. Where the
 * sides ran in rounds, the median of the rounds' own ratios: a round's two runs are back to back, so a
 * busy minute on the shared machine weighs on both of them rather than on one side's median.
 */
const cpuRatio = (row: Row): number | null => {
  if (row.cpuRatios?.length) return median(row.cpuRatios);
  return row.cpuUs.bare && row.cpuUs.app ? row.cpuUs.bare / row.cpuUs.app : null;
};

/** The spread of the rounds' CPU ratios, `0.70-0.79`, when there were several. */
const roundSpread = (row: Row): string => {
  if (!row.cpuRatios || row.cpuRatios.length < 2) return '';
  return ` (${Math.min(...row.cpuRatios).toFixed(2)}-${Math.max(...row.cpuRatios).toFixed(2)})`;
};

/**
 * Judged on the CPU ratio where there is one: req/s moves with whatever else shares the machine, CPU time
 * per request much less, and with the server pinned to one core its throughput is the inverse of it.
 */
export const verdictRatio = (row: Row): number => cpuRatio(row) ?? row.app / row.bare;

export function printTable(rows: Row[]): void {
  const header = [
    'case',
    'twin',
    'twin',
    'healthvision',
    'req/s ratio',
    'CPU per request: twin -> hv',
    'CPU ratio',
    'target',
    '',
  ];
  const lines = rows.map((row) => {
    const figure = (n: number, latency?: HttpFigures) =>
      `${fmtInt(n)} ${row.unit}${latency ? `  p50 ${fmtMs(latency.p50Ms)} p99 ${fmtMs(latency.p99Ms)}` : ''}`;
    const { bare: bareCpu, app: appCpu } = row.cpuUs;
    const cpu = cpuRatio(row);
    return [
      row.name,
      row.twin,
      figure(row.bare, row.latency?.bare),
      figure(row.app, row.latency?.app),
      (row.app / row.bare).toFixed(2),
      bareCpu && appCpu ? `${bareCpu.toFixed(1)} us -> ${appCpu.toFixed(1)} us` : '',
      cpu === null ? '' : `${cpu.toFixed(2)}${roundSpread(row)}`,
      `>= ${row.target.toFixed(2)}`,
      verdictRatio(row) >= row.target ? 'ok' : 'MISSED',
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
  const missed = rows.filter((row) => verdictRatio(row) < row.target);
  console.log(
    '\nTargets are judged on the CPU ratio (twin CPU per request / ours) where there is one: the median of the\n' +
      "rounds' ratios, each round running both sides back to back (their range in brackets).",
  );
  if (missed.length) console.log(`${missed.length} of ${rows.length} ratios below target.`);
  else console.log(`All ${rows.length} ratios meet their targets.`);
}

/** One bench file run on its own (`bun bench/<name>.ts`): its rows in a scratch folder, then the table. */
export async function runAlone(name: string, rowsOf: (pin: Pinning, work: string) => Promise<Row[]>) {
  ensureWrk();
  const work = scratchDir(`hv-bench-${name}-`);
  try {
    printTable(await rowsOf(pinning(), work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
