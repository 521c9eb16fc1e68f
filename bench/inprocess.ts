/**
 * The booking routes timed in process (no HTTP, no wrk): `app.handle` on a seeded copy, for profiling
 * (`bun --cpu-prof bench/inprocess.ts`) and quick before/after checks of a change. Not a comparison.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.ts';
import { devPaymentSecretFile, loadConfig } from '../src/config.ts';
import { buildContainer } from '../src/container.ts';
import { createLogger } from '../src/shared/logger.ts';
import { seed } from './booking.ts';
import { signedEvent } from './payments.ts';

const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const N = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 3000);
const dir = mkdtempSync(join(tmpdir(), 'hv-inprocess-'));
try {
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  const database = join(dir, 'seed.sqlite');
  const seeded = await seed(database, secret, dir);
  const paymentSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex');
  writeFileSync(devPaymentSecretFile(dir), paymentSecret, { mode: 0o600 });
  const config = loadConfig({
    NODE_ENV: 'development',
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${database}`,
    JWT_SECRET: secret,
    LOG_LEVEL: 'info',
    PAYMENT_PROVIDER: 'dev',
  });
  // Lines are formatted as in production, then dropped (a memory logger would grow the heap all run).
  const container = await buildContainer(config, { logger: createLogger('info', {}, () => {}) });
  Bun.gc(true);
  const app = createApp(container);
  const base = 'http://127.0.0.1';
  const pairs = (await Bun.file(seeded.pairsFile).text()).trim().split('\n');
  let next = 0;
  let event = 0;
  const cases: Record<string, () => Request> = {
    hold: () => {
      const [token, slotId] = pairs[next++]!.split(' ');
      return new Request(`${base}/api/v1/appointments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify({ slotId }),
      });
    },
    webhook: () => {
      const { id, signature, body } = signedEvent(event++, paymentSecret);
      return new Request(`${base}/api/v1/payments/razorpay/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-razorpay-signature': signature,
          'x-razorpay-event-id': id,
          // As over HTTP: a declared length spares the body guard measuring a copy.
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
      });
    },
    listing: () => new Request(base + seeded.listingPath),
    byId: () =>
      new Request(base + seeded.appointmentPath, {
        headers: { authorization: `Bearer ${seeded.patientToken}` },
      }),
  };
  for (const [name, make] of Object.entries(cases)) {
    if (only && only !== name) continue;
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const response = await app.handle(make());
        if (response.status >= 300) throw new Error(`${name}: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        // As a server's event loop does: each answer's after-response work (the access log) runs from an
        // immediate, and a loop that never yields would keep every request alive until the end.
        if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await run(Math.min(500, N / 4));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run(N);
    const wall = ((performance.now() - t0) * 1000) / N;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${name.padEnd(8)} ${wall.toFixed(1)} us wall, ${((cpu.user + cpu.system) / N).toFixed(1)} us CPU per request`,
    );
  }
  await container.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
