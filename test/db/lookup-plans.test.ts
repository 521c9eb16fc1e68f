import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { TSchema } from '@sinclair/typebox';
import { collections } from '../../src/container.ts';
import { openStore, type Store } from '../../src/db/index.ts';
import { kindOf, schemasAt } from '../../src/db/schema.ts';
import type { SqliteEngine } from '../../src/db/sqlite/engine.ts';
import type { CollectionDef, Scalar } from '../../src/db/types.ts';
import { recordStatements } from '../support/statements.ts';

/** A value of the field's type, so the filter passes the layer's checks as a real lookup would. */
function sampleFor(def: CollectionDef, path: string): Scalar {
  const kinds = new Set<string>();
  const collect = (schema: TSchema): void => {
    const kind = kindOf(schema);
    if (kind === 'Union') for (const variant of schema.anyOf as TSchema[]) collect(variant);
    else kinds.add(kind === 'Literal' ? typeof schema.const : kind);
  };
  for (const { schema } of schemasAt(def.schema, path)) collect(schema);
  if (kinds.has('String') || kinds.has('string')) return 'x';
  if (kinds.has('Date')) return new Date('2026-12-01T00:00:00Z');
  if (kinds.has('Boolean') || kinds.has('boolean')) return true;
  return 1;
}

/**
 * Every field an index starts with can be looked up by equality without reading the whole table. SQLite
 * uses a partial index only when the query's WHERE implies the index's own, which a bound `json_extract(...)
 * = ?` never does: such a field needs a plain index beside its partial one (payments by gateway payment id
 * had none, so each lookup read every payment).
 */
/** Indexes that only enforce uniqueness: nothing looks their field up. */
const NEVER_LOOKED_UP = new Set(['dev_mailbox.idempotencyKey']);

describe('equality lookups on indexed fields use an index on SQLite', () => {
  let store: Store;
  let statements: string[];
  beforeAll(async () => {
    store = await openStore('sqlite::memory:', collections);
    ({ statements } = recordStatements((store.engine as SqliteEngine).db));
  });
  afterAll(() => store.close());

  const lookups = collections.flatMap((def) =>
    def.indexes
      .map((index) => Object.keys(index.keys)[0]!)
      .filter((path, i, all) => path !== '_id' && all.indexOf(path) === i)
      .filter((path) => !NEVER_LOOKED_UP.has(`${def.name}.${path}`))
      .map((path) => ({ def, path })),
  );

  test.each(lookups.map(({ def, path }) => [`${def.name}.${path}`, def, path] as const))(
    '%s',
    async (_name, def, path) => {
      statements.length = 0;
      await store.collection(def).findOne({ [path]: sampleFor(def, path) });
      const select = statements.find((sql) => sql.startsWith('SELECT'));
      expect(select).toBeDefined();
      const { db } = store.engine as SqliteEngine;
      const plan = db
        .query<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${select}`)
        .all()
        .map((row) => row.detail);
      expect(plan.filter((step) => step.startsWith(`SCAN ${def.name}`))).toEqual([]);
      expect(plan.some((step) => step.startsWith(`SEARCH ${def.name} USING`))).toBe(true);
    },
  );
});
