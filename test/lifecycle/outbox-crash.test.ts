import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomEmail } from '../support/app.ts';
import { type ResendFake, startResendFake } from '../support/fakes/resend.ts';
import { ServerProcess } from './server-process.ts';

let fake: ResendFake;
const dir = mkdtempSync(join(tmpdir(), 'hv-outbox-crash-'));
beforeAll(() => {
  fake = startResendFake();
});
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('killed between Resend accepting a message and marking it sent -> after restart the reader has one message', async () => {
  const databaseUrl = `sqlite:${join(dir, 'store.sqlite')}`;
  const email = randomEmail('crash');
  const crashing = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, '../support/send-then-crash.ts'),
      dir,
      databaseUrl,
      fake.url,
      email,
    ],
    { stdout: 'ignore', stderr: 'pipe' },
  );
  await crashing.exited;
  expect(crashing.signalCode).toBe('SIGKILL');
  expect(fake.deliveredTo(email)).toHaveLength(1);
  const key = fake.deliveredTo(email)[0]!.idempotencyKey;
  expect(key).toBeString();

  const server = await ServerProcess.start({
    DATABASE_URL: databaseUrl,
    EMAIL_PROVIDER: 'resend',
    RESEND_API_KEY: 're_restart_key',
    RESEND_BASE_URL: fake.url,
    OUTBOX_POLL_SECONDS: '1',
  });
  try {
    // The record is still `sending` under the dead process's 1 s lease; once it lapses, the job claims it.
    const delivered = await server.waitFor(
      (line) => line.msg === 'outbox delivered' && line.id === key,
      'the redelivery',
    );
    expect(delivered.attempts).toBe(2);
    const tries = fake.received.filter((r) => r.idempotencyKey === key);
    expect(tries).toHaveLength(2);
    expect(tries[1]!.body).toEqual(tries[0]!.body);
    expect(fake.deliveredTo(email)).toHaveLength(1);
    const code = fake.deliveredTo(email)[0]!.body.text!.match(/\b\d{6}\b/)![0];
    expect(JSON.stringify(server.lines)).not.toContain(code);
  } finally {
    await server.stop();
  }
}, 20_000);
