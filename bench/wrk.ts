/** Runs wrk and reads its report: requests/s, p50 and p99 latency, and anything that spoils the run. */
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

const toMs = (value: string, unit: string): number => Number(value) * (UNIT_MS[unit] ?? Number.NaN);

export function parseWrk(output: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\b/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(output);
  const requests = /^\s+(\d+) requests in/m.exec(output);
  if (!rps || !p50 || !p99 || !requests) throw new Error(`Unexpected wrk output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    requests: Number(requests[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

export interface WrkOptions {
  url: string;
  /** The run's length; with `limit`, the most it may take. */
  seconds: number;
  connections: number;
  /** Command prefix that pins wrk to its core, e.g. `taskset -c 0`. */
  pin: string[];
  /** A Lua script and its arguments (`wrk -s script url -- args...`); it takes counted.lua's two last. */
  script?: string[];
  /** Request headers, e.g. an Authorization header. */
  headers?: Record<string, string>;
  /** End the run after this many responses rather than after `seconds` (see bench/counted.lua). */
  limit?: number;
}

const BENCH_DIR = import.meta.dir;
let flags = 0;

export async function runWrk({
  url,
  seconds,
  connections,
  pin,
  script,
  headers,
  limit,
}: WrkOptions): Promise<WrkResult> {
  const flag = join(tmpdir(), `hv-wrk-${process.pid}-${flags++}.done`);
  rmSync(flag, { force: true });
  const counting = limit === undefined ? [] : [String(limit), flag];
  const command = [...pin, 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers ?? {})) command.push('-H', `${name}: ${value}`);
  if (script) command.push('-s', script[0]!, url, '--', ...script.slice(1), ...counting);
  else if (limit !== undefined) command.push('-s', join(BENCH_DIR, 'count.lua'), url, '--', ...counting);
  else command.push(url);
  const run = Bun.spawn(command, { stdout: 'pipe', stderr: 'pipe' });
  if (limit !== undefined) {
    // The script touches the flag at its limit and stops sending; SIGINT makes wrk report at once.
    while (run.exitCode === null && !existsSync(flag)) await Bun.sleep(5);
    if (run.exitCode === null) run.kill('SIGINT');
  }
  const [output, errors, exitCode] = await Promise.all([
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
    run.exited,
  ]);
  rmSync(flag, { force: true });
  if (exitCode !== 0) throw new Error(`${command.join(' ')} failed:\n${output}${errors}`);
  const result = parseWrk(output);
  if (result.non2xx > 0 || result.socketErrors > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx responses and ${result.socketErrors} socket errors; the figures would be meaningless`,
    );
  }
  if (limit !== undefined && result.requests < limit) {
    throw new Error(`${url}: ${result.requests} of ${limit} requests in ${seconds} s; the run was cut short`);
  }
  return result;
}
