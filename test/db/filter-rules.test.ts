import { describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { FilterRules, nestedPaths } from '../../src/db/filter-rules.ts';

const rules = new FilterRules(
  'events',
  Type.Object({
    _id: Type.String(),
    at: Type.Date(),
    label: Type.String(),
    either: Type.Union([Type.Date(), Type.String()]),
    seen: Type.Optional(Type.Array(Type.Date())),
    meta: Type.Optional(Type.Any()),
    nested: Type.Object({ when: Type.Optional(Type.Date()) }),
  }),
);

describe('FilterRules', () => {
  test('refuses a string against a Date field, at any depth of $and/$or and inside $in', () => {
    for (const filter of [
      { at: '2030-01-01T00:00:00.000Z' },
      { 'nested.when': { $lt: 'x' } },
      { seen: 'x' },
      { $and: [{ label: 'a' }, { $or: [{ at: { $in: [new Date(), 'x'] } }] }] },
    ]) {
      expect(() => rules.check(filter)).toThrow(/compares a Date field with a string/);
    }
  });

  test('refuses a Date against a field that holds no dates', () => {
    expect(() => rules.check({ label: new Date() })).toThrow(/holds no dates/);
    expect(() => rules.check({ _id: { $nin: [new Date()] } })).toThrow(/holds no dates/);
  });

  test('lets through what both engines agree on', () => {
    for (const filter of [
      { at: new Date(), label: 'a', either: 'x' },
      { either: new Date(), seen: new Date(), meta: 'anything', 'meta.deep': new Date() },
      { at: { $exists: true }, unknownPath: 'x', 'nested.when': null },
      { $or: [{ label: 'a' }], $and: [{ at: { $gte: new Date() } }] },
    ]) {
      expect(() => rules.check(filter)).not.toThrow();
    }
  });

  test('refuses an empty $and or $or, nested or not', () => {
    expect(() => rules.check({ $and: [] })).toThrow(/\$and needs a non-empty array/);
    expect(() => rules.check({ $or: [{ $or: [] }] })).toThrow(/\$or needs a non-empty array/);
  });
});

describe('nestedPaths', () => {
  test('names each path inside another, and nothing for siblings or shared prefixes of names', () => {
    expect(nestedPaths(['doctor', 'doctor.city', 'doctorId', 'a.b', 'a.b.c.d', 'x'])).toEqual([
      { path: 'doctor.city', inside: 'doctor' },
      { path: 'a.b.c.d', inside: 'a.b' },
    ]);
    expect(nestedPaths(['a.b', 'a.c', 'ab'])).toEqual([]);
  });
});
