/**
 * The document layer alone on 100k documents, each operation beside the same SQL statement prepared
 * directly on bun:sqlite over the same connection. Prints one JSON object with the figures on stdout.
 *
 *   bun bench/layer.ts <dir> [secondsPerRun=1.5] [rounds=3]
 */
import type { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { openStore } from '../src/db/index.ts';
import { SqliteEngine } from '../src/db/sqlite/engine.ts';
import { BenchDocs, BOOKING_STATES, seed } from './fixtures.ts';

const DOCS = 100_000;
const RANGE = 1000;
const PAGE = 20;

const [dir, secondsArg = '1.5', roundsArg = '3'] = Bun.argv.slice(2);
if (!dir) throw new Error('usage: bun bench/layer.ts <dir> [secondsPerRun] [rounds]');
const seconds = Number(secondsArg);
const rounds = Number(roundsArg);

const store = await openStore(`sqlite:${join(dir, 'layer.sqlite')}`, [BenchDocs]);
if (!(store.engine instanceof SqliteEngine)) throw new Error('the layer bench runs on the SQLite engine');
const db: Database = store.engine.db;
const docs = store.collection(BenchDocs);

const seedStarted = performance.now();
const ids = await seed(docs, DOCS);
const seedSeconds = (performance.now() - seedStarted) / 1000;
db.run('ANALYZE');

/** Which state each document is in, so every conditional update is one that matches. */
const states = new Uint8Array(DOCS);
let cursor = 0;
const nextIndex = (): number => {
  cursor = (cursor + 7919) % DOCS;
  return cursor;
};
const rangeStart = (): number => Math.floor(Math.random() * (DOCS - RANGE));

const table = `"${BenchDocs.name}"`;
const setState = `json_set(doc, '$.state', json(?), '$.updatedAt', json(?))`;
const byIdAndState = `id = +? AND json_extract(doc, '$.state') = +?`;
const seqExpr = `json_extract(doc, '$.seq')`;
const direct = {
  findOneAndUpdate: db.query<{ id: string; doc: string }, [string, string, string, string]>(
    `UPDATE ${table} SET doc = ${setState} WHERE ${byIdAndState} RETURNING id, doc`,
  ),
  updateOne: db.query<never, [string, string, string, string]>(
    `UPDATE ${table} SET doc = ${setState} WHERE ${byIdAndState}`,
  ),
  // LIMIT written in, as the engine does: a bound LIMIT makes SQLite re-prepare the statement on every run.
  range: db.query<{ id: string; doc: string }, [number, number]>(
    `SELECT id, doc FROM ${table} WHERE ${seqExpr} >= +? AND ${seqExpr} < +? ORDER BY ${seqExpr} ASC, id ASC LIMIT ${PAGE}`,
  ),
};
// Finalized at once: an EXPLAIN statement left cached keeps the WAL from restarting (seen on Bun 1.4.5).
const explain = db.prepare<{ detail: string }, [number, number]>(
  `EXPLAIN QUERY PLAN SELECT id, doc FROM ${table} WHERE ${seqExpr} >= +? AND ${seqExpr} < +? ORDER BY ${seqExpr} ASC, id ASC LIMIT ${PAGE}`,
);
const plan = explain
  .all(0, RANGE)
  .map((row) => row.detail)
  .join('; ');
explain.finalize();

const flip = (index: number) => {
  const from = BOOKING_STATES[states[index]!]!;
  const to = BOOKING_STATES[states[index]! ^ 1]!;
  states[index]! ^= 1;
  return { id: ids[index]!, from, to };
};
const fail = (what: string): never => {
  throw new Error(`${what} did not match; the bench would measure the wrong path`);
};

type Op = () => unknown;
interface Case {
  name: string;
  direct: Op;
  layer: Op;
}

const cases: Case[] = [
  {
    name: 'findOneAndUpdate {_id, state}',
    direct: () => {
      const { id, from, to } = flip(nextIndex());
      // `all` runs the statement to completion; a `get` would leave its transaction open.
      const [row] = direct.findOneAndUpdate.all(
        JSON.stringify(to),
        JSON.stringify(new Date().toISOString()),
        id,
        from,
      );
      if (!row) fail('direct findOneAndUpdate');
      return { _id: row!.id, ...JSON.parse(row!.doc) };
    },
    layer: async () => {
      const { id, from, to } = flip(nextIndex());
      const doc = await docs.findOneAndUpdate(
        { _id: id, state: from },
        { $set: { state: to, updatedAt: new Date() } },
      );
      if (!doc) fail('layer findOneAndUpdate');
      return doc;
    },
  },
  {
    name: 'updateOne {_id, state}',
    direct: () => {
      const { id, from, to } = flip(nextIndex());
      const changes = direct.updateOne.run(
        JSON.stringify(to),
        JSON.stringify(new Date().toISOString()),
        id,
        from,
      ).changes;
      if (changes !== 1) fail('direct updateOne');
    },
    layer: async () => {
      const { id, from, to } = flip(nextIndex());
      if (!(await docs.updateOne({ _id: id, state: from }, { $set: { state: to, updatedAt: new Date() } })))
        fail('layer updateOne');
    },
  },
  {
    name: `find seq $gte/$lt, sort seq, limit ${PAGE}`,
    direct: () => {
      const from = rangeStart();
      const rows = direct.range
        .all(from, from + RANGE)
        .map((row) => ({ _id: row.id, ...JSON.parse(row.doc) }));
      if (rows.length !== PAGE) fail('direct range');
      return rows;
    },
    layer: async () => {
      const from = rangeStart();
      const page = await docs.find(
        { seq: { $gte: from, $lt: from + RANGE } },
        { sort: { seq: 1 }, limit: PAGE },
      );
      if (page.items.length !== PAGE) fail('layer range');
      return page;
    },
  },
];

interface Run {
  /** Operations per second of wall time. */
  opsPerSecond: number;
  /** Microseconds of this process's CPU time per operation: steadier when the machine is shared. */
  cpuUsPerOp: number;
}

/** Runs `op` back to back (awaited when it returns a promise) for `runSeconds`. */
async function measure(op: Op, runSeconds: number): Promise<Run> {
  Bun.gc(true);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + runSeconds * 1000;
  let count = 0;
  let now = started;
  while (now < deadline) {
    for (let i = 0; i < 64; i++) {
      const result = op();
      if (result instanceof Promise) await result;
    }
    count += 64;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { opsPerSecond: count / ((now - started) / 1000), cpuUsPerOp: (cpu.user + cpu.system) / count };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const results = [];
for (const c of cases) {
  await measure(c.direct, 0.3);
  await measure(c.layer, 0.3);
  const directRuns: Run[] = [];
  const layerRuns: Run[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which side goes first so drift (page cache, WAL, a busy neighbour) favours neither.
    if (round % 2 === 0) {
      directRuns.push(await measure(c.direct, seconds));
      layerRuns.push(await measure(c.layer, seconds));
    } else {
      layerRuns.push(await measure(c.layer, seconds));
      directRuns.push(await measure(c.direct, seconds));
    }
  }
  results.push({
    name: c.name,
    direct: median(directRuns.map((r) => r.opsPerSecond)),
    layer: median(layerRuns.map((r) => r.opsPerSecond)),
    directCpuUs: median(directRuns.map((r) => r.cpuUsPerOp)),
    layerCpuUs: median(layerRuns.map((r) => r.cpuUsPerOp)),
  });
}

await store.close();
console.log(JSON.stringify({ docs: DOCS, seedSeconds, plan, results }));
