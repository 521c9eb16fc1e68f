import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.ts';

const MAIN = join(import.meta.dir, '../../src/main.ts');
const STRONG_SECRET = 'a-production-secret-of-at-least-32-bytes';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hv-config-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The problems loadConfig reports for `env`; fails the test if it loads. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATA_DIR: tempDir(), ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

const about = (problems: string[], variable: string): string[] =>
  problems.filter((problem) => problem.startsWith(`${variable}:`));

describe('defaults', () => {
  test('an empty environment runs in development on SQLite under DATA_DIR with dev providers', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });

    expect(config.NODE_ENV).toBe('development');
    expect(config.HOST).toBe('::');
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBe(`sqlite:${join(dataDir, 'healthvision.sqlite')}`);
    expect(config.EMAIL_PROVIDER).toBe('dev');
    expect(config.PAYMENT_PROVIDER).toBe('dev');
    expect(config.AVATAR_PROVIDER).toBe('dev');
  });

  test('DATA_DIR defaults to ./data and DATABASE_URL follows it', () => {
    const config = loadConfig({ JWT_SECRET: STRONG_SECRET });
    expect(config.DATA_DIR).toBe('./data');
    expect(config.DATABASE_URL).toBe('sqlite:data/healthvision.sqlite');
  });

  test('an explicit DATABASE_URL wins over the default', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: 'mongodb://db.internal:27017/hv' });
    expect(config.DATABASE_URL).toBe('mongodb://db.internal:27017/hv');
  });

  test('values arrive as strings and are converted; empty strings count as unset', () => {
    const config = loadConfig({
      DATA_DIR: tempDir(),
      PORT: '8080',
      TRUST_PROXY: 'true',
      RATE_LIMITS_ENABLED: 'false',
      LOG_LEVEL: '',
      CORS_ORIGINS: ' https://a.example , https://b.example,',
    });
    expect(config.PORT).toBe(8080);
    expect(config.TRUST_PROXY).toBe(true);
    expect(config.RATE_LIMITS_ENABLED).toBe(false);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
  });
});

describe('the dev JWT secret', () => {
  test('is generated once under DATA_DIR, owner-only, and reused by the next boot', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = join(dataDir, 'jwt-secret');

    expect(Buffer.byteLength(first.JWT_SECRET)).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.JWT_SECRET);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.JWT_SECRET).toBe(first.JWT_SECRET);
  });

  test('differs between data directories', () => {
    const a = loadConfig({ DATA_DIR: tempDir() });
    const b = loadConfig({ DATA_DIR: tempDir() });
    expect(a.JWT_SECRET).not.toBe(b.JWT_SECRET);
  });

  test('is not written when JWT_SECRET is given', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET: STRONG_SECRET });
    expect(config.JWT_SECRET).toBe(STRONG_SECRET);
    expect(existsSync(join(dataDir, 'jwt-secret'))).toBe(false);
  });
});

describe('bad values name the variable and what it expects', () => {
  test('PORT=abc', () => {
    const [problem] = about(problemsOf({ PORT: 'abc' }), 'PORT');
    expect(problem).toContain('expected an integer');
    expect(problem).toContain('"abc"');
  });

  test('PORT out of range', () => {
    expect(about(problemsOf({ PORT: '70000' }), 'PORT')[0]).toContain('<= 65535');
  });

  test('NODE_ENV=prod', () => {
    const [problem] = about(problemsOf({ NODE_ENV: 'prod' }), 'NODE_ENV');
    expect(problem).toContain('one of development, test, production');
  });

  test('DATABASE_URL=postgres://…', () => {
    const [problem] = about(problemsOf({ DATABASE_URL: 'postgres://db.internal/hv' }), 'DATABASE_URL');
    expect(problem).toContain('sqlite:');
    expect(problem).toContain('mongodb');
  });

  test('every bad variable is reported at once', () => {
    const problems = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', TRUST_PROXY: 'maybe' });
    for (const variable of ['PORT', 'LOG_LEVEL', 'TRUST_PROXY']) {
      expect(about(problems, variable)).toHaveLength(1);
    }
  });

  test('a refused secret is not echoed back', () => {
    const problems = problemsOf({ ADMIN_EMAIL: 'admin@example.test', ADMIN_PASSWORD: 'short' });
    expect(about(problems, 'ADMIN_PASSWORD')).toHaveLength(1);
    expect(problems.join('\n')).not.toContain('short');
  });
});

describe('production', () => {
  // Still refused for its dev payment provider, so each test can read the problems about one variable.
  const production = { NODE_ENV: 'production', EMAIL_PROVIDER: 'resend', RESEND_API_KEY: 're_test_key' };

  test('refuses to start without an explicit JWT_SECRET', () => {
    const problems = problemsOf(production);
    expect(about(problems, 'JWT_SECRET')[0]).toContain('at least 32 bytes');
  });

  test('refuses a JWT_SECRET shorter than 32 bytes', () => {
    expect(about(problemsOf({ ...production, JWT_SECRET: 'x'.repeat(31) }), 'JWT_SECRET')).toHaveLength(1);
  });

  test('counts the secret in bytes, not characters', () => {
    const problems = problemsOf({ ...production, JWT_SECRET: 'é'.repeat(16) });
    expect(about(problems, 'JWT_SECRET')).toEqual([]);
  });

  test('accepts a 32-byte secret', () => {
    const problems = problemsOf({ ...production, JWT_SECRET: 'x'.repeat(32) });
    expect(about(problems, 'JWT_SECRET')).toEqual([]);
  });

  test('refuses the dev email provider', () => {
    const problems = problemsOf({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET, EMAIL_PROVIDER: 'dev' });
    expect(about(problems, 'EMAIL_PROVIDER')).toHaveLength(1);
  });

  test('refuses the dev payment provider', () => {
    const problems = problemsOf({ ...production, JWT_SECRET: STRONG_SECRET, PAYMENT_PROVIDER: 'dev' });
    expect(about(problems, 'PAYMENT_PROVIDER')).toHaveLength(1);
  });

  test('the dev providers and the generated secret are fine outside production', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), NODE_ENV: 'test' });
    expect(config.EMAIL_PROVIDER).toBe('dev');
    expect(config.PAYMENT_PROVIDER).toBe('dev');
  });
});

describe('the loaded config', () => {
  test('is frozen, including the CORS allowlist', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), CORS_ORIGINS: 'https://a.example' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.CORS_ORIGINS as string[]).push('https://evil.example');
    }).toThrow(TypeError);
    expect(config.PORT).toBe(3000);
    expect(config.CORS_ORIGINS).toEqual(['https://a.example']);
  });
});

describe('the process', () => {
  async function boot(env: Record<string, string>) {
    const cwd = tempDir();
    const proc = Bun.spawn([process.execPath, MAIN], { cwd, env, stdout: 'pipe', stderr: 'pipe' });
    const [code, stdout, stderr] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    return { code, stdout, stderr, cwd };
  }

  test('exits non-zero on a bad value, naming the variable, before touching the data directory', async () => {
    const { code, stderr, cwd } = await boot({ PORT: 'abc' });
    expect(code).not.toBe(0);
    expect(stderr).toContain('PORT: expected an integer');
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  test('exits non-zero in production without a JWT_SECRET', async () => {
    const { code, stderr, stdout } = await boot({ NODE_ENV: 'production' });
    expect(code).not.toBe(0);
    expect(stderr).toContain('JWT_SECRET');
    expect(stdout).not.toContain('listening');
  });
});

test('a bad DATABASE_URL is named without echoing the password inside it', () => {
  let message = '';
  try {
    loadConfig({ DATA_DIR: '/tmp/hv-redact', DATABASE_URL: 'postgres://admin:hunter2@db.example:5432/hv' });
  } catch (error) {
    message = String(error);
  }
  expect(message).toContain('DATABASE_URL');
  expect(message).toContain('postgres://admin:***@db.example');
  expect(message).not.toContain('hunter2');
});
