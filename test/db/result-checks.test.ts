import { describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { ResultChecks } from '../../src/db/schema.ts';

const schema = Type.Object({
  _id: Type.String(),
  count: Type.Integer(),
  revision: Type.Optional(Type.Integer({ minimum: 0 })),
  capped: Type.Integer({ maximum: 10 }),
  between: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
  steps: Type.Integer({ multipleOf: 5 }),
  maybe: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  tags: Type.Array(Type.String()),
  few: Type.Array(Type.String(), { maxItems: 3 }),
  distinct: Type.Array(Type.String(), { uniqueItems: true }),
  doctor: Type.Object({ name: Type.String(), city: Type.Optional(Type.String()) }),
  name: Type.String(),
});

describe('which updates need their result checked against the schema', () => {
  const checks = new ResultChecks(schema);

  test('$set and $unset of top-level fields never do: their operands were checked', () => {
    expect(checks.needed({ $set: { name: 'x', count: 3 } })).toBe(false);
    expect(checks.needed({})).toBe(false);
  });

  test('an $inc needs it only when it moves towards a bound, or the field has a step', () => {
    expect(checks.needed({ $inc: { count: 1 } })).toBe(false);
    expect(checks.needed({ $inc: { count: -1 } })).toBe(false);
    // A minimum cannot be passed going up; it can going down.
    expect(checks.needed({ $inc: { revision: 1 } })).toBe(false);
    expect(checks.needed({ $inc: { revision: -1 } })).toBe(true);
    // A maximum the other way round.
    expect(checks.needed({ $inc: { capped: 1 } })).toBe(true);
    expect(checks.needed({ $inc: { capped: -1 } })).toBe(false);
    expect(checks.needed({ $inc: { between: 0.1 } })).toBe(true);
    expect(checks.needed({ $inc: { between: -0.1 } })).toBe(true);
    expect(checks.needed({ $inc: { steps: 5 } })).toBe(true);
    expect(checks.needed({ $inc: { revision: 0 } })).toBe(false);
    // Bounds inside a union count too.
    expect(checks.needed({ $inc: { maybe: -1 } })).toBe(true);
    expect(checks.needed({ $inc: { maybe: 1 } })).toBe(false);
  });

  test('one bounded $inc among others is enough', () => {
    expect(checks.needed({ $inc: { count: 1, revision: -1 } })).toBe(true);
    expect(checks.needed({ $set: { name: 'x' }, $inc: { count: 1, revision: 1 } })).toBe(false);
  });

  test('a $push needs it onto an array with a limit', () => {
    expect(checks.needed({ $push: { tags: 'a' } })).toBe(false);
    expect(checks.needed({ $push: { few: 'a' } })).toBe(true);
    expect(checks.needed({ $push: { distinct: 'a' } })).toBe(true);
  });

  test('any dotted path does: it may create a parent without its required fields', () => {
    expect(checks.needed({ $set: { 'doctor.city': 'Pune' } })).toBe(true);
    expect(checks.needed({ $inc: { 'doctor.visits': 1 } })).toBe(true);
    expect(checks.needed({ $push: { 'doctor.notes': 'x' } })).toBe(true);
  });
});
