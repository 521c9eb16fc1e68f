import { requestContext } from './request-context.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

/** One JSON object per line on stdout. Callers pass ids and facts, never bodies, secrets, OTPs or tokens. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** Lines written to stdout by the default writer, not yet handed to the stream. */
let pending = '';
let flushScheduled = false;
let exitHooked = false;

/** Hands every buffered line to stdout now; call before `process.exit`. */
export function flushLogs(): void {
  flushScheduled = false;
  if (pending === '') return;
  const out = pending;
  pending = '';
  process.stdout.write(out);
}

/**
 * The default writer: lines gather during one turn of the event loop and reach stdout in one write at
 * its end (a write per line costs more than the line itself under load). `exit` flushes what is left.
 */
function writeStdout(line: string): void {
  pending += `${line}\n`;
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushLogs);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', flushLogs);
  }
}

/** `new Date().toISOString()`, formatted once per millisecond. */
let clockMs = Number.NaN;
let clockIso = '';
const isoNow = (): string => {
  const now = Date.now();
  if (now !== clockMs) {
    clockMs = now;
    clockIso = new Date(now).toISOString();
  }
  return clockIso;
};

export function createLogger(
  level: LogLevel = 'info',
  base: LogFields = {},
  write: (line: string) => void = writeStdout,
): Logger {
  const threshold = ORDER[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (ORDER[lvl] < threshold) return;
    // Built by assignment in the order spreads would give (a later field wins): under half their cost.
    const line: LogFields = { time: isoNow(), level: lvl, msg };
    const requestId = requestContext.getStore()?.requestId;
    if (requestId) line.requestId = requestId;
    for (const key in base) line[key] = base[key];
    if (fields) for (const key in fields) line[key] = fields[key];
    write(JSON.stringify(line));
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

/** Collects lines in memory; tests read them to prove what is (and is not) logged. */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { lines: LogFields[] } {
  const lines: LogFields[] = [];
  const logger = createLogger(level, {}, (line) => lines.push(JSON.parse(line)));
  return Object.assign(logger, { lines });
}
