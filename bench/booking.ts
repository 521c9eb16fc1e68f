/**
 * The booking paths users wait on, each through the real server (src/main.ts, every middleware, logging
 * on, the hold sweeper running) beside a twin (bench/servers/twin-booking.ts) that runs the same
 * statements directly on bun:sqlite with the same checks, on its own copy of the same seeded file:
 *
 *   (d) holds: POST /appointments with auth, validation, an Idempotency-Key, the claim and the insert,
 *       many patients holding distinct slots of many doctors at once
 *   (e) the bookable-slot listing of a doctor with 10k slots, 100 per page
 *   (f) one appointment read by id, with auth
 *
 * Part of `bun run bench`; `bun bench/booking.ts [--quick]` runs these alone. With `--twin-jwt=hmac` the
 * twin checks tokens with node:crypto by hand rather than with @elysiajs/jwt (what that library costs).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { collections } from '../src/container.ts';
import { openStore } from '../src/db/index.ts';
import { SqliteEngine } from '../src/db/sqlite/engine.ts';
import { Appointments } from '../src/modules/appointments/appointments.model.ts';
import { Sessions } from '../src/modules/auth/auth.model.ts';
import { type SlotDoc, Slots } from '../src/modules/slots/slots.model.ts';
import { type UserDoc, Users } from '../src/modules/users/users.model.ts';
import {
  BUN,
  compareHttp,
  flag,
  freePort,
  httpRow,
  type Pinning,
  quick,
  type Row,
  runAlone,
  type Server,
  type Side,
  sameJson,
  serverEnv,
  startServer,
} from './harness.ts';
import { signAccess } from './servers/twin.ts';

const HOLD_DOCTORS = 200;
const LISTING_DOCTORS = 5;
const LISTING_SLOTS = 10_000;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Distinct (patient, slot) pairs; generous, so wrk never runs out on either side (a repeat is a 409). */
export const HOLD_PAIRS = Number(flag('pairs') ?? (quick ? 40_000 : 150_000));

interface Seeded {
  pairsFile: string;
  listingPath: string;
  appointmentPath: string;
  patientToken: string;
}

/** Doctors, patients with live sessions, slots and one confirmed appointment, written straight into the store. */
export async function seed(database: string, secret: string, dir: string): Promise<Seeded> {
  const config = loadConfig({ JWT_SECRET: secret, DATA_DIR: dir });
  // Every collection's table, as the app makes them: the twin prepares its payment statements at start.
  const store = await openStore(`sqlite:${database}`, collections);
  const now = new Date();
  const firstDay = new Date(Math.ceil((now.getTime() + DAY) / DAY) * DAY);
  const user = (role: 'doctor' | 'patient', i: number): UserDoc => ({
    _id: Bun.randomUUIDv7(),
    email: `${role}-${i}@bench.test`,
    name: `${role === 'doctor' ? 'Dr' : 'Patient'} ${i}`,
    role,
    passwordHash: 'not-a-real-hash',
    emailVerified: true,
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
  const holdSlots: string[][] = [];
  for (const doctor of doctors.slice(0, HOLD_DOCTORS)) {
    const batch = Array.from({ length: perDoctor }, (_, k) =>
      slot(doctor._id, new Date(firstDay.getTime() + k * 15 * MINUTE), 15),
    );
    await store.collection(Slots).insertMany(batch);
    holdSlots.push(batch.map((s) => s._id));
  }

  // Listing doctors: 10k ten-minute slots each; every 4th held, every 10th booked.
  let bookedSlot: SlotDoc | undefined;
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
      bookedSlot ??= batch[0];
      await store.collection(Slots).insertMany(batch);
    }
  }

  // Patients with a live session each; each holds three slots (the per-patient limit), far apart in the run.
  const patientCount = Math.ceil(HOLD_PAIRS / 3);
  const patients = Array.from({ length: patientCount }, (_, i) => user('patient', i));
  const exp = Math.floor(now.getTime() / 1000) + 3 * 3600;
  const tokens: string[] = [];
  for (let start = 0; start < patients.length; start += 5000) {
    const batch = patients.slice(start, start + 5000);
    await store.collection(Users).insertMany(batch);
    const sessions = batch.map((patient) => ({
      _id: Bun.randomUUIDv7(),
      userId: patient._id,
      createdAt: now,
      refreshedAt: now,
      expiresAt: new Date(now.getTime() + 30 * DAY),
    }));
    await store.collection(Sessions).insertMany(sessions);
    for (const session of sessions) {
      tokens.push(
        signAccess(config.JWT_SECRET, {
          sub: session.userId,
          role: 'patient',
          sid: session._id,
          exp,
          iss: config.JWT_ISSUER,
          aud: config.JWT_AUDIENCE,
        }),
      );
    }
  }
  const lines: string[] = [];
  for (let i = 0; i < HOLD_PAIRS; i++) {
    const slotId = holdSlots[i % HOLD_DOCTORS]![Math.floor(i / HOLD_DOCTORS)]!;
    lines.push(`${tokens[i % patientCount]} ${slotId}`);
  }
  const pairsFile = join(dir, 'pairs.txt');
  writeFileSync(pairsFile, `${lines.join('\n')}\n`);

  // The read by id: a confirmed appointment of patient 0 on a booked slot of a listing doctor.
  const appointmentId = Bun.randomUUIDv7();
  await store.collection(Appointments).insertOne({
    _id: appointmentId,
    patientId: patients[0]!._id,
    doctorId: bookedSlot!.doctorId,
    slotId: bookedSlot!._id,
    startsAt: bookedSlot!.startsAt,
    endsAt: bookedSlot!.endsAt,
    status: 'confirmed',
    active: true,
    feePaise: 50_000,
    holdExpiresAt: now,
    reason: 'Follow-up on last month\u2019s results',
    createdAt: now,
    updatedAt: now,
  });

  if (store.engine instanceof SqliteEngine) store.engine.db.run('PRAGMA wal_checkpoint(TRUNCATE)');
  await store.close();
  const listingDoctor = doctors[HOLD_DOCTORS]!._id;
  const to = new Date(firstDay.getTime() + 80 * DAY).toISOString();
  return {
    pairsFile,
    listingPath: `/api/v1/doctors/${listingDoctor}/slots?from=${firstDay.toISOString()}&to=${to}&limit=100`,
    appointmentPath: `/api/v1/appointments/${appointmentId}`,
    patientToken: tokens[0]!,
  };
}

/** Stored holds and the slots they hold, read back after the runs (not timed). */
async function storedHolds(database: string): Promise<{ holds: number; heldSlots: number }> {
  const store = await openStore(`sqlite:${database}`, [Slots, Appointments]);
  const holds = await store.collection(Appointments).count({ status: 'pending_payment' });
  // Seeded listing holds last a day; the bench's holds last BOOKING_HOLD_SECONDS.
  const heldSlots = await store
    .collection(Slots)
    .count({ status: 'held', holdExpiresAt: { $lt: new Date(Date.now() + DAY / 2) } });
  await store.close();
  return { holds, heldSlots };
}

const HOLD_FIELDS = ['patientId', 'doctorId', 'slotId', 'startsAt', 'endsAt', 'status', 'feePaise'] as const;

export async function bookingRows(pin: Pinning, dir: string): Promise<Row[]> {
  const seedStarted = performance.now();
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  mkdirSync(dir, { recursive: true });
  const seeded = await seed(join(dir, 'seed.sqlite'), secret, dir);
  const files: Record<Side, { dir: string; database: string }> = {
    app: { dir: join(dir, 'app'), database: join(dir, 'app', 'healthvision.sqlite') },
    bare: { dir: join(dir, 'twin'), database: join(dir, 'twin', 'healthvision.sqlite') },
  };
  for (const side of Object.values(files)) {
    mkdirSync(side.dir);
    copyFileSync(join(dir, 'seed.sqlite'), side.database);
  }
  console.log(
    `  (d-f) seeded ${HOLD_DOCTORS + LISTING_DOCTORS} doctors, ${Math.ceil(HOLD_PAIRS / 3).toLocaleString('en-US')} patients with sessions, ` +
      `${(HOLD_PAIRS + LISTING_DOCTORS * LISTING_SLOTS).toLocaleString('en-US')} slots in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
  );

  const envOf = (side: Side, port: number) =>
    serverEnv(port, files[side].dir, files[side].database, secret, {
      // Read by the twin only: `--twin-jwt=hmac` verifies tokens by hand instead of with the app's library.
      TWIN_JWT: flag('twin-jwt') ?? 'library',
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
      const command = [...pin.server, BUN, 'bench/servers/twin-booking.ts'];
      return startServer(command, envOf('bare', port), port, '/ready');
    },
  };
  const auth = { authorization: `Bearer ${seeded.patientToken}` };
  const rows: Row[] = [];

  // (d) holds. Each side moves through the same pairs on its own copy of the store (the check holds line 1).
  const made: Record<Side, number> = { app: 1, bare: 1 };
  const script = join(import.meta.dir, 'holds.lua');
  const holds = await compareHttp(
    {
      name: '(d)',
      app,
      bare,
      load: (_side, offset) => ({
        path: '/api/v1/appointments',
        script: [script, seeded.pairsFile, String(2 + offset)],
      }),
      capacity: HOLD_PAIRS - 1,
      ran: (side, result) => {
        made[side] += result.requests;
      },
      check: async (a: Server, b: Server) => {
        // Both hold the first pair: same status, same appointment but for its ids and instants.
        const [token, slotId] = (await Bun.file(seeded.pairsFile).text()).split('\n')[0]!.split(' ');
        const answers = await Promise.all(
          [a, b].map(async (server) => {
            const response = await fetch(`${server.url}/api/v1/appointments`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${token}`,
                'content-type': 'application/json',
                'idempotency-key': 'bench-check',
              },
              body: JSON.stringify({ slotId }),
            });
            return {
              status: response.status,
              body: (await response.json()) as { appointment: Record<string, unknown> },
            };
          }),
        );
        const [x, y] = answers as [(typeof answers)[0], (typeof answers)[0]];
        const pick = (body: { appointment: Record<string, unknown> }) =>
          Object.fromEntries(HOLD_FIELDS.map((key) => [key, body.appointment?.[key]]));
        const keys = (body: { appointment?: Record<string, unknown> }) =>
          Object.keys(body.appointment ?? {}).sort();
        if (
          x.status !== 201 ||
          y.status !== 201 ||
          !Bun.deepEquals(pick(x.body), pick(y.body)) ||
          !Bun.deepEquals(keys(x.body), keys(y.body))
        ) {
          throw new Error(`holds: the app and its twin answer differently:\n${JSON.stringify(answers)}`);
        }
      },
    },
    pin,
  );
  rows.push(
    httpRow(
      `(d) POST /appointments (hold), ${HOLD_DOCTORS} doctors`,
      'same statements on bun:sqlite',
      holds,
      0.7,
      'holds/s',
    ),
  );

  // (e) the listing, (f) the read by id with auth.
  const listing = await compareHttp(
    {
      name: '(e)',
      app,
      bare,
      load: () => ({ path: seeded.listingPath }),
      check: async (a, b) => {
        await sameJson(seeded.listingPath)(a, b);
        const page = (await fetch(a.url + seeded.listingPath).then((r) => r.json())) as { items: unknown[] };
        if (page.items.length !== 100) throw new Error(`the listing returned ${page.items.length} slots`);
      },
    },
    pin,
  );
  rows.push(httpRow('(e) GET /doctors/:id/slots, 100 of 10k', 'same query on bun:sqlite', listing, 0.7));

  const byId = await compareHttp(
    {
      name: '(f)',
      app,
      bare,
      load: () => ({ path: seeded.appointmentPath, headers: auth }),
      check: sameJson(seeded.appointmentPath, auth),
    },
    pin,
  );
  rows.push(httpRow('(f) GET /appointments/:id, with auth', 'same reads on bun:sqlite', byId, 0.75));

  // Every counted 201 is a stored hold (requests cut off when wrk stops may add a few), each slot held once.
  for (const side of ['app', 'bare'] as const) {
    const { holds: stored, heldSlots } = await storedHolds(files[side].database);
    if (stored < made[side] || stored !== heldSlots) {
      throw new Error(
        `${side}: ${made[side]} holds answered 201; ${stored} stored; ${heldSlots} slots held by them`,
      );
    }
    console.log(
      `  (d) ${side === 'app' ? 'app ' : 'twin'}: ${made[side].toLocaleString('en-US')} holds answered 201; each is in the store, holding its own slot`,
    );
  }
  return rows;
}

if (import.meta.main) await runAlone('booking', bookingRows);
