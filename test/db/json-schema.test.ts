import { describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { toMongoJsonSchema } from '../../src/db/mongo/json-schema.ts';

const Appointment = Type.Object(
  {
    _id: Type.String(),
    patientId: Type.String({ format: 'uuid', minLength: 36, maxLength: 36 }),
    status: Type.Union([Type.Literal('held'), Type.Literal('booked'), Type.Literal('cancelled')], {
      description: 'lifecycle state',
    }),
    feePaise: Type.Integer({ minimum: 0 }),
    rating: Type.Optional(Type.Number({ minimum: 1, maximum: 5 })),
    paid: Type.Boolean({ default: false }),
    startsAt: Type.Date(),
    cancelledAt: Type.Optional(Type.Union([Type.Date(), Type.Null()])),
    doctor: Type.Object(
      {
        name: Type.String({ title: 'Doctor name' }),
        city: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    notes: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 20, uniqueItems: true }),
    vitals: Type.Optional(Type.Record(Type.String(), Type.Number())),
    meta: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false, $id: 'Appointment' },
);

const NUMERIC = ['int', 'long', 'double', 'decimal'];
const INTEGER = ['int', 'long', 'double'];

describe('toMongoJsonSchema', () => {
  test('maps a realistic collection schema to the $jsonSchema dialect', () => {
    expect(toMongoJsonSchema(Appointment)).toEqual({
      bsonType: 'object',
      required: ['_id', 'patientId', 'status', 'feePaise', 'paid', 'startsAt', 'doctor', 'notes'],
      properties: {
        _id: { bsonType: 'string' },
        patientId: { bsonType: 'string', minLength: 36, maxLength: 36 },
        status: { description: 'lifecycle state', enum: ['held', 'booked', 'cancelled'] },
        feePaise: { bsonType: INTEGER, minimum: 0, multipleOf: 1 },
        rating: { bsonType: NUMERIC, minimum: 1, maximum: 5 },
        paid: { bsonType: 'bool' },
        startsAt: { bsonType: 'date' },
        cancelledAt: { anyOf: [{ bsonType: 'date' }, { bsonType: 'null' }] },
        doctor: {
          bsonType: 'object',
          required: ['name'],
          properties: {
            name: { title: 'Doctor name', bsonType: 'string' },
            city: { bsonType: 'string' },
          },
          additionalProperties: false,
        },
        notes: {
          bsonType: 'array',
          items: { bsonType: 'string', maxLength: 500 },
          maxItems: 20,
          uniqueItems: true,
        },
        vitals: { bsonType: 'object', patternProperties: { '^(.*)$': { bsonType: NUMERIC } } },
        meta: {},
      },
      additionalProperties: false,
    });
  });

  test('writes no JSON-Schema keyword MongoDB refuses, at any depth', () => {
    const refused = new Set(['type', 'format', '$id', '$schema', '$ref', 'default', 'definitions', 'const']);
    const found: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        for (const [i, item] of node.entries()) walk(item, `${path}[${i}]`);
      } else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          // Keys under `properties` / `patternProperties` are field names, not keywords.
          const namesFields = path.endsWith('.properties') || path.endsWith('.patternProperties');
          if (!namesFields && refused.has(key)) found.push(`${path}.${key}`);
          walk(value, `${path}.${key}`);
        }
      }
    };
    walk(toMongoJsonSchema(Appointment), '$');
    expect(found).toEqual([]);
  });

  test('declares _id when additional properties are refused', () => {
    const mapped = toMongoJsonSchema(Appointment) as { properties: Record<string, unknown> };
    expect(Object.keys(mapped.properties)).toContain('_id');
  });

  test('leaves out `required` when every property is optional (Mongo refuses an empty list)', () => {
    expect(toMongoJsonSchema(Type.Object({ a: Type.Optional(Type.String()) }))).toEqual({
      bsonType: 'object',
      properties: { a: { bsonType: 'string' } },
    });
  });

  test('integers accept every integral BSON number, since the driver writes large ones as doubles', () => {
    expect(toMongoJsonSchema(Type.Integer({ maximum: 2 ** 40 }))).toEqual({
      bsonType: INTEGER,
      maximum: 2 ** 40,
      multipleOf: 1,
    });
    expect(toMongoJsonSchema(Type.Integer({ multipleOf: 100 }))).toEqual({
      bsonType: INTEGER,
      multipleOf: 100,
    });
  });

  test('turns draft-2019 numeric exclusive bounds into draft-4 boolean flags', () => {
    expect(toMongoJsonSchema(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 10 }))).toEqual({
      bsonType: NUMERIC,
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 10,
      exclusiveMaximum: true,
    });
    expect(toMongoJsonSchema(Type.Integer({ minimum: 5, exclusiveMinimum: 1 }))).toEqual({
      bsonType: INTEGER,
      minimum: 5,
      multipleOf: 1,
    });
  });

  test('maps literals to an enum of one with the matching bsonType', () => {
    expect(toMongoJsonSchema(Type.Literal('x'))).toEqual({ bsonType: 'string', enum: ['x'] });
    expect(toMongoJsonSchema(Type.Literal(true))).toEqual({ bsonType: 'bool', enum: [true] });
    expect(toMongoJsonSchema(Type.Literal(3))).toEqual({ bsonType: INTEGER, enum: [3] });
  });

  test('maps a union with non-literal members to anyOf', () => {
    expect(toMongoJsonSchema(Type.Union([Type.Literal('none'), Type.Integer()]))).toEqual({
      anyOf: [
        { bsonType: 'string', enum: ['none'] },
        { bsonType: INTEGER, multipleOf: 1 },
      ],
    });
  });

  test('maps tuples to positional items with no extra items', () => {
    expect(toMongoJsonSchema(Type.Tuple([Type.String(), Type.Boolean()]))).toEqual({
      bsonType: 'array',
      additionalItems: false,
      items: [{ bsonType: 'string' }, { bsonType: 'bool' }],
      minItems: 2,
      maxItems: 2,
    });
  });

  test('refuses kinds it cannot express, naming where they are', () => {
    const schema = Type.Object({
      _id: Type.String(),
      both: Type.Intersect([Type.Object({}), Type.Object({})]),
    });
    expect(() => toMongoJsonSchema(schema)).toThrow(/Intersect.*\(root\)\.both/);
    expect(() => toMongoJsonSchema(Type.Undefined())).toThrow(/Undefined/);
  });

  test('is pure: the input schema is untouched and the result is the same each time', () => {
    const before = JSON.stringify(Appointment);
    const first = toMongoJsonSchema(Appointment);
    expect(toMongoJsonSchema(Appointment)).toEqual(first);
    expect(JSON.stringify(Appointment)).toBe(before);
  });
});
