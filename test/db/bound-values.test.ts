import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { defineCollection, openStore, type Store } from '../../src/db/index.ts';
import type { SqliteEngine } from '../../src/db/sqlite/engine.ts';
import { WhereBuilder } from '../../src/db/sqlite/sql.ts';
import type { Filter } from '../../src/db/types.ts';
import { recordStatements } from '../support/statements.ts';

const Item = Type.Object(
  {
    _id: Type.String(),
    k: Type.String(),
    n: Type.Number(),
    flag: Type.Boolean(),
    at: Type.Date(),
    status: Type.Union([Type.Literal('held'), Type.Literal('done')]),
    slot: Type.String(),
    note: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
const items = defineCollection({
  name: 'bound_items',
  schema: Item,
  indexes: [
    { keys: { k: 1 } },
    { keys: { n: 1 } },
    { keys: { slot: 1 }, unique: true, partial: { status: 'held' } },
    { keys: { note: 1 }, partial: { note: { $exists: true } } },
  ],
});

/**
 * How the SQLite engine binds filter values. Compared bare (`?`) with an indexed field, a value is one
 * SQLite may plan with, and a statement planned with a bound value is prepared again whenever a value is
 * bound: in a sorted query that is a few microseconds on every run. So values are written `+?` (the
 * same value, no affinity either way, the index still used), except on the paths a partial index's filter
 * names, where planning with the value is what lets the partial index serve the query.
 */
describe('bound values on SQLite', () => {
  let store: Store;
  let statements: string[];
  const at = (i: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, i));
  beforeAll(async () => {
    store = await openStore('sqlite::memory:', [items]);
    ({ statements } = recordStatements((store.engine as SqliteEngine).db));
    await store.collection(items).insertMany(
      Array.from({ length: 40 }, (_, i) => ({
        _id: `i${String(i).padStart(2, '0')}`,
        k: `k${i % 7}`,
        n: (i % 9) / 2,
        flag: i % 3 === 0,
        at: at(i),
        status: i < 10 ? ('held' as const) : ('done' as const),
        slot: `s${i}`,
        note: i % 4 === 0 ? null : `note ${i % 5}`,
      })),
    );
  });
  afterAll(() => store.close());

  const lastSelect = () => statements.filter((sql) => sql.startsWith('SELECT')).at(-1)!;

  test('a value is bound as +? where no partial index names its path, and as ? where one does', async () => {
    statements.length = 0;
    await store.collection(items).findOne({ k: 'k1', n: { $gte: 1 } });
    expect(lastSelect()).toContain("json_extract(doc, '$.k') = +?");
    expect(lastSelect()).toContain("json_extract(doc, '$.n') >= +?");
    await store.collection(items).findOne({ slot: 's3', status: 'held' });
    expect(lastSelect()).toContain("json_extract(doc, '$.status') = ?");
    expect(lastSelect()).toContain("json_extract(doc, '$.slot') = +?");
    // No bound value implies an `$exists` partial filter, so that path is not planned with its value.
    await store.collection(items).findOne({ note: 'note 1' });
    expect(lastSelect()).toContain("json_extract(doc, '$.note') = +?");
  });

  test('planning with the value is what lets the partial index serve a query', () => {
    const { db } = store.engine as SqliteEngine;
    const planOf = (status: string) =>
      db
        .query<{ detail: string }, [string, string]>(
          `EXPLAIN QUERY PLAN SELECT id FROM "bound_items" WHERE json_extract(doc, '$.slot') = +? AND json_extract(doc, '$.status') = ${status}`,
        )
        .all('s3', 'held')
        .map((row) => row.detail)
        .join('\n');
    expect(planOf('?')).toContain('USING INDEX bound_items__slot');
    expect(planOf('+?')).not.toContain('USING INDEX bound_items__slot');
  });

  test('+? finds exactly what ? finds, for every operator and value type', async () => {
    const { db } = store.engine as SqliteEngine;
    const filters: Filter[] = [
      { k: 'k3' },
      { k: { $ne: 'k3' } },
      { n: 2 },
      { n: { $gt: 1.5 } },
      { n: { $lte: 1 }, k: { $in: ['k1', 'k2'] } },
      { flag: true },
      { flag: { $ne: false } },
      { at: { $gte: at(12), $lt: at(30) } },
      { note: null, k: { $gte: 'k2' } },
      { note: { $ne: null }, n: { $lt: 3 } },
      { note: { $in: ['note 1', null] } },
      { note: { $nin: ['note 1', 'note 2'] } },
      { _id: { $gt: 'i20' } },
      { $or: [{ k: 'k0' }, { n: { $gte: 4 } }] },
    ];
    for (const filter of filters) {
      statements.length = 0;
      const found = await store.collection(items).findAll(filter, { sort: { n: -1 } });
      const sql = lastSelect();
      expect(sql).toContain('+?');
      // The same statement with every value bound bare, run directly.
      const params = [...sql.matchAll(/\+\?/g)].length;
      const where = new WhereBuilder(false, new Set(['status']));
      where.build(filter);
      const bound = where.params;
      expect(bound).toHaveLength(params);
      const bare = db
        .query<{ id: string }, (string | number | null)[]>(sql.replaceAll('+?', '?'))
        .all(...bound)
        .map((row) => row.id);
      expect(found.map((doc) => doc._id)).toEqual(bare);
      expect(found.length).toBeGreaterThan(0);
    }
  });
});
