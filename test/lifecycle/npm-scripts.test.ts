import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmEnv, ROOT } from './server-process.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hv-npm-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `npm run <script> -- <args>` in the repository with only Node and npm on PATH. */
async function npmRun(script: string, args: string[] = [], env: Record<string, string> = {}, stdin = '') {
  const home = tempDir();
  const proc = Bun.spawn(['npm', 'run', '--silent', script, ...(args.length ? ['--', ...args] : [])], {
    cwd: ROOT,
    env: { ...npmEnv(home), ...env },
    stdin: new Blob([stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

describe("the README's scripts work through npm on a machine with only Node", () => {
  test('npm run typecheck and npm run lint', async () => {
    const [typecheck, lint] = await Promise.all([npmRun('typecheck'), npmRun('lint')]);
    expect({ code: typecheck.code, stderr: typecheck.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lint.code).toBe(0);
    expect(lint.stdout + lint.stderr).toContain('Checked');
  }, 60_000);

  test('npm run build compiles the binary', async () => {
    const outfile = join(tempDir(), 'healthvision');
    const build = await npmRun('build', ['--outfile', outfile]);
    expect({ code: build.code, stderr: build.stderr }).toMatchObject({ code: 0 });
    expect(existsSync(outfile)).toBe(true);
    expect(statSync(outfile).mode & 0o111).not.toBe(0);
  }, 60_000);

  test('npm run create-admin -- --email ... creates the admin from a password on stdin', async () => {
    const dataDir = tempDir();
    const run = await npmRun(
      'create-admin',
      ['--email', 'first.admin@example.test'],
      { NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent', PASSWORD_HASH_MEMORY_KIB: '64' },
      'a long enough password\n',
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain('Created admin first.admin@example.test');
  }, 60_000);
});
