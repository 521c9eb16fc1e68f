/**
 * The payment paths, each through the real server (src/main.ts, every middleware, logging on, the jobs and
 * the outbox deliverer running) beside the booking twin (bench/servers/twin-booking.ts with
 * twin-payments.ts), which runs the same statements directly on bun:sqlite, on its own copy of the store:
 *
 *   (g) the wallet checkout path: a hold (POST /appointments), then its payment from the wallet
 *       (POST /payments/checkout), by many patients with funded wallets at once; every request is one of them
 *   (h) webhook intake: POST /payments/razorpay/webhook, a distinct signed event each time (an order we do
 *       not know: signature, event-id check, payment lookup, the event record)
 *
 * Part of `bun run bench`; `bun bench/payments.ts [--quick]` runs these alone.
 */

import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devPaymentSecretFile } from '../src/config.ts';
import { collections } from '../src/container.ts';
import { openStore } from '../src/db/index.ts';
import { SqliteEngine } from '../src/db/sqlite/engine.ts';
import { Appointments } from '../src/modules/appointments/appointments.model.ts';
import { Payments } from '../src/modules/payments/payments.model.ts';
import { WalletEntries, Wallets } from '../src/modules/wallet/wallet.model.ts';
import { seed } from './booking.ts';
import {
  BUN,
  compareHttp,
  freePort,
  httpRow,
  type Pinning,
  quick,
  type Row,
  runAlone,
  type Side,
  serverEnv,
  startServer,
} from './harness.ts';

const EVENTS = quick ? 60_000 : 300_000;
const FUNDS_PAISE = 1_000_000_000;

/** Event `i` of the webhook case: a signed `payment.failed` of an order nobody has, as Razorpay sends one. */
export function signedEvent(i: number, webhookSecret: string) {
  const body = JSON.stringify({
    entity: 'event',
    account_id: 'acc_bench',
    event: 'payment.failed',
    contains: ['payment'],
    payload: {
      payment: {
        entity: { id: `pay_bench${i}`, order_id: `order_bench${i}`, amount: 50_000, status: 'failed' },
      },
    },
    created_at: Math.floor(Date.now() / 1000),
  });
  return {
    id: `evt_bench${i}`,
    signature: createHmac('sha256', webhookSecret).update(body).digest('hex'),
    body,
  };
}

/** `count` distinct signed events, one per line as `bench/webhooks.lua` reads them. */
export function writeSignedEvents(file: string, count: number, webhookSecret: string): void {
  const lines = Array.from({ length: count }, (_, i) => {
    const { id, signature, body } = signedEvent(i, webhookSecret);
    return `${id} ${signature} ${body}`;
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
}

export async function paymentRows(pin: Pinning, dir: string): Promise<Row[]> {
  const started = performance.now();
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  const paymentSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex');
  mkdirSync(dir, { recursive: true });
  const database = join(dir, 'seed.sqlite');
  const seeded = await seed(database, secret, dir);

  // Every collection's table, funded wallets (each with its top-up entry), the pairs with their patient.
  const store = await openStore(`sqlite:${database}`, collections);
  const pairs = (await Bun.file(seeded.pairsFile).text()).trim().split('\n');
  const patients = new Map<string, string>();
  const lines = pairs.map((line) => {
    const [token, slotId] = line.split(' ') as [string, string];
    const sub = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub as string;
    patients.set(sub, token);
    return `${token} ${slotId} ${sub}`;
  });
  const now = new Date();
  const ids = [...patients.keys()];
  for (let start = 0; start < ids.length; start += 5000) {
    const batch = ids.slice(start, start + 5000);
    await store.collection(Wallets).insertMany(
      batch.map((_id) => ({
        _id,
        balancePaise: FUNDS_PAISE,
        reservedPaise: 0,
        availablePaise: FUNDS_PAISE,
        createdAt: now,
        updatedAt: now,
      })),
    );
    await store.collection(WalletEntries).insertMany(
      batch.map((walletId) => {
        const ref = Bun.randomUUIDv7();
        return {
          _id: Bun.randomUUIDv7(),
          walletId,
          kind: 'topup' as const,
          amountPaise: FUNDS_PAISE,
          balanceAfterPaise: FUNDS_PAISE,
          reservedAfterPaise: 0,
          ref: { type: 'payment' as const, id: ref },
          key: `topup:${ref}`,
          createdAt: now,
        };
      }),
    );
  }
  if (store.engine instanceof SqliteEngine) store.engine.db.run('PRAGMA wal_checkpoint(TRUNCATE)');
  await store.close();
  const pairsFile = join(dir, 'checkout-pairs.txt');
  writeFileSync(pairsFile, `${lines.join('\n')}\n`);
  const eventsFile = join(dir, 'events.txt');
  writeSignedEvents(eventsFile, EVENTS, paymentSecret);

  const files: Record<Side, { dir: string; database: string }> = {
    app: { dir: join(dir, 'app'), database: join(dir, 'app', 'healthvision.sqlite') },
    bare: { dir: join(dir, 'twin'), database: join(dir, 'twin', 'healthvision.sqlite') },
  };
  for (const side of Object.values(files)) {
    mkdirSync(side.dir);
    copyFileSync(database, side.database);
    writeFileSync(devPaymentSecretFile(side.dir), paymentSecret, { mode: 0o600 });
  }
  console.log(
    `  (g-h) seeded ${patients.size.toLocaleString('en-US')} funded wallets and ${EVENTS.toLocaleString('en-US')} signed events in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const envOf = (side: Side, port: number) =>
    serverEnv(port, files[side].dir, files[side].database, secret, {
      PAYMENT_PROVIDER: 'dev',
      TWIN_JWT: 'library',
    });
  const app = {
    label: 'src/main.ts (all middleware)',
    start: () => {
      const port = freePort();
      return startServer([...pin.server, BUN, 'src/main.ts'], envOf('app', port), port, '/ready');
    },
  };
  const bare = {
    label: 'twin: Bun.serve + bun:sqlite',
    start: () => {
      const port = freePort();
      return startServer(
        [...pin.server, BUN, 'bench/servers/twin-booking.ts'],
        envOf('bare', port),
        port,
        '/ready',
      );
    },
  };
  const rows: Row[] = [];

  // (h) first: its store is the seeded one, with no outbox backlog from (g) being delivered meanwhile.
  const intake = await compareHttp(
    {
      name: '(h)',
      app,
      bare,
      // Line 1 is the check's event.
      load: (_side, offset) => ({
        path: '/api/v1/payments/razorpay/webhook',
        script: [join(import.meta.dir, 'webhooks.lua'), eventsFile, String(2 + offset)],
      }),
      capacity: EVENTS - 1,
      check: async (a, b) => {
        const { id, signature, body } = signedEvent(0, paymentSecret);
        const answers = await Promise.all(
          [a, b].map(async (server) => {
            const response = await fetch(`${server.url}/api/v1/payments/razorpay/webhook`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-razorpay-signature': signature,
                'x-razorpay-event-id': id,
              },
              body,
            });
            return { status: response.status, body: await response.json() };
          }),
        );
        if (answers[0]!.status !== 200 || !Bun.deepEquals(answers[0], answers[1]))
          throw new Error(`webhook: the app and its twin answer differently:\n${JSON.stringify(answers)}`);
      },
    },
    pin,
  );
  rows.push(httpRow('(h) POST /payments/razorpay/webhook', 'same statements on bun:sqlite', intake, 0.7));

  // (g) holds and wallet payments; each side moves through the same pairs (the check holds line 1).
  const checkout = await compareHttp(
    {
      name: '(g)',
      app,
      bare,
      load: (_side, offset) => ({
        path: '/api/v1/appointments',
        script: [join(import.meta.dir, 'checkout.lua'), pairsFile, String(2 + offset)],
      }),
      // Each request holds a slot or pays for one: at most one line each.
      capacity: lines.length - 1,
      check: async (a, b) => {
        const [token, slotId] = lines[0]!.split(' ') as [string, string];
        const answers = await Promise.all(
          [a, b].map(async (server) => {
            const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
            const held = (await fetch(`${server.url}/api/v1/appointments`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ slotId }),
            }).then((r) => r.json())) as { appointment: { id: string } };
            const paid = await fetch(`${server.url}/api/v1/payments/checkout`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ appointmentId: held.appointment.id, method: 'wallet' }),
            });
            const body = (await paid.json()) as {
              payment: Record<string, unknown>;
              appointment: Record<string, unknown>;
            };
            const pick = (o: Record<string, unknown>, keys: string[]) =>
              Object.fromEntries(keys.map((k) => [k, o[k]]));
            return {
              status: paid.status,
              payment: pick(body.payment, [
                'purpose',
                'method',
                'amountPaise',
                'walletPaise',
                'gatewayPaise',
                'status',
              ]),
              paymentKeys: Object.keys(body.payment).sort(),
              appointment: pick(body.appointment, ['status', 'feePaise', 'slotId']),
            };
          }),
        );
        if (answers[0]!.status !== 200 || !Bun.deepEquals(answers[0], answers[1]))
          throw new Error(`checkout: the app and its twin answer differently:\n${JSON.stringify(answers)}`);
      },
    },
    pin,
  );
  rows.push(httpRow('(g) hold + wallet checkout', 'same statements on bun:sqlite', checkout, 0.7, 'req/s'));

  for (const side of ['app', 'bare'] as const) {
    const check = await openStore(`sqlite:${files[side].database}`, [Appointments, Payments]);
    const confirmed = await check.collection(Appointments).count({ status: 'confirmed' });
    const paid = await check.collection(Payments).count({ status: 'applied' });
    await check.close();
    // The seed has one confirmed appointment with no payment.
    if (confirmed !== paid + 1)
      throw new Error(`${side}: ${confirmed} confirmed appointments, ${paid} payments`);
    console.log(
      `  (g) ${side === 'app' ? 'app ' : 'twin'}: ${paid.toLocaleString('en-US')} appointments paid from the wallet, each confirmed once`,
    );
  }
  return rows;
}

if (import.meta.main) await runAlone('payments', paymentRows);
