import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { defineCollection, openStore } from '../../src/db/index.ts';
import type { SqliteEngine } from '../../src/db/sqlite/engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'hv-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Flips = defineCollection({
  name: 'flips',
  schema: Type.Object({ _id: Type.String(), state: Type.Union([Type.Literal('on'), Type.Literal('of')]) }),
});

test('conditional updates let the SQLite WAL restart instead of growing without bound', async () => {
  const file = join(dir, 'wal.sqlite');
  const store = await openStore(`sqlite:${file}`, [Flips]);
  const flips = store.collection(Flips);
  const docs = await flips.insertMany(Array.from({ length: 500 }, () => ({ state: 'of' as const })));

  // Each update commits one page; 6000 of them would make a 24 MB WAL if it never restarted.
  for (let round = 0; round < 6; round++) {
    const [from, to] = round % 2 === 0 ? (['of', 'on'] as const) : (['on', 'of'] as const);
    for (const [i, doc] of docs.entries()) {
      const matched =
        i % 2 === 0
          ? (await flips.findOneAndUpdate({ _id: doc._id, state: from }, { $set: { state: to } })) !== null
          : await flips.updateOne({ _id: doc._id, state: from }, { $set: { state: to } });
      expect(matched).toBe(true);
    }
    for (const doc of docs) {
      await flips.updateOne({ _id: doc._id }, { $set: { state: round % 2 === 0 ? 'on' : 'of' } });
    }
  }

  const db = (store.engine as SqliteEngine).db;
  const pageSize = db.query<{ page_size: number }, []>('PRAGMA page_size').get()!.page_size;
  const autocheckpoint = db
    .query<{ wal_autocheckpoint: number }, []>('PRAGMA wal_autocheckpoint')
    .get()!.wal_autocheckpoint;
  const walBytes = statSync(`${file}-wal`).size;
  expect(walBytes).toBeLessThan((autocheckpoint + 100) * (pageSize + 24));
  expect(await flips.count({ state: 'of' })).toBe(500);
  await store.close();
});
