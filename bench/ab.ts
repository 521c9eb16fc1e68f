/**
 * A change seen through the noise: two trees of the app (say `git worktree add /tmp/before main`) on one
 * booking case, each side its own server process from its own tree, rounds alternating exactly as the twin
 * comparisons do:
 *
 *   bun bench/ab.ts --before=/tmp/before [--after=.] [--case=hold|listing|byId|webhook] [--rounds=5 --seconds=4]
 *
 * Prints both sides' CPU per request and the rounds' ratios (before over after: above 1 is a gain). The
 * same tree on both sides moves 5-10% on this shared machine, so a change smaller than that needs more
 * rounds to show.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { devPaymentSecretFile } from '../src/config.ts';
import { HOLD_PAIRS, seed } from './booking.ts';
import {
  BUN,
  compareHttp,
  ensureWrk,
  flag,
  freePort,
  median,
  pinning,
  ROOT,
  scratchDir,
  serverEnv,
  startServer,
} from './harness.ts';
import { writeSignedEvents } from './payments.ts';

const before = flag('before');
if (!before)
  throw new Error('usage: bun bench/ab.ts --before=<tree> [--after=<tree>] [--case=hold|listing|byId]');
const after = resolve(flag('after') ?? ROOT);
const which = flag('case') ?? 'byId';
ensureWrk();
const pin = pinning();
const work = scratchDir('hv-ab-');
try {
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  const seeded = await seed(join(work, 'seed.sqlite'), secret, work);
  // The webhook case: signed `payment.failed` events of unknown orders, one per request (as in bench/payments.ts).
  const paymentSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex');
  const eventsFile = join(work, 'events.txt');
  if (which === 'webhook') writeSignedEvents(eventsFile, 200_000, paymentSecret);
  let started = 0;
  // A fresh copy of the seeded store for every start, so both sides begin from the same data.
  const side = (label: string, tree: string) => ({
    label,
    start: () => {
      const dir = join(work, `run-${started++}`);
      mkdirSync(dir);
      copyFileSync(join(work, 'seed.sqlite'), join(dir, 'healthvision.sqlite'));
      writeFileSync(devPaymentSecretFile(dir), paymentSecret, { mode: 0o600 });
      const port = freePort();
      const env = serverEnv(port, dir, join(dir, 'healthvision.sqlite'), secret, { PAYMENT_PROVIDER: 'dev' });
      return startServer([...pin.server, BUN, 'src/main.ts'], env, port, '/ready', tree);
    },
  });
  const result = await compareHttp(
    {
      name: `(${which})`,
      app: side(`after: ${after}`, after),
      bare: side(`before: ${resolve(before)}`, resolve(before)),
      load: (_key, offset) =>
        which === 'webhook'
          ? {
              path: '/api/v1/payments/razorpay/webhook',
              script: [join(import.meta.dir, 'webhooks.lua'), eventsFile, String(2 + offset)],
            }
          : which === 'hold'
            ? {
                path: '/api/v1/appointments',
                script: [join(import.meta.dir, 'holds.lua'), seeded.pairsFile, String(2 + offset)],
              }
            : which === 'listing'
              ? { path: seeded.listingPath }
              : { path: seeded.appointmentPath, headers: { authorization: `Bearer ${seeded.patientToken}` } },
      capacity: which === 'webhook' ? 200_000 - 1 : which === 'hold' ? HOLD_PAIRS - 1 : undefined,
      check: async () => {},
    },
    pin,
  );
  const ratios = result.cpuRatios.map((r) => r.toFixed(2)).join(', ');
  console.log(
    `${which}: before ${result.bare.cpuUsPerRequest?.toFixed(1)} us, after ${result.app.cpuUsPerRequest?.toFixed(1)} us ` +
      `CPU per request; before/after by round ${ratios}; median ${median(result.cpuRatios).toFixed(3)}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
