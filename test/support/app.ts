import { rmSync } from 'node:fs';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { buildContainer, type Container, type ContainerOverrides } from '../../src/container.ts';
import { ManualClock } from '../../src/shared/clock.ts';
import { createMemoryLogger } from '../../src/shared/logger.ts';
import { tempDir } from './temp-dirs.ts';

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  token?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read response JSON as the contract says, not as typed
export interface CallResult<B = any> {
  status: number;
  body: B;
  headers: Headers;
}

/** The real app in-process on a fresh in-memory store, with a movable clock and captured logs. */
export async function buildTestApp(env: Record<string, string> = {}, overrides: ContainerOverrides = {}) {
  const dataDir = tempDir('hv-test-');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: 'sqlite::memory:',
    JWT_SECRET: 'test-secret-that-is-long-enough-to-be-real-0123456789',
    LOG_LEVEL: 'debug',
    // Cheap argon2id so factories can make many users; production strength is the config default.
    PASSWORD_HASH_MEMORY_KIB: '64',
    PASSWORD_HASH_TIME_COST: '1',
    // In-process requests have no socket address; factories give each user its own X-Forwarded-For.
    TRUST_PROXY: 'true',
    ...env,
  });
  const logger = createMemoryLogger();
  const clock = new ManualClock(new Date());
  const container: Container = await buildContainer(config, { logger, clock, ...overrides });
  const app = createApp(container);

  // biome-ignore lint/suspicious/noExplicitAny: see CallResult
  async function call<B = any>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult<B>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: FormData | string | undefined;
    if (options.body instanceof FormData || typeof options.body === 'string') body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: response.status, body: parsed as B, headers: response.headers };
  }

  async function close(): Promise<void> {
    await container.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  return { app, container, config, clock, logger, dataDir, call, close };
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
export const randomEmail = (prefix = 'user'): string =>
  `${prefix}.${crypto.randomUUID().slice(0, 8)}@example.test`;

/** Log lines are written after the response is sent; wait (bounded, by ticks, not time) for one. */
export async function waitForLine<L>(lines: L[], predicate: (line: L) => boolean): Promise<L | undefined> {
  for (let i = 0; i < 50; i++) {
    const found = lines.find(predicate);
    if (found) return found;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return undefined;
}
