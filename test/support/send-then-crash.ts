/**
 * A process that signs a patient up with the Resend adapter and is killed (SIGKILL, no cleanup of any
 * kind) right after Resend accepted the verification email, before the outbox record is marked sent.
 * Usage: bun test/support/send-then-crash.ts <DATA_DIR> <DATABASE_URL> <RESEND_BASE_URL> <email>
 */
import { loadConfig } from '../../src/config.ts';
import { buildContainer } from '../../src/container.ts';
import type { EmailMessage, SendOptions } from '../../src/providers/email/port.ts';
import { ResendEmailProvider } from '../../src/providers/email/resend.ts';

class KilledAfterAccepted extends ResendEmailProvider {
  override async send(message: EmailMessage, options?: SendOptions): Promise<void> {
    await super.send(message, options);
    process.kill(process.pid, 'SIGKILL');
    return new Promise(() => {});
  }
}

const [dataDir, databaseUrl, resendUrl, email] = process.argv.slice(2) as [string, string, string, string];
const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  JWT_SECRET: 'test-secret-that-is-long-enough-to-be-real-0123456789',
  LOG_LEVEL: 'silent',
  EMAIL_PROVIDER: 'resend',
  RESEND_API_KEY: 're_crash_key',
  RESEND_BASE_URL: resendUrl,
  OUTBOX_LEASE_SECONDS: '1',
  PASSWORD_HASH_MEMORY_KIB: '64',
  PASSWORD_HASH_TIME_COST: '1',
});
const c = await buildContainer(config, {
  email: new KilledAfterAccepted({ apiKey: 're_crash_key', from: config.EMAIL_FROM, baseUrl: resendUrl }),
});
await c.accounts.signup(
  { name: 'Crash Test', email, password: 'correct horse', role: 'patient' },
  '127.0.0.1',
);
await c.outboxDeliverer.settled();
// Never reached: the send kills the process. Exit 3 tells the test the kill did not happen.
process.exit(3);
