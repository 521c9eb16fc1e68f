import { describe, expect, test } from 'bun:test';
import { type TObject, Type } from '@sinclair/typebox';
import { type Document, MongoServerError } from 'mongodb';
import { defineCollection } from '../../src/db/collection.ts';
import { planIndexes } from '../../src/db/indexes.ts';
import { explainPrivilegeError, sameIndex, validatorChanged } from '../../src/db/mongo/boot.ts';
import { indexDescriptions } from '../../src/db/mongo/engine.ts';
import { toMongoJsonSchema } from '../../src/db/mongo/json-schema.ts';
import type { CollectionDef } from '../../src/db/types.ts';
import { Appointments } from '../../src/modules/appointments/appointments.model.ts';

// The decisions boot makes, on fixtures shaped like the server's listCollections and listIndexes
// output; the conformance suite runs them against a real server when TEST_MONGODB_URI is set.

const Coupon = Type.Object(
  {
    _id: Type.String(),
    code: Type.String({ minLength: 3 }),
    ownerId: Type.String(),
    livePaise: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
const coupons = defineCollection({
  name: 'coupons',
  schema: Coupon,
  indexes: [{ keys: { code: 1 }, unique: true }, { keys: { ownerId: 1, livePaise: -1 } }],
});
const validation = (schema: TObject = Coupon) => ({
  validator: { $jsonSchema: toMongoJsonSchema(schema) },
  validationLevel: 'strict' as const,
  validationAction: 'error' as const,
});

/** A listCollections entry as the server returns it, options and all. */
const collectionInfo = (options: Record<string, unknown>) => ({
  name: 'coupons',
  type: 'collection',
  options,
  info: { readOnly: false, uuid: '5f1e0b9c-0000-4000-8000-000000000000' },
  idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
});

/** Reverses key order at every level, as a server or a tool that rewrote the document might. */
const reordered = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(reordered);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reordered(v)]),
    );
  return value;
};

describe('validatorChanged', () => {
  test('the validator boot set, read back, is unchanged: a second boot runs no collMod', () => {
    expect(validatorChanged(collectionInfo(validation()).options, validation())).toBe(false);
    expect(validatorChanged(collectionInfo(reordered(validation()) as never).options, validation())).toBe(
      false,
    );
  });

  test('level and action left out by the server read as their defaults, strict and error', () => {
    expect(validatorChanged({ validator: validation().validator }, validation())).toBe(false);
    expect(validatorChanged({ ...validation(), validationAction: 'warn' }, validation())).toBe(true);
    expect(validatorChanged({ ...validation(), validationLevel: 'moderate' }, validation())).toBe(true);
  });

  test('a changed schema, or a collection without a validator, needs collMod', () => {
    const wider = Type.Object({ ...Coupon.properties, note: Type.Optional(Type.String()) });
    expect(validatorChanged(validation(), validation(wider))).toBe(true);
    const optional = Type.Object({ ...Coupon.properties, ownerId: Type.Optional(Type.String()) });
    expect(validatorChanged(validation(), validation(optional))).toBe(true);
    expect(validatorChanged({}, validation())).toBe(true);
    expect(validatorChanged(undefined, validation())).toBe(true);
  });
});

describe('planIndexes with sameIndex', () => {
  type Listed = Document & { name: string };
  const plan = (existing: Listed[], def: CollectionDef = coupons) =>
    planIndexes(def.name, existing, indexDescriptions(def), sameIndex);
  const asListed = (def: CollectionDef = coupons): Listed[] => [
    { v: 2, key: { _id: 1 }, name: '_id_' },
    ...indexDescriptions(def).map((d) => ({ v: 2, ...d }) as Listed),
  ];

  test('a database built from the same definitions keeps every index', () => {
    expect(plan(asListed())).toEqual({
      create: [],
      drop: [],
      keep: ['coupons__code', 'coupons__ownerId__livePaise'],
    });
  });

  test('a new collection gets every declared index', () => {
    expect(
      plan([{ v: 2, key: { _id: 1 }, name: '_id_' }]).create.map((i) => (i as { name: string }).name),
    ).toEqual(['coupons__code', 'coupons__ownerId__livePaise']);
  });

  test('ours that changed are dropped and rebuilt; ours no longer declared are dropped; others are left', () => {
    const existing = [
      { v: 2, key: { _id: 1 }, name: '_id_' },
      // Was not unique.
      { v: 2, key: { code: 1 }, name: 'coupons__code' },
      // Key order is part of a compound index.
      { v: 2, key: { livePaise: -1, ownerId: 1 }, name: 'coupons__ownerId__livePaise' },
      // Removed from the code: it would keep refusing writes if it stayed.
      { v: 2, key: { ownerId: 1 }, name: 'coupons__ownerId', unique: true },
      // An operator's own indexes, whatever they look like.
      { v: 2, key: { ownerId: 1, code: 1 }, name: 'ops_owner_code' },
      { v: 2, key: { code: 1 }, name: 'code_1', unique: true, sparse: true },
    ];
    const result = plan(existing);
    expect(result.drop).toEqual(['coupons__code', 'coupons__ownerId__livePaise', 'coupons__ownerId']);
    expect(result.create).toEqual(indexDescriptions(coupons));
    expect(result.keep).toEqual([]);
  });

  test('a partial filter reported with $eq for an equality is the same filter', () => {
    const listed = [
      {
        v: 2,
        key: { slotId: 1 },
        name: 'appointments__active_slot',
        unique: true,
        partialFilterExpression: { active: { $eq: true } },
      },
    ];
    expect(plan(listed, Appointments).drop).toEqual([]);
    expect(plan(listed, Appointments).keep).toEqual(['appointments__active_slot']);
  });

  test('options we never set (sparse, TTL, collation, hidden) make one of ours another index', () => {
    for (const extra of [
      { sparse: true },
      { expireAfterSeconds: 60 },
      { collation: { locale: 'en' } },
      { hidden: true },
    ]) {
      const listed = asListed().map((i) => (i.name === 'coupons__code' ? { ...i, ...extra } : i));
      expect(plan(listed).drop).toEqual(['coupons__code']);
    }
  });

  test('making a unique field optional changes its derived $exists filter: a rebuild, not a failed boot', () => {
    const before = asListed();
    const optional = defineCollection({
      name: 'coupons',
      schema: Type.Object({ ...Coupon.properties, code: Type.Optional(Type.String()) }),
      indexes: coupons.indexes,
    });
    const result = plan(before, optional);
    expect(result.drop).toEqual(['coupons__code']);
    expect(result.create).toEqual([
      {
        key: { code: 1 },
        name: 'coupons__code',
        unique: true,
        partialFilterExpression: { code: { $exists: true } },
      },
    ]);
    // Once rebuilt, the next boot keeps it.
    expect(plan(asListed(optional), optional).drop).toEqual([]);
  });

  test('the one-active-appointment-per-slot index built with $in is rebuilt on equality', () => {
    const listed = [
      { v: 2, key: { _id: 1 }, name: '_id_' },
      {
        v: 2,
        key: { slotId: 1 },
        name: 'appointments__active_slot',
        unique: true,
        partialFilterExpression: { status: { $in: ['pending_payment', 'confirmed'] } },
      },
    ];
    const result = plan(listed, Appointments);
    expect(result.drop).toEqual(['appointments__active_slot']);
    expect(result.create[0]).toEqual({
      key: { slotId: 1 },
      name: 'appointments__active_slot',
      unique: true,
      partialFilterExpression: { active: true },
    });
  });
});

describe('explainPrivilegeError', () => {
  test('Unauthorized becomes an error naming the role to grant and the database', () => {
    const refused = new MongoServerError({
      ok: 0,
      code: 13,
      codeName: 'Unauthorized',
      errmsg: 'not authorized on clinic to execute command { collMod: "users", ... }',
    });
    const explained = explainPrivilegeError(refused, 'clinic', 'change the validator of users (collMod)');
    expect(explained).toBeInstanceOf(Error);
    expect(explained).not.toBe(refused);
    const message = (explained as Error).message;
    expect(message).toContain('change the validator of users (collMod) in database "clinic"');
    expect(message).toContain('dbAdmin role on "clinic"');
    expect(message).toContain('custom role with collMod');
    expect((explained as Error).cause).toBe(refused);
  });

  test('any other error is returned as it is', () => {
    const other = new MongoServerError({ ok: 0, code: 112, codeName: 'WriteConflict', errmsg: 'conflict' });
    expect(explainPrivilegeError(other, 'clinic', 'x')).toBe(other);
    const plain = new Error('socket closed');
    expect(explainPrivilegeError(plain, 'clinic', 'x')).toBe(plain);
  });
});

describe('defineCollection', () => {
  const Doc = Type.Object({ _id: Type.String(), a: Type.String(), live: Type.Boolean() });
  const define = (index: Record<string, unknown>) =>
    defineCollection({ name: 'things', schema: Doc, indexes: [{ keys: { a: 1 }, ...index }] });

  test('accepts partial filters every MongoDB-compatible server takes: equality, $exists: true, top-level $and', () => {
    for (const partial of [
      { live: true },
      { a: { $eq: 'x' }, live: true },
      { a: { $exists: true } },
      { $and: [{ live: true }, { a: { $exists: true } }] },
    ]) {
      expect(() => define({ unique: true, partial })).not.toThrow();
    }
  });

  test('refuses partial filters that need FCV 6.0 or that some servers refuse', () => {
    for (const partial of [
      { a: { $in: ['x', 'y'] } },
      { $or: [{ live: true }, { a: 'x' }] },
      { $and: [{ $and: [{ live: true }] }] },
      { a: { $exists: false } },
      { a: { $ne: 'x' } },
      { a: null },
    ]) {
      expect(() => define({ unique: true, partial })).toThrow(/Partial filter of an index on things/);
    }
  });

  test('refuses an explicit index name outside the collection prefix boot reconciles by', () => {
    expect(() => define({ name: 'a_unique' })).toThrow(/must be named things__/);
    expect(() => define({ name: 'things__by_a' })).not.toThrow();
  });
});
