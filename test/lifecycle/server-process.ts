import { readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'bun';
import { tempDir } from '../support/temp-dirs.ts';

export const ROOT = join(import.meta.dir, '../..');
const MAIN = join(ROOT, 'src/main.ts');

export type LogLine = Record<string, unknown> & { msg: string };

let nodeOnlyBin: string | undefined;
/**
 * A PATH holding only node, npm and sh, like a machine with Node installed and no Bun: npm scripts
 * then find `bun` only as the devDependency in node_modules/.bin.
 */
export function nodeOnlyPath(): string {
  if (nodeOnlyBin) return nodeOnlyBin;
  const bin = tempDir('hv-node-only-');
  for (const tool of ['node', 'npm', 'sh']) {
    const found = Bun.which(tool);
    if (!found) throw new Error(`${tool} is not on PATH; the README's npm commands need it`);
    symlinkSync(realpathSync(found), join(bin, tool));
  }
  nodeOnlyBin = bin;
  return bin;
}

/** Environment for running npm from the repository as a Node-only machine would. */
export const npmEnv = (home: string): Record<string, string> => ({
  PATH: nodeOnlyPath(),
  HOME: home,
  npm_config_update_notifier: 'false',
});

export interface LaunchOptions {
  /** `npm start` from the repository (as the README says) instead of `bun src/main.ts`. */
  npm?: boolean;
}

/** `bun src/main.ts` as a child process on a free port, with its JSON log lines collected as they arrive. */
export class ServerProcess {
  readonly lines: LogLine[] = [];
  private readonly waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] =
    [];
  private ended = false;
  stderr = '';
  readonly stderrRead: Promise<string>;
  port = 0;

  private constructor(
    readonly proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>,
    readonly dataDir: string,
  ) {
    this.stderrRead = new Response(proc.stderr).text().then((text) => {
      this.stderr = text;
      return text;
    });
  }

  /** Starts the server and waits for its listening line. */
  static async start(env: Record<string, string> = {}, options: LaunchOptions = {}): Promise<ServerProcess> {
    const server = ServerProcess.launch(env, options);
    const listening = await server.waitFor((line) => line.msg === 'listening', 'the listening line');
    server.port = Number(new URL(String(listening.url)).port);
    return server;
  }

  /** Starts the server without waiting for anything. */
  static launch(env: Record<string, string> = {}, options: LaunchOptions = {}): ServerProcess {
    const dataDir = tempDir('hv-lifecycle-');
    const settings = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...env,
    };
    const proc = options.npm
      ? Bun.spawn(['npm', 'start', '--prefix', ROOT], {
          cwd: dataDir,
          env: { ...npmEnv(dataDir), ...settings },
          stdin: 'ignore',
          stdout: 'pipe',
          stderr: 'pipe',
        })
      : Bun.spawn([process.execPath, MAIN], {
          cwd: dataDir,
          env: settings,
          stdin: 'ignore',
          stdout: 'pipe',
          stderr: 'pipe',
        });
    const server = new ServerProcess(proc, dataDir);
    void server.collect();
    return server;
  }

  /** The ids of the processes this one started, and theirs (Linux /proc). */
  descendants(): number[] {
    const found: number[] = [];
    const visit = (pid: number) => {
      let children: string;
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
      } catch {
        return;
      }
      for (const child of children.split(' ').filter(Boolean).map(Number)) {
        found.push(child);
        visit(child);
      }
    };
    visit(this.proc.pid);
    return found;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async collect(): Promise<void> {
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of this.proc.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        // npm prints its own banner before the server's JSON lines.
        if (!text.trim().startsWith('{')) continue;
        const line = JSON.parse(text) as LogLine;
        this.lines.push(line);
        for (const waiter of this.waiters.filter((w) => w.predicate(line))) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
    this.ended = true;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(undefined as never);
  }

  /** Resolves with the first log line matching `predicate`; fails if the process ends without one. */
  async waitFor(predicate: (line: LogLine) => boolean, what: string): Promise<LogLine> {
    const seen = this.lines.find(predicate);
    if (seen) return seen;
    if (this.ended) throw new Error(this.missing(what));
    const line = await new Promise<LogLine | undefined>((resolve) =>
      this.waiters.push({ predicate, resolve }),
    );
    if (!line) {
      await this.proc.exited;
      throw new Error(this.missing(what));
    }
    return line;
  }

  private missing(what: string): string {
    return `the server never logged ${what}; exit ${this.proc.exitCode}; stderr:\n${this.stderr}`;
  }

  indexOf(predicate: (line: LogLine) => boolean): number {
    return this.lines.findIndex(predicate);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.proc.exited;
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A raw HTTP/1.1 connection, so a test controls exactly when each byte of a request is sent. */
export class RawConnection {
  private received = '';
  private closed = false;
  private waiting: (() => void)[] = [];

  private constructor(private socket: Socket<undefined> | null) {}

  static async open(port: number, hostname = '127.0.0.1'): Promise<RawConnection> {
    let connection!: RawConnection;
    const socket = await Bun.connect({
      hostname,
      port,
      socket: {
        data(_socket, data) {
          connection.received += data.toString('latin1');
          connection.wake();
        },
        drain() {
          connection.wake();
        },
        close() {
          connection.closed = true;
          connection.wake();
        },
      },
    });
    connection = new RawConnection(socket);
    return connection;
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private next(): Promise<void> {
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  write(text: string): void {
    const written = this.socket!.write(text);
    if (written !== text.length) throw new Error(`short write: ${written} of ${text.length} bytes`);
  }

  /**
   * Writes all of `text` as the peer takes it; false as soon as the peer answers or closes instead
   * (a server refusing a body stops reading it).
   */
  async writeUnlessClosed(text: string): Promise<boolean> {
    let rest = text;
    for (;;) {
      if (this.closed || this.received) return false;
      rest = rest.slice(this.socket!.write(rest));
      if (!rest) return true;
      await this.next();
    }
  }

  /** Waits for one complete response with a Content-Length body, or for the peer to close. */
  async response(): Promise<{ status: number; headers: string; body: string } | null> {
    for (;;) {
      const end = this.received.indexOf('\r\n\r\n');
      if (end >= 0) {
        const headers = this.received.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
        const body = this.received.slice(end + 4);
        if (body.length >= length) {
          return { status: Number(headers.split(' ')[1]), headers, body: body.slice(0, length) };
        }
      }
      if (this.closed) return null;
      await this.next();
    }
  }

  close(): void {
    this.socket?.end();
    this.socket = null;
  }
}
