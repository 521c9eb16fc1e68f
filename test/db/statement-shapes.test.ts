import { describe, expect, test } from 'bun:test';
import { filterShape, type Param, updateExpr, updateShape, WhereBuilder } from '../../src/db/sqlite/sql.ts';
import type { Filter, Scalar, Update } from '../../src/db/types.ts';

/** A small deterministic generator, so a failure names the seed that made it. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

const PATHS = ['_id', 'a', 'an', 'a.b', 'status', 'n'];
const VALUES: Scalar[] = [null, 'x', 'n', '', 0, 7, true, false, new Date(0)];

function makeFilter(pick: (n: number) => number, depth: number): Filter {
  const filter: Filter = {};
  const keys = pick(4);
  for (let i = 0; i < keys; i++) {
    const path = PATHS[pick(PATHS.length)]!;
    const kind = pick(depth > 0 ? 6 : 5);
    const value = () => VALUES[pick(VALUES.length)]!;
    if (kind === 0) filter[path] = value();
    else if (kind === 1) filter[path] = { [['$eq', '$ne', '$gt', '$gte', '$lt', '$lte'][pick(6)]!]: value() };
    else if (kind === 2)
      filter[path] = { [pick(2) ? '$in' : '$nin']: Array.from({ length: pick(4) }, value) };
    else if (kind === 3) filter[path] = { $exists: pick(2) === 1 };
    else if (kind === 4) filter[path] = { $gt: value(), $lte: value() };
    else
      filter[pick(2) ? '$and' : '$or'] = Array.from({ length: pick(3) }, () => makeFilter(pick, depth - 1));
  }
  return filter;
}

describe('statements are cached by shape', () => {
  test('a shape binds what the builder binds, and one shape is always one SQL text', () => {
    const textOf = new Map<string, string>();
    for (let seed = 1; seed <= 3000; seed++) {
      const filter = makeFilter(random(seed), 2);
      const where = new WhereBuilder();
      const sql = where.build(filter);
      const params: Param[] = [];
      const shape = filterShape(filter, params);
      expect(shape).toBeDefined();
      expect({ seed, params }).toEqual({ seed, params: where.params });
      const earlier = textOf.get(shape!);
      if (earlier !== undefined) expect({ seed, sql }).toEqual({ seed, sql: earlier });
      textOf.set(shape!, sql);
    }
    // The generator makes many filters of each shape, so the check above compared texts many times.
    expect(textOf.size).toBeLessThan(2900);
  });

  test('a filter the builder would refuse has no shape, so it is built and refused every time', () => {
    new WhereBuilder().build({ a: 1 });
    for (const filter of [
      { 'a b': 1 },
      { a: { $regex: 'x' } },
      { $nor: [{ a: 1 }] },
      { $and: { a: 1 } },
      { a: { $in: 'x' } },
      { a: { $gt: { nested: 1 } } },
      { a: [1, 2] },
    ] as unknown as Filter[]) {
      expect(filterShape(filter, [])).toBeUndefined();
      expect(() => new WhereBuilder().build(filter)).toThrow();
    }
  });

  test('an update shape binds what updateExpr binds, and one shape is one expression', () => {
    const updates: Update[] = [
      { $set: { a: 1, 'a.b': 'x' } },
      { $set: { a: 2, 'a.b': null } },
      { $set: { a: { deep: [1] } }, $inc: { n: 2 }, $unset: { status: true } },
      { $set: { a: 'y' }, $inc: { n: -1 }, $unset: { status: 1 } },
      { $push: { an: { x: 1 } }, $unset: {} },
      { $push: { an: 'z' } },
    ];
    const textOf = new Map<string, string>();
    for (const update of updates) {
      const built: Param[] = [];
      const expr = updateExpr(update, built);
      const params: Param[] = [];
      const shape = updateShape(update, params);
      expect(params).toEqual(built);
      const earlier = textOf.get(shape!);
      if (earlier !== undefined) expect(expr).toBe(earlier);
      textOf.set(shape!, expr);
    }
    expect(textOf.size).toBe(4);
    expect(updateShape({ $set: { 'never seen': 1 } }, [])).toBeUndefined();
  });
});
