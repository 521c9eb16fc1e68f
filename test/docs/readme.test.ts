import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstCardiologist } from '../../docs/examples/eden-client.ts';
import { ERROR_CODES } from '../../src/shared/error-codes.ts';
import { ServerProcess } from '../lifecycle/server-process.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { PNG_1X1 } from '../support/images.ts';

const README = readFileSync(join(import.meta.dir, '../../README.md'), 'utf8');

/** The fenced code between `<!-- name:start -->` and `<!-- name:end -->` in the README, without its fence. */
function readmeBlock(name: string): string {
  const match = README.match(
    new RegExp(`<!-- ${name}:start -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\n<!-- ${name}:end -->`),
  );
  if (!match) throw new Error(`README has no ${name} block`);
  return match[1]!;
}

describe('the README curl walkthrough', () => {
  let server: ServerProcess;
  let cwd: string;

  beforeAll(async () => {
    server = await ServerProcess.start({
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'admin-pass-1',
      RATE_LIMITS_ENABLED: 'false',
      PASSWORD_HASH_MEMORY_KIB: '64',
      PASSWORD_HASH_TIME_COST: '1',
    });
    cwd = mkdtempSync(join(tmpdir(), 'hv-walkthrough-'));
    writeFileSync(join(cwd, 'avatar.png'), PNG_1X1);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  test('runs as written against a server on the embedded defaults: doctor, approval, schedule, hold, cancel, refresh, logout', async () => {
    const script = readmeBlock('walkthrough');
    expect(script.split('\n').filter((line) => line.trim()).length).toBeLessThanOrEqual(20);
    // Every curl fails the script on an HTTP error (a step that goes wrong cannot pass unseen) and ends its output with a newline.
    const run = Bun.spawn(
      [
        'bash',
        '-c',
        `set -euo pipefail\ncurl() { command curl --fail-with-body "$@" && echo; }\n${script.replaceAll('http://localhost:3000', server.url)}`,
      ],
      { cwd, stdout: 'pipe', stderr: 'pipe' },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(run.stdout).text(),
      new Response(run.stderr).text(),
      run.exited,
    ]);
    if (code !== 0) throw new Error(`walkthrough exited ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    expect(stdout).toContain('"approvalStatus":"approved"');
    expect(stdout).toMatch(/"created":\[\{"id":"[0-9a-f-]{36}"/);
    expect(stdout).toContain('"status":"cancelled"');
    expect(stdout.trim().split('\n').at(-1)).toBe('204');
    // The doctor's avatar came through the multipart signup and is served by the app.
    const doctors = (await (await fetch(`${server.url}/api/v1/doctors?specialty=Cardiology`)).json()) as {
      items: { name: string; avatarUrl?: string }[];
    };
    const asha = doctors.items.find((doctor) => doctor.name === 'Dr Asha Rao');
    expect(asha?.avatarUrl).toStartWith('http');
    const picture = await fetch(asha!.avatarUrl!);
    expect(picture.status).toBe(200);
    expect(new Uint8Array(await picture.arrayBuffer())).toEqual(PNG_1X1);
  });
});

describe('the README typed client (Eden Treaty)', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await buildTestApp();
    t.app.listen({ hostname: '127.0.0.1', port: 0 });
    baseUrl = `http://127.0.0.1:${t.app.server!.port}`;
  });
  afterAll(async () => {
    await t.app.stop(true);
    await t.close();
  });

  test('the README shows exactly docs/examples/eden-client.ts, which the typecheck compiles', () => {
    const file = readFileSync(join(import.meta.dir, '../../docs/examples/eden-client.ts'), 'utf8');
    expect(readmeBlock('eden')).toBe(file);
  });

  test('signs in and finds a cardiologist through the typed client', async () => {
    const patient = await createUser(t, { role: 'patient', name: 'Meera Iyer' });
    await createUser(t, {
      role: 'doctor',
      name: 'Dr Vikram Sen',
      approved: true,
      doctor: { specialty: 'Cardiology' },
    });
    const result = await firstCardiologist(baseUrl, patient.email, patient.password);
    expect(result).toEqual({ me: 'Meera Iyer', doctor: 'Dr Vikram Sen' });
    await expect(firstCardiologist(baseUrl, patient.email, 'wrong-password')).rejects.toThrow(
      'sign-in failed: 401',
    );
  });
});

describe('the README error table', () => {
  test('lists every error code the API answers, with its status', () => {
    const rows = new Map<string, number>();
    for (const line of README.split('\n')) {
      const row = line.match(/^\| (\d{3}) \| (.+?) \|/);
      if (!row) continue;
      for (const code of row[2]!.matchAll(/`([A-Z_]+)`/g)) rows.set(code[1]!, Number(row[1]));
    }
    const documented = Object.fromEntries(
      Object.keys(ERROR_CODES).map((code) => [code, rows.get(code) ?? 'missing']),
    );
    expect(documented).toEqual(
      Object.fromEntries(Object.entries(ERROR_CODES).map(([c, e]) => [c, e.status])),
    );
  });
});
