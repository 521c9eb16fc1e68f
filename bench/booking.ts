/**
 * The booking hot paths on embedded SQLite, through the real server (src/main.ts, every middleware,
 * logging on, the hold sweeper running), driven by wrk. Part of `bun run bench`.
 *
 *   (d) holds: many patients holding distinct slots of many doctors at once (holds/s, p50, p99)
 *   (e) the free-slot listing of a doctor with 10k slots (first page, and a page from mid-range)
 *
 * The store is seeded directly (users, sessions, slots), then the server is pinned to core 1 and wrk to
 * core 0. Options: --seconds=N (default 5), --rounds=N (default 3), --quick (1 round of 2 s).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { buildContainer } from '../src/container.ts';
import { Appointments } from '../src/modules/appointments/appointments.model.ts';
import { type SlotDoc, Slots } from '../src/modules/slots/slots.model.ts';
import { type UserDoc, Users } from '../src/modules/users/users.model.ts';
import { runWrk, type WrkResult } from './wrk.ts';

const ROOT = join(import.meta.dir, '..');

const CONNECTIONS = 64;
const WARMUP_SECONDS = 1;
const HOLD_DOCTORS = 200;
const LISTING_DOCTORS = 5;
const LISTING_SLOTS = 10_000;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const flag = (name: string): string | undefined =>
  Bun.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const quick = Bun.argv.includes('--quick');
const rounds = Number(flag('rounds') ?? (quick ? 1 : 3));
const seconds = Number(flag('seconds') ?? (quick ? 2 : 5));
/** Distinct (patient, slot) pairs; generous, so wrk never runs out (a repeat would be a 409). */
const HOLD_PAIRS = Number(flag('pairs') ?? (quick ? 30_000 : 120_000));

if (!Bun.which('wrk')) {
  console.error('bench/booking.ts needs wrk: `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`.');
  process.exit(1);
}
const pinned = availableParallelism() >= 2 && Bun.which('taskset') !== null;
const serverPin = pinned ? ['taskset', '-c', '1'] : [];
const clientPin = pinned ? ['taskset', '-c', '0'] : [];
if (!pinned) console.warn('warning: fewer than 2 cores or no taskset; figures are indicative');

const work = mkdtempSync(join(tmpdir(), 'hv-bench-booking-'));
const env = {
  NODE_ENV: 'development',
  HOST: '127.0.0.1',
  DATA_DIR: join(work, 'data'),
  DATABASE_URL: `sqlite:${join(work, 'data', 'healthvision.sqlite')}`,
  JWT_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url'),
  LOG_LEVEL: 'info',
  ACCESS_TOKEN_TTL_SECONDS: '3600',
};
mkdirSync(env.DATA_DIR, { recursive: true });

interface Seeded {
  pairsFile: string;
  listingDoctorId: string;
  listingFrom: Date;
}

/** Doctors, patients with live sessions and slots, written straight into the store the server will open. */
async function seed(): Promise<Seeded> {
  const container = await buildContainer(loadConfig(env));
  const { store, slotsRepo, tokens } = container;
  const now = new Date();
  const firstDay = new Date(Math.ceil((now.getTime() + DAY) / DAY) * DAY);
  const user = (role: 'doctor' | 'patient', i: number): UserDoc => ({
    _id: Bun.randomUUIDv7(),
    email: `${role}-${i}@bench.test`,
    name: `${role === 'doctor' ? 'Dr' : 'Patient'} ${i}`,
    role,
    passwordHash: 'not-a-real-hash',
    emailVerified: true,
    walletBalancePaise: 0,
    ...(role === 'doctor'
      ? {
          doctor: {
            specialty: ['Cardiology', 'Dermatology', 'General Medicine'][i % 3]!,
            registrationNumber: `REG-${i}`,
            consultationFeePaise: 50_000,
            timezone: 'Asia/Kolkata',
            approvalStatus: 'approved' as const,
          },
        }
      : {}),
    createdAt: now,
    updatedAt: now,
  });

  const doctors = Array.from({ length: HOLD_DOCTORS + LISTING_DOCTORS }, (_, i) => user('doctor', i));
  await store.collection(Users).insertMany(doctors);
  const slot = (doctorId: string, startsAt: Date, minutes: number): SlotDoc => ({
    _id: Bun.randomUUIDv7(),
    doctorId,
    startsAt,
    endsAt: new Date(startsAt.getTime() + minutes * MINUTE),
    status: 'open',
    createdAt: now,
    updatedAt: now,
  });

  // Hold slots: pair i goes to doctor i % HOLD_DOCTORS, so concurrent requests spread over doctors.
  const perDoctor = Math.ceil(HOLD_PAIRS / HOLD_DOCTORS);
  const holdSlots: string[][] = doctors.slice(0, HOLD_DOCTORS).map(() => []);
  for (const [d, doctor] of doctors.slice(0, HOLD_DOCTORS).entries()) {
    const batch = Array.from({ length: perDoctor }, (_, k) =>
      slot(doctor._id, new Date(firstDay.getTime() + k * 15 * MINUTE), 15),
    );
    await slotsRepo.insertMany(batch);
    holdSlots[d] = batch.map((s) => s._id);
  }

  // Listing doctors: 10k ten-minute slots each; every 4th held, every 10th booked.
  for (const doctor of doctors.slice(HOLD_DOCTORS)) {
    for (let start = 0; start < LISTING_SLOTS; start += 5000) {
      const batch = Array.from({ length: Math.min(5000, LISTING_SLOTS - start) }, (_, k) => {
        const n = start + k;
        const doc = slot(doctor._id, new Date(firstDay.getTime() + n * 10 * MINUTE), 10);
        if (n % 10 === 0) return { ...doc, status: 'booked' as const, heldBy: Bun.randomUUIDv7() };
        if (n % 4 === 0)
          return {
            ...doc,
            status: 'held' as const,
            heldBy: Bun.randomUUIDv7(),
            holdExpiresAt: new Date(now.getTime() + DAY),
          };
        return doc;
      });
      await slotsRepo.insertMany(batch);
    }
  }

  // Patients with a live session each; each holds three slots (the per-patient limit), far apart in the run.
  const patientCount = Math.ceil(HOLD_PAIRS / 3);
  const patients = Array.from({ length: patientCount }, (_, i) => user('patient', i));
  for (let start = 0; start < patients.length; start += 5000) {
    await store.collection(Users).insertMany(patients.slice(start, start + 5000));
  }
  const patientTokens: string[] = [];
  for (const patient of patients)
    patientTokens.push((await tokens.startSession(patient._id, 'patient')).accessToken);
  const lines: string[] = [];
  for (let i = 0; i < HOLD_PAIRS; i++) {
    const slotId = holdSlots[i % HOLD_DOCTORS]![Math.floor(i / HOLD_DOCTORS)]!;
    lines.push(`${patientTokens[i % patientCount]} ${slotId}`);
  }
  const pairsFile = join(work, 'pairs.txt');
  writeFileSync(pairsFile, `${lines.join('\n')}\n`);
  await container.close();
  return { pairsFile, listingDoctorId: doctors[HOLD_DOCTORS]!._id, listingFrom: firstDay };
}

async function startServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  const proc = Bun.spawn([...serverPin, process.execPath, 'src/main.ts'], {
    cwd: ROOT,
    env: { ...env, PORT: String(port) },
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    if (
      await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      return {
        url,
        async stop() {
          proc.kill('SIGTERM');
          await proc.exited;
        },
      };
    }
    await Bun.sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error('src/main.ts did not become ready within 10 s');
}

const wrk = (url: string, seconds: number, script?: string[]): WrkResult =>
  runWrk({ url, seconds, connections: CONNECTIONS, pin: clientPin, ...(script ? { script } : {}) });

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(8);
const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)}ms`;

async function main(): Promise<void> {
  console.log(
    `Booking bench: Bun ${Bun.version}, wrk -t1 -c${CONNECTIONS} -d${seconds}s, median of ${rounds} round(s)`,
  );
  const seedStarted = performance.now();
  const seeded = await seed();
  console.log(
    `  seeded ${HOLD_DOCTORS + LISTING_DOCTORS} doctors, ${Math.ceil(HOLD_PAIRS / 3).toLocaleString('en-US')} patients with sessions, ` +
      `${(HOLD_PAIRS + LISTING_DOCTORS * LISTING_SLOTS).toLocaleString('en-US')} slots in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
  );

  const server = await startServer();
  const rows: [string, WrkResult[]][] = [];
  let holdsMade = 0;
  try {
    const holds: WrkResult[] = [];
    let next = 1;
    const holdUrl = `${server.url}/api/v1/appointments`;
    const script = join(import.meta.dir, 'holds.lua');
    for (let round = 0; round < rounds; round++) {
      // Requests still in flight when wrk stops are not counted but may have landed: skip past them.
      const warm = wrk(holdUrl, WARMUP_SECONDS, [script, seeded.pairsFile, String(next)]);
      next += warm.requests + 2 * CONNECTIONS;
      const run = wrk(holdUrl, seconds, [script, seeded.pairsFile, String(next)]);
      next += run.requests + 2 * CONNECTIONS;
      holdsMade += warm.requests + run.requests;
      holds.push(run);
      console.log(
        `  (d) round ${round + 1}/${rounds}: ${fmt(run.requestsPerSecond)} holds/s, p99 ${ms(run.p99Ms)}`,
      );
    }
    rows.push([`(d) POST /appointments: distinct slots of ${HOLD_DOCTORS} doctors`, holds]);

    const base = `${server.url}/api/v1/doctors/${seeded.listingDoctorId}/slots`;
    const to = new Date(seeded.listingFrom.getTime() + 80 * DAY).toISOString();
    for (const [label, from] of [
      ['first page', seeded.listingFrom],
      ['page from mid-range', new Date(seeded.listingFrom.getTime() + 35 * DAY)],
    ] as const) {
      const url = `${base}?from=${from.toISOString()}&to=${to}&limit=100`;
      const listing = await fetch(url).then((r) => r.json() as Promise<{ items: unknown[] }>);
      if (listing.items.length !== 100) throw new Error(`listing returned ${listing.items.length} slots`);
      const runs: WrkResult[] = [];
      for (let round = 0; round < rounds; round++) {
        wrk(url, WARMUP_SECONDS);
        runs.push(wrk(url, seconds));
        console.log(
          `  (e) ${label} round ${round + 1}/${rounds}: ${fmt(runs.at(-1)!.requestsPerSecond)} req/s`,
        );
      }
      rows.push([`(e) GET /doctors/:id/slots (10k slots), ${label}, 100 per page`, runs]);
    }
  } finally {
    await server.stop();
  }

  // Every counted 201 is a stored hold (requests cut off when wrk stops may add a few), each slot held once.
  const check = await buildContainer(loadConfig(env));
  const stored = await check.store.collection(Appointments).count({ status: 'pending_payment' });
  const heldSlots = await check.store
    .collection(Slots)
    .count({ status: 'held', holdExpiresAt: { $lt: new Date(Date.now() + DAY / 2) } });
  await check.close();
  rmSync(work, { recursive: true, force: true });
  if (stored < holdsMade || stored !== heldSlots) {
    throw new Error(`${holdsMade} holds answered 201; ${stored} stored; ${heldSlots} slots held by them`);
  }

  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(
    `\n${'case'.padEnd(width)}  ${'per second'.padStart(10)}  ${'p50'.padStart(8)}  ${'p99'.padStart(8)}`,
  );
  for (const [name, runs] of rows) {
    const rate = median(runs.map((r) => r.requestsPerSecond));
    console.log(
      `${name.padEnd(width)}  ${fmt(rate).padStart(10)}  ${ms(median(runs.map((r) => r.p50Ms))).padStart(8)}  ${ms(median(runs.map((r) => r.p99Ms))).padStart(8)}`,
    );
  }
  console.log(
    `\n${holdsMade.toLocaleString('en-US')} holds answered 201; each is in the store, holding its own slot.`,
  );
}

await main();
