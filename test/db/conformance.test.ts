import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Static, Type } from '@sinclair/typebox';
import { DocumentValidationError, DuplicateKeyError } from '../../src/db/errors.ts';
import { Collection, defineCollection, type Store } from '../../src/db/index.ts';
import type { MongoEngine } from '../../src/db/mongo/engine.ts';
import { toMongoJsonSchema } from '../../src/db/mongo/json-schema.ts';
import type { SqliteEngine } from '../../src/db/sqlite/engine.ts';
import { partialFilterPaths, WhereBuilder } from '../../src/db/sqlite/sql.ts';
import type { Filter, SortSpec } from '../../src/db/types.ts';
import { AppError } from '../../src/shared/errors.ts';
import { type TestStore, testEngines } from '../support/store.ts';

const Visit = Type.Object(
  {
    _id: Type.String(),
    patientId: Type.String({ minLength: 1 }),
    code: Type.String(),
    status: Type.Union([Type.Literal('held'), Type.Literal('booked'), Type.Literal('done')]),
    slotKey: Type.Optional(Type.String()),
    score: Type.Integer({ minimum: 0 }),
    rank: Type.Optional(Type.Integer()),
    startsAt: Type.Date(),
    reviewedAt: Type.Optional(Type.Date()),
    notes: Type.Optional(Type.String()),
    tags: Type.Optional(Type.Array(Type.String(), { maxItems: 3 })),
    payment: Type.Optional(
      Type.Object({ orderId: Type.String(), amountPaise: Type.Integer() }, { additionalProperties: false }),
    ),
    doctor: Type.Object(
      { name: Type.String(), city: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
type VisitDoc = Static<typeof Visit>;

const visits = defineCollection({
  name: 'visits',
  schema: Visit,
  indexes: [
    { keys: { patientId: 1, score: -1 } },
    { keys: { slotKey: 1 }, unique: true, partial: { status: 'held' } },
  ],
});

const users = defineCollection({
  name: 'users',
  schema: Type.Object(
    {
      _id: Type.String(),
      email: Type.String(),
      phone: Type.Optional(Type.String()),
      balancePaise: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
  indexes: [
    { keys: { email: 1 }, unique: true },
    { keys: { phone: 1 }, unique: true },
  ],
});

const ledger = defineCollection({
  name: 'ledger',
  schema: Type.Object(
    { _id: Type.String(), visitId: Type.String(), amountPaise: Type.Integer() },
    { additionalProperties: false },
  ),
  indexes: [{ keys: { visitId: 1 }, unique: true }],
});

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const unique = (): string => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const day = (n: number): Date => new Date(Date.UTC(2025, 0, n, 9, 30));

class Rollback extends Error {}

for (const engine of testEngines()) {
  describe(`document store on ${engine.kind}`, () => {
    let opened: TestStore;
    let store: Store;
    beforeAll(async () => {
      opened = await engine.open([visits, users, ledger]);
      store = opened.store;
    });
    afterAll(() => opened.dispose());

    const V = () => store.collection(visits);
    const U = () => store.collection(users);
    const L = () => store.collection(ledger);

    /** A fresh patient with the given visits; each test filters on its own patient. */
    async function seed(
      rows: Partial<Omit<VisitDoc, '_id' | 'patientId'>>[],
    ): Promise<{ patientId: string; docs: VisitDoc[] }> {
      const patientId = `p-${unique()}`;
      const docs = await V().insertMany(
        rows.map((row, i) => ({
          patientId,
          code: `c${i}`,
          status: 'booked' as const,
          score: i,
          startsAt: day(i + 1),
          doctor: { name: 'Rao' },
          ...row,
        })),
      );
      return { patientId, docs };
    }

    const ids = (docs: { _id: string }[]): string[] => docs.map((d) => d._id);
    const matchingIds = async (patientId: string, filter: Filter): Promise<string[]> =>
      ids(await V().findAll({ $and: [{ patientId }, filter] }));
    const matching = async (patientId: string, filter: Filter): Promise<string[]> =>
      (await V().findAll({ $and: [{ patientId }, filter] }, { sort: { code: 1 } })).map((d) => d.code);

    describe('writes and reads', () => {
      test('insertOne returns the stored document with a UUIDv7 string id', async () => {
        const inserted = await V().insertOne({
          patientId: `p-${unique()}`,
          code: 'a',
          status: 'held',
          score: 3,
          startsAt: day(2),
          doctor: { name: 'Iyer', city: 'Pune' },
        });
        expect(inserted._id).toMatch(UUID_V7);
        expect(await V().findById(inserted._id)).toEqual(inserted);
      });

      test('insertMany stores every document, in one call', async () => {
        const { patientId, docs } = await seed([{}, {}, {}]);
        expect(docs).toHaveLength(3);
        expect(new Set(ids(docs)).size).toBe(3);
        for (const id of ids(docs)) expect(id).toMatch(UUID_V7);
        expect(await V().count({ patientId })).toBe(3);
      });

      test('a caller-chosen string id is kept', async () => {
        const id = `visit-${unique()}`;
        await V().insertOne({
          _id: id,
          patientId: 'x',
          code: 'x',
          status: 'booked',
          score: 0,
          startsAt: day(1),
          doctor: { name: 'X' },
        });
        expect((await V().findById(id))?._id).toBe(id);
      });

      test('dates come back as Date instances with the same instant, nested or not', async () => {
        const at = new Date('2025-03-04T05:06:07.891Z');
        const { docs } = await seed([{ startsAt: at, reviewedAt: at }]);
        const read = await V().findById(docs[0]!._id);
        expect(read?.startsAt).toBeInstanceOf(Date);
        expect(read?.startsAt.getTime()).toBe(at.getTime());
        expect(read?.reviewedAt?.getTime()).toBe(at.getTime());
      });

      test('an undefined optional field is left out, not stored as null', async () => {
        const { docs } = await seed([{ notes: undefined }]);
        const read = (await V().findById(docs[0]!._id)) as Record<string, unknown>;
        expect('notes' in read).toBe(false);
        expect(await V().count({ _id: docs[0]!._id, notes: { $exists: false } })).toBe(1);
      });

      test('findById and findOne answer null when nothing matches', async () => {
        expect(await V().findById('no-such-id')).toBeNull();
        expect(await V().findOne({ patientId: `p-${unique()}` })).toBeNull();
      });

      test('findOne honours the sort', async () => {
        const { patientId } = await seed([{ score: 5 }, { score: 9 }, { score: 1 }]);
        expect((await V().findOne({ patientId }, { sort: { score: -1 } }))?.score).toBe(9);
        expect((await V().findOne({ patientId }, { sort: { score: 1 } }))?.score).toBe(1);
      });

      test('find sorts, breaks ties on _id in the sort direction, and limits', async () => {
        const { patientId } = await seed([
          { score: 2 },
          { score: 1 },
          { score: 2 },
          { score: 1 },
          { score: 2 },
        ]);
        const asc = await V().findAll({ patientId }, { sort: { score: 1 } });
        const expectedAsc = [...asc].sort((a, b) => a.score - b.score || (a._id < b._id ? -1 : 1));
        expect(ids(asc)).toEqual(ids(expectedAsc));
        const desc = await V().findAll({ patientId }, { sort: { score: -1 } });
        expect(ids(desc)).toEqual(ids(expectedAsc).reverse());
        const limited = await V().find({ patientId }, { sort: { score: 1 }, limit: 2 });
        expect(ids(limited.items)).toEqual(ids(expectedAsc).slice(0, 2));
      });

      test('count counts matches only', async () => {
        const { patientId } = await seed([{ status: 'held' }, { status: 'done' }, { status: 'held' }]);
        expect(await V().count({ patientId })).toBe(3);
        expect(await V().count({ patientId, status: 'held' })).toBe(2);
      });

      test('deleteOne removes one match and reports whether it did', async () => {
        const { patientId, docs } = await seed([{}, {}]);
        expect(await V().deleteOne({ _id: docs[0]!._id })).toBe(true);
        expect(await V().findById(docs[0]!._id)).toBeNull();
        expect(await V().deleteOne({ _id: docs[0]!._id })).toBe(false);
        expect(await V().count({ patientId })).toBe(1);
      });

      test('deleteMany removes every match, only matches, and reports how many', async () => {
        const { patientId } = await seed([{ score: 1 }, { score: 5 }, { score: 9 }, { score: 12 }]);
        const other = await seed([{ score: 1 }]);
        expect(await V().deleteMany({ patientId, score: { $lt: 10 } })).toBe(3);
        expect((await V().findAll({ patientId })).map((d) => d.score)).toEqual([12]);
        expect(await V().count({ patientId: other.patientId })).toBe(1);
        expect(await V().deleteMany({ patientId, score: { $lt: 10 } })).toBe(0);
      });
    });

    describe('cursor pagination', () => {
      const walk = async (patientId: string, sort: SortSpec, limit: number) => {
        const pages: string[][] = [];
        let cursor: string | null = null;
        do {
          const page: Awaited<ReturnType<ReturnType<typeof V>['find']>> = await V().find(
            { patientId },
            { sort, limit, cursor },
          );
          pages.push(ids(page.items));
          cursor = page.nextCursor;
        } while (cursor && pages.length < 50);
        return pages;
      };

      test('walks every page with no overlap and no gap, ties included', async () => {
        const { patientId } = await seed([3, 1, 3, 2, 3, 1, 2].map((score) => ({ score })));
        const all = ids(await V().findAll({ patientId }, { sort: { score: -1 } }));
        const pages = await walk(patientId, { score: -1 }, 3);
        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(pages.flat()).toEqual(all);
      });

      test('pages by date and by a sort key some documents lack', async () => {
        const { patientId } = await seed([{ rank: 2 }, {}, { rank: 1 }, {}, { rank: 2 }, { rank: 3 }]);
        for (const sort of [{ startsAt: 1 }, { rank: 1 }, { rank: -1 }] as SortSpec[]) {
          const all = ids(await V().findAll({ patientId }, { sort }));
          expect(all).toHaveLength(6);
          expect((await walk(patientId, sort, 2)).flat()).toEqual(all);
        }
      });

      test('a page in the stored form is the page with its dates as toISOString writes them, and resumes alike', async () => {
        const { patientId } = await seed([{ rank: 2 }, {}, { rank: 1 }, {}, { rank: 2 }]);
        const json = (value: unknown) => JSON.parse(JSON.stringify(value));
        for (const sort of [{ startsAt: 1 }, { rank: -1 }] as SortSpec[]) {
          let cursor: string | null = null;
          let pages = 0;
          do {
            const page = await V().find({ patientId }, { sort, limit: 2, cursor });
            const stored: { items: { startsAt: unknown }[]; nextCursor: string | null } = await V().find(
              { patientId },
              { sort, limit: 2, cursor, stored: true },
            );
            expect(stored).toEqual(json(page));
            expect(typeof stored.items[0]!.startsAt).toBe('string');
            expect(page.items[0]!.startsAt).toBeInstanceOf(Date);
            cursor = stored.nextCursor;
            pages++;
          } while (cursor);
          expect(pages).toBe(3);
        }
      });

      test('a document by id in the stored form is the document with its dates as toISOString writes them', async () => {
        const { docs } = await seed([{ rank: 2 }]);
        const id = docs[0]!._id;
        await V().updateOne({ _id: id }, { $set: { reviewedAt: new Date('2031-02-03T04:05:06.007Z') } });
        const typed = await V().findById(id);
        const stored = await V().findById(id, { stored: true });
        expect(stored).toEqual(JSON.parse(JSON.stringify(typed)));
        expect(stored!.startsAt).toBe(typed!.startsAt.toISOString());
        expect(stored!.reviewedAt).toBe('2031-02-03T04:05:06.007Z');
        expect(typed!.startsAt).toBeInstanceOf(Date);
        expect(await V().findById(`missing-${unique()}`, { stored: true })).toBeNull();
        // Inside a transaction too.
        const inTx = await store.transaction((tx) => tx.collection(visits).findById(id, { stored: true }));
        expect(inTx).toEqual(stored);
      });

      test('missing sort keys sort first ascending and last descending', async () => {
        const { patientId } = await seed([{ rank: 1 }, {}]);
        expect((await V().findAll({ patientId }, { sort: { rank: 1 } }))[0]?.rank).toBeUndefined();
        expect((await V().findAll({ patientId }, { sort: { rank: -1 } }))[0]?.rank).toBe(1);
      });

      test('the last page has no next cursor', async () => {
        const { patientId } = await seed([{}, {}]);
        expect((await V().find({ patientId }, { limit: 2 })).nextCursor).toBeNull();
        expect((await V().find({ patientId }, { limit: 5 })).nextCursor).toBeNull();
      });

      test('a malformed cursor is refused with 422', async () => {
        const { patientId } = await seed([{}]);
        for (const cursor of [
          'not a cursor!',
          'eyJmb28iOjF9',
          Buffer.from('{"s":"score:1,_id:1","v":[{}]}').toString('base64url'),
        ]) {
          const error = await V()
            .find({ patientId }, { sort: { score: 1 }, cursor })
            .catch((e: unknown) => e);
          expect(error).toMatchObject({ status: 422 });
        }
      });

      test('a well-formed but forged cursor whose values do not fit the sort fields is refused with 422', async () => {
        const { patientId } = await seed([{}, {}]);
        const forge = (s: string, v: unknown[]) =>
          Buffer.from(JSON.stringify({ s, v })).toString('base64url');
        for (const [sort, cursor] of [
          [{ score: 1 }, forge('score:1,_id:1', ['3', 'x'])],
          [{ score: 1 }, forge('score:1,_id:1', [null, null])],
          [{ score: 1 }, forge('score:1,_id:1', [true, 5])],
          [{ startsAt: 1 }, forge('startsAt:1,_id:1', ['2031', 'x'])],
        ] as const) {
          const error = await V()
            .find({ patientId }, { sort, cursor })
            .catch((e: unknown) => e);
          expect({ cursor, error }).toMatchObject({ cursor, error: { status: 422 } });
        }
        const valid = forge('score:1,_id:1', [3, 'x']);
        expect((await V().find({ patientId }, { sort: { score: 1 }, cursor: valid })).items).toBeArray();
      });

      test('a cursor from another sort is refused with 422', async () => {
        const { patientId } = await seed([{}, {}, {}]);
        const { nextCursor } = await V().find({ patientId }, { sort: { score: 1 }, limit: 1 });
        expect(nextCursor).toBeString();
        const error = await V()
          .find({ patientId }, { sort: { startsAt: 1 }, limit: 1, cursor: nextCursor })
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ status: 422 });
      });
    });

    describe('filter operators', () => {
      let patientId: string;
      beforeAll(async () => {
        ({ patientId } = await seed([
          {
            code: 'a',
            score: 1,
            startsAt: day(1),
            notes: 'x',
            tags: ['t'],
            doctor: { name: 'Rao', city: 'Pune' },
          },
          { code: 'b', score: 2, startsAt: day(2), notes: 'y', doctor: { name: 'Iyer', city: 'Goa' } },
          { code: 'c', score: 3, startsAt: day(3), doctor: { name: 'Rao' } },
          { code: 'd', score: 4, startsAt: day(4), status: 'done', doctor: { name: 'Sen' } },
        ]));
      });

      test('equality, on top-level and dotted paths', async () => {
        expect(await matching(patientId, { code: 'b' })).toEqual(['b']);
        expect(await matching(patientId, { 'doctor.name': 'Rao' })).toEqual(['a', 'c']);
        expect(await matching(patientId, { 'doctor.city': 'Goa', score: 2 })).toEqual(['b']);
        expect(await matching(patientId, { startsAt: day(3) })).toEqual(['c']);
        expect(await matching(patientId, { score: { $eq: 4 } })).toEqual(['d']);
      });

      test('null equality matches a missing field', async () => {
        expect(await matching(patientId, { notes: null })).toEqual(['c', 'd']);
        expect(await matching(patientId, { 'doctor.city': null })).toEqual(['c', 'd']);
      });

      test('$in and $nin, where $nin also matches a missing field', async () => {
        expect(await matching(patientId, { code: { $in: ['a', 'c', 'z'] } })).toEqual(['a', 'c']);
        expect(await matching(patientId, { notes: { $nin: ['x'] } })).toEqual(['b', 'c', 'd']);
        expect(await matching(patientId, { 'doctor.city': { $in: ['Pune', null] } })).toEqual([
          'a',
          'c',
          'd',
        ]);
      });

      test('an empty $in matches nothing and an empty $nin everything', async () => {
        expect(await matching(patientId, { code: { $in: [] } })).toEqual([]);
        expect(await matching(patientId, { code: { $nin: [] } })).toEqual(['a', 'b', 'c', 'd']);
      });

      test('$ne also matches a missing field', async () => {
        expect(await matching(patientId, { notes: { $ne: 'x' } })).toEqual(['b', 'c', 'd']);
        expect(await matching(patientId, { notes: { $ne: null } })).toEqual(['a', 'b']);
      });

      test('range operators on numbers', async () => {
        expect(await matching(patientId, { score: { $gt: 2 } })).toEqual(['c', 'd']);
        expect(await matching(patientId, { score: { $gte: 2, $lt: 4 } })).toEqual(['b', 'c']);
        expect(await matching(patientId, { score: { $lte: 1 } })).toEqual(['a']);
      });

      test('range operators on strings', async () => {
        expect(await matching(patientId, { code: { $gt: 'b' } })).toEqual(['c', 'd']);
        expect(await matching(patientId, { code: { $gte: 'b', $lte: 'c' } })).toEqual(['b', 'c']);
        expect(await matching(patientId, { 'doctor.name': { $lt: 'Rao' } })).toEqual(['b']);
      });

      test('range operators on dates', async () => {
        expect(await matching(patientId, { startsAt: { $gt: day(2) } })).toEqual(['c', 'd']);
        expect(await matching(patientId, { startsAt: { $gte: day(2), $lt: day(4) } })).toEqual(['b', 'c']);
        expect(await matching(patientId, { startsAt: { $lte: new Date(day(1).getTime() + 1) } })).toEqual([
          'a',
        ]);
      });

      test('range operators never match a missing field', async () => {
        expect(await matching(patientId, { notes: { $gte: '' } })).toEqual(['a', 'b']);
        expect(await matching(patientId, { notes: { $lt: 'zzz' } })).toEqual(['a', 'b']);
      });

      test('$exists true and false, top-level and dotted', async () => {
        expect(await matching(patientId, { notes: { $exists: true } })).toEqual(['a', 'b']);
        expect(await matching(patientId, { tags: { $exists: false } })).toEqual(['b', 'c', 'd']);
        expect(await matching(patientId, { 'doctor.city': { $exists: true } })).toEqual(['a', 'b']);
      });

      test('$and and $or, nested', async () => {
        expect(await matching(patientId, { $or: [{ code: 'a' }, { score: { $gte: 4 } }] })).toEqual([
          'a',
          'd',
        ]);
        expect(
          await matching(patientId, { $and: [{ 'doctor.name': 'Rao' }, { score: { $gt: 1 } }] }),
        ).toEqual(['c']);
        expect(
          await matching(patientId, { $or: [{ $and: [{ status: 'done' }, { score: 4 }] }, { notes: 'y' }] }),
        ).toEqual(['b', 'd']);
      });
    });

    describe('update operators', () => {
      test('updateOne applies $set, including a dotted path, and reports a match', async () => {
        const { docs } = await seed([{}]);
        const id = docs[0]!._id;
        expect(await V().updateOne({ _id: id }, { $set: { status: 'done', 'doctor.city': 'Agra' } })).toBe(
          true,
        );
        const read = await V().findById(id);
        expect(read?.status).toBe('done');
        expect(read?.doctor).toEqual({ name: 'Rao', city: 'Agra' });
      });

      test('updateOne reports false and changes nothing when the filter misses', async () => {
        const { docs } = await seed([{ status: 'booked' }]);
        const id = docs[0]!._id;
        expect(await V().updateOne({ _id: id, status: 'held' }, { $set: { score: 99 } })).toBe(false);
        expect(await V().findById(id)).toEqual(docs[0]!);
      });

      test('updateOne counts a match even when the values are already there', async () => {
        const { docs } = await seed([{ score: 7 }]);
        expect(await V().updateOne({ _id: docs[0]!._id }, { $set: { score: 7 } })).toBe(true);
      });

      test('$set stores dates as dates', async () => {
        const { docs } = await seed([{}]);
        const at = new Date('2025-06-01T00:00:00.123Z');
        const updated = await V().findOneAndUpdate({ _id: docs[0]!._id }, { $set: { reviewedAt: at } });
        expect(updated?.reviewedAt).toBeInstanceOf(Date);
        expect((await V().findById(docs[0]!._id))?.reviewedAt?.getTime()).toBe(at.getTime());
        expect(await V().count({ _id: docs[0]!._id, reviewedAt: { $gte: at } })).toBe(1);
      });

      test('$unset removes an optional field', async () => {
        const { docs } = await seed([{ notes: 'bye' }]);
        await V().updateOne({ _id: docs[0]!._id }, { $unset: { notes: '' } });
        const read = (await V().findById(docs[0]!._id)) as Record<string, unknown>;
        expect('notes' in read).toBe(false);
      });

      test('$inc adds to a number', async () => {
        const { docs } = await seed([{ score: 5 }]);
        const updated = await V().findOneAndUpdate({ _id: docs[0]!._id }, { $inc: { score: 3 } });
        expect(updated?.score).toBe(8);
        expect((await V().findById(docs[0]!._id))?.score).toBe(8);
      });

      test('$inc on a missing optional field starts from zero', async () => {
        const { docs } = await seed([{}]);
        await V().updateOne({ _id: docs[0]!._id }, { $inc: { rank: 2 } });
        expect((await V().findById(docs[0]!._id))?.rank).toBe(2);
      });

      test('$push appends, creating the array when missing', async () => {
        const { docs } = await seed([{}]);
        const id = docs[0]!._id;
        await V().updateOne({ _id: id }, { $push: { tags: 'first' } });
        await V().updateOne({ _id: id }, { $push: { tags: 'second' } });
        expect((await V().findById(id))?.tags).toEqual(['first', 'second']);
      });

      test('operators combine in one update', async () => {
        const { docs } = await seed([{ score: 1, notes: 'n' }]);
        const updated = await V().findOneAndUpdate(
          { _id: docs[0]!._id },
          { $set: { code: 'z' }, $inc: { score: 1 }, $unset: { notes: true }, $push: { tags: 't' } },
        );
        const { _id, startsAt, ...rest } = updated!;
        expect(rest).toEqual({
          patientId: docs[0]!.patientId,
          code: 'z',
          status: 'booked',
          score: 2,
          tags: ['t'],
          doctor: { name: 'Rao' },
        });
        expect(await V().findById(_id)).toEqual(updated);
      });

      test('findOneAndUpdate returns the document after the update, or null when the condition misses', async () => {
        const { docs } = await seed([{ status: 'held' }]);
        const id = docs[0]!._id;
        const booked = await V().findOneAndUpdate(
          { _id: id, status: 'held' },
          { $set: { status: 'booked' } },
        );
        expect(booked).toEqual({ ...docs[0]!, status: 'booked' });
        expect(
          await V().findOneAndUpdate({ _id: id, status: 'held' }, { $set: { status: 'done' } }),
        ).toBeNull();
        expect((await V().findById(id))?.status).toBe('booked');
      });
    });

    describe('what the engines would answer differently is normalised or refused above them', () => {
      test('findOne without a sort picks the match with the lowest _id', async () => {
        const patientId = `p-${unique()}`;
        // Inserted highest id first, so neither insertion order nor natural order gives the answer.
        for (const _id of [`${patientId}-c`, `${patientId}-a`, `${patientId}-b`]) {
          await V().insertOne({ ...base(patientId), _id });
        }
        expect((await V().findOne({ patientId }))?._id).toBe(`${patientId}-a`);
        expect((await V().findOne({ patientId }, { sort: { score: 1 } }))?._id).toBe(`${patientId}-a`);
      });

      test('an empty $and or $or is refused as a programmer error, wherever a filter goes', async () => {
        const { patientId, docs } = await seed([{}]);
        for (const empty of [{ $and: [] }, { $or: [] }, { patientId, $or: [{ $and: [] }] }] as Filter[]) {
          await expect(V().findOne(empty)).rejects.toThrow(/non-empty array/);
          await expect(V().find(empty)).rejects.toThrow(/non-empty array/);
          await expect(V().count(empty)).rejects.toThrow(/non-empty array/);
          await expect(V().updateOne(empty, { $set: { notes: 'x' } })).rejects.toThrow(/non-empty array/);
          await expect(V().deleteMany(empty)).rejects.toThrow(/non-empty array/);
        }
        expect(await V().findById(docs[0]!._id)).toEqual(docs[0]!);
      });

      test('an update of a path and a path inside it is refused and changes nothing', async () => {
        const { docs } = await seed([{ doctor: { name: 'Rao', city: 'Pune' } }]);
        const id = docs[0]!._id;
        const error = await V()
          .updateOne({ _id: id }, { $set: { doctor: { name: 'Iyer' } }, $unset: { 'doctor.city': true } })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DocumentValidationError);
        expect((error as DocumentValidationError).issues).toEqual([
          { path: 'doctor.city', message: 'overlaps doctor, which the same update changes' },
        ]);
        await expect(
          V().findOneAndUpdate({ _id: id }, { $set: { doctor: { name: 'Iyer' }, 'doctor.city': 'Goa' } }),
        ).rejects.toBeInstanceOf(DocumentValidationError);
        expect(await V().findById(id)).toEqual(docs[0]!);
      });

      test('a string compared with a Date field, or a Date with a string field, is refused', async () => {
        const { patientId, docs } = await seed([{}]);
        const startsAt = docs[0]!.startsAt;
        const asText = startsAt.toISOString();
        for (const filter of [
          { patientId, startsAt: asText },
          { patientId, startsAt: { $gte: asText } },
          { patientId, reviewedAt: { $in: [startsAt, asText] } },
          { $or: [{ patientId }, { startsAt: { $lt: asText } }] },
          { patientId, code: startsAt },
          { patientId, notes: { $ne: startsAt } },
        ] as Filter[]) {
          await expect(V().findAll(filter)).rejects.toThrow(/Date/);
        }
        expect(await matchingIds(patientId, { startsAt })).toEqual([docs[0]!._id]);
        expect(await matchingIds(patientId, { startsAt: { $lte: startsAt }, code: { $ne: 'x' } })).toEqual([
          docs[0]!._id,
        ]);
      });
    });

    describe('unique indexes', () => {
      const newUser = (over: Partial<{ email: string; phone: string; balancePaise: number }> = {}) => ({
        email: `${unique()}@example.com`,
        balancePaise: 0,
        ...over,
      });

      test('a duplicate key is a DuplicateKeyError (no HTTP status: not a domain error) naming the index, and nothing is written', async () => {
        const first = await U().insertOne(newUser());
        const error = await U()
          .insertOne(newUser({ email: first.email, balancePaise: 5 }))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateKeyError);
        expect(error).toMatchObject({ collection: 'users', index: 'users__email' });
        expect(error).not.toBeInstanceOf(AppError);
        expect(error).not.toHaveProperty('status');
        expect(await U().findAll({ email: first.email })).toEqual([first]);
      });

      test('a duplicate _id is a DuplicateKeyError on _id', async () => {
        const first = await U().insertOne(newUser());
        const error = await U()
          .insertOne({ ...newUser(), _id: first._id })
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ collection: 'users', index: '_id' });
        expect(await U().findById(first._id)).toEqual(first);
      });

      test('a batch with one duplicate writes none of its documents', async () => {
        const existing = await U().insertOne(newUser());
        const fresh = newUser();
        const after = newUser();
        const error = await U()
          .insertMany([fresh, newUser({ email: existing.email }), after])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateKeyError);
        expect(await U().count({ email: { $in: [fresh.email, after.email] } })).toBe(0);
        expect(await U().count({ email: existing.email })).toBe(1);
      });

      test('an update onto a taken key is refused and the document keeps its value', async () => {
        const a = await U().insertOne(newUser());
        const b = await U().insertOne(newUser());
        const error = await U()
          .updateOne({ _id: b._id }, { $set: { email: a.email } })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateKeyError);
        expect(await U().findById(b._id)).toEqual(b);
      });

      test('documents lacking an optional unique key do not collide; ones sharing it do', async () => {
        const a = await U().insertOne(newUser());
        const b = await U().insertOne(newUser());
        expect(await U().count({ _id: { $in: [a._id, b._id] }, phone: { $exists: false } })).toBe(2);
        const phone = `+91${unique()}`;
        await U().insertOne(newUser({ phone }));
        await expect(U().insertOne(newUser({ phone }))).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await U().count({ phone })).toBe(1);
      });

      test('a unique index whose filter is equality on a maintained flag frees the key once the flag is unset', async () => {
        // The portable form of "one active claim per slot" (no $in in the partial filter).
        const claims = defineCollection({
          name: 'claims',
          schema: Type.Object(
            {
              _id: Type.String(),
              slotId: Type.String(),
              status: Type.String(),
              active: Type.Optional(Type.Literal(true)),
            },
            { additionalProperties: false },
          ),
          indexes: [
            { keys: { slotId: 1 }, unique: true, partial: { active: true }, name: 'claims__active_slot' },
          ],
        });
        await store.engine.init([claims]);
        const C = new Collection(claims, store.engine.collection(claims));
        const slotId = `s-${unique()}`;
        const first = await C.insertOne({ slotId, status: 'pending', active: true });
        await expect(C.insertOne({ slotId, status: 'pending', active: true })).rejects.toMatchObject({
          index: 'claims__active_slot',
        });
        await C.insertOne({ slotId, status: 'expired' });
        expect(
          await C.updateOne({ _id: first._id }, { $set: { status: 'cancelled' }, $unset: { active: true } }),
        ).toBe(true);
        const second = await C.insertOne({ slotId, status: 'pending', active: true });
        expect(await C.count({ slotId })).toBe(3);
        expect(ids(await C.findAll({ slotId, active: true }))).toEqual([second._id]);
      });

      test('a partial unique index only constrains documents its filter selects', async () => {
        const slotKey = `slot-${unique()}`;
        const { patientId } = await seed([
          { slotKey, status: 'done' },
          { slotKey, status: 'done' },
          { slotKey, status: 'held' },
        ]);
        const error = await seed([{ slotKey, status: 'held' }]).catch((e: unknown) => e);
        expect(error).toMatchObject({ collection: 'visits', index: 'visits__slotKey' });
        expect(await V().count({ slotKey })).toBe(3);
        const held = await V().findOne({ patientId, slotKey, status: 'done' });
        await expect(V().updateOne({ _id: held!._id }, { $set: { status: 'held' } })).rejects.toBeInstanceOf(
          DuplicateKeyError,
        );
        expect(await V().count({ slotKey, status: 'held' })).toBe(1);
      });
    });

    describe('validation', () => {
      const valid = () => ({
        patientId: `p-${unique()}`,
        code: 'v',
        status: 'booked' as const,
        score: 1,
        startsAt: day(1),
        doctor: { name: 'Rao' },
      });

      const refused = async (write: Promise<unknown>) => {
        const error = await write.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DocumentValidationError);
        expect(error).not.toBeInstanceOf(AppError);
        return error as DocumentValidationError;
      };

      test('an insert with a wrong type, a missing field or an unknown field is refused and not stored', async () => {
        const wrongType = { ...valid(), score: 'high' };
        const { code: _dropped, ...missing } = valid();
        const unknown = { ...valid(), colour: 'red' };
        const nestedUnknown = { ...valid(), doctor: { name: 'Rao', shoe: 9 } };
        const badEnum = { ...valid(), status: 'lost' };
        for (const doc of [wrongType, missing, unknown, nestedUnknown, badEnum]) {
          await refused(V().insertOne(doc as never));
          expect(await V().count({ patientId: doc.patientId })).toBe(0);
        }
      });

      test('a refused document in a batch stops the whole batch', async () => {
        const good = valid();
        await refused(V().insertMany([good, { ...valid(), score: -1 }]));
        expect(await V().count({ patientId: good.patientId })).toBe(0);
      });

      test('refused updates leave the stored document unchanged', async () => {
        const { docs } = await seed([{ score: 2, notes: 'keep' }]);
        const id = docs[0]!._id;
        await refused(V().updateOne({ _id: id }, { $set: { score: 'x' } }));
        await refused(V().updateOne({ _id: id }, { $set: { 'doctor.shoe': 9 } }));
        await refused(V().updateOne({ _id: id }, { $set: { colour: 'red' } }));
        await refused(V().updateOne({ _id: id }, { $unset: { code: '' } }));
        await refused(V().updateOne({ _id: id }, { $set: { _id: 'other' } }));
        await refused(V().findOneAndUpdate({ _id: id }, { $push: { tags: 3 } }));
        expect(await V().findById(id)).toEqual(docs[0]!);
      });

      test('a $push past maxItems is refused and the array stays', async () => {
        const { docs } = await seed([{ tags: ['a', 'b', 'c'] }]);
        await refused(V().updateOne({ _id: docs[0]!._id }, { $push: { tags: 'd' } }));
        expect((await V().findById(docs[0]!._id))?.tags).toEqual(['a', 'b', 'c']);
      });

      test('a dotted $set is refused when it would create an object lacking required fields', async () => {
        const { docs } = await seed([{}]);
        const id = docs[0]!._id;
        await refused(V().updateOne({ _id: id }, { $set: { 'payment.orderId': 'o1' } }));
        expect(await V().findById(id)).toEqual(docs[0]!);
        await V().updateOne({ _id: id }, { $set: { payment: { orderId: 'o1', amountPaise: 100 } } });
        const updated = await V().findOneAndUpdate({ _id: id }, { $set: { 'payment.orderId': 'o2' } });
        expect(updated?.payment).toEqual({ orderId: 'o2', amountPaise: 100 });
      });

      test('an $inc that breaks a minimum is refused and the value stays', async () => {
        const user = await U().insertOne({ email: `${unique()}@example.com`, balancePaise: 5 });
        await refused(U().updateOne({ _id: user._id }, { $inc: { balancePaise: -10 } }));
        await refused(U().findOneAndUpdate({ _id: user._id }, { $inc: { balancePaise: -6 } }));
        expect((await U().findById(user._id))?.balancePaise).toBe(5);
        expect(
          (await U().findOneAndUpdate({ _id: user._id }, { $inc: { balancePaise: -5 } }))?.balancePaise,
        ).toBe(0);
      });
    });

    describe('transactions', () => {
      test('commit makes writes to two collections visible together', async () => {
        const patientId = `p-${unique()}`;
        const visitId = await store.transaction(async (tx) => {
          const visit = await tx.collection(visits).insertOne({ ...base(patientId) });
          await tx.collection(ledger).insertOne({ visitId: visit._id, amountPaise: 50_000 });
          expect(await tx.collection(ledger).count({ visitId: visit._id })).toBe(1);
          return visit._id;
        });
        expect(await V().count({ patientId })).toBe(1);
        expect((await L().findOne({ visitId }))?.amountPaise).toBe(50_000);
      });

      test('a throw rolls back every write in the transaction', async () => {
        const patientId = `p-${unique()}`;
        let visitId = '';
        await expect(
          store.transaction(async (tx) => {
            const visit = await tx.collection(visits).insertOne(base(patientId));
            visitId = visit._id;
            await tx.collection(ledger).insertOne({ visitId, amountPaise: 1 });
            throw new Rollback('changed my mind');
          }),
        ).rejects.toBeInstanceOf(Rollback);
        expect(await V().count({ patientId })).toBe(0);
        expect(await L().count({ visitId })).toBe(0);
      });

      test('a DuplicateKeyError inside rolls back the writes before it', async () => {
        const { docs } = await seed([{}]);
        const taken = await L().insertOne({ visitId: docs[0]!._id, amountPaise: 1 });
        const patientId = `p-${unique()}`;
        await expect(
          store.transaction(async (tx) => {
            await tx.collection(visits).insertOne(base(patientId));
            await tx.collection(visits).updateOne({ _id: docs[0]!._id }, { $set: { status: 'done' } });
            await tx.collection(ledger).insertOne({ visitId: taken.visitId, amountPaise: 2 });
          }),
        ).rejects.toBeInstanceOf(DuplicateKeyError);
        expect(await V().count({ patientId })).toBe(0);
        expect((await V().findById(docs[0]!._id))?.status).toBe('booked');
        expect(await L().findAll({ visitId: taken.visitId })).toEqual([taken]);
      });

      test('a nested transaction joins the outer one', async () => {
        const patientId = `p-${unique()}`;
        await expect(
          store.transaction(async (tx) => {
            await tx.transaction((inner) => inner.collection(visits).insertOne(base(patientId)));
            throw new Rollback('outer fails');
          }),
        ).rejects.toBeInstanceOf(Rollback);
        expect(await V().count({ patientId })).toBe(0);
      });
    });

    describe('boot', () => {
      const ourIndexes = async (collection: string): Promise<string[]> => {
        if (engine.kind === 'mongodb') {
          const listed = await (store.engine as MongoEngine).db.collection(collection).indexes();
          return listed
            .map((index) => index.name!)
            .filter((name) => name !== '_id_')
            .sort();
        }
        return (store.engine as SqliteEngine).db
          .query<{ name: string }, [string]>(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
          )
          .all(collection)
          .map((row) => row.name)
          .sort();
      };
      /** An index an operator added by hand, which boot must leave alone. */
      const addForeignIndex = async (collection: string, field: string, name: string): Promise<void> => {
        if (engine.kind === 'mongodb') {
          await (store.engine as MongoEngine).db.collection(collection).createIndex({ [field]: 1 }, { name });
        } else {
          (store.engine as SqliteEngine).db.run(
            `CREATE INDEX "${name}" ON "${collection}" (json_extract(doc, '$.${field}'))`,
          );
        }
      };

      test('a second boot with the same definitions keeps every index and document', async () => {
        const { patientId } = await seed([{}, {}]);
        const before = await ourIndexes('visits');
        await store.engine.init([visits, users, ledger]);
        expect(await ourIndexes('visits')).toEqual(before);
        expect(before).toEqual(['visits__patientId__score', 'visits__slotKey']);
        expect(await V().count({ patientId })).toBe(2);
      });

      test('a boot with changed definitions rebuilds ours that changed, drops ours removed, leaves others', async () => {
        const fields = { _id: Type.String(), tag: Type.String(), group: Type.String() };
        const v1 = defineCollection({
          name: 'reshaped',
          schema: Type.Object({ ...fields, code: Type.String() }, { additionalProperties: false }),
          indexes: [
            { keys: { code: 1 }, unique: true },
            { keys: { tag: 1 }, unique: true },
            { keys: { group: 1 } },
          ],
        });
        // `code` made optional (its derived MongoDB filter gains $exists), the tag index removed, the
        // group index made unique.
        const v2 = defineCollection({
          name: 'reshaped',
          schema: Type.Object(
            { ...fields, code: Type.Optional(Type.String()) },
            { additionalProperties: false },
          ),
          indexes: [
            { keys: { code: 1 }, unique: true },
            { keys: { group: 1 }, unique: true },
          ],
        });
        await store.engine.init([v1]);
        await addForeignIndex('reshaped', 'tag', 'ops_tag');
        const before = new Collection(v1, store.engine.collection(v1));
        await before.insertOne({ code: 'A', tag: 't', group: 'g1' });
        await expect(before.insertOne({ code: 'B', tag: 't', group: 'g2' })).rejects.toMatchObject({
          index: 'reshaped__tag',
        });

        await store.engine.init([v2]);
        expect(await ourIndexes('reshaped')).toEqual(['ops_tag', 'reshaped__code', 'reshaped__group']);
        const after = new Collection(v2, store.engine.collection(v2));
        // The removed unique index no longer refuses; two documents without the optional key do not collide.
        await after.insertOne({ tag: 't', group: 'g2' });
        await after.insertOne({ tag: 't', group: 'g3' });
        await expect(after.insertOne({ code: 'A', tag: 'x', group: 'g4' })).rejects.toMatchObject({
          index: 'reshaped__code',
        });
        await expect(after.insertOne({ code: 'C', tag: 'x', group: 'g1' })).rejects.toMatchObject({
          index: 'reshaped__group',
        });
        expect(await after.count({ tag: 't' })).toBe(3);

        // And the boot after that finds nothing to change.
        await store.engine.init([v2]);
        expect(await ourIndexes('reshaped')).toEqual(['ops_tag', 'reshaped__code', 'reshaped__group']);
        if (engine.kind === 'mongodb') {
          const plan = await (store.engine as MongoEngine).plan([v2]);
          expect(plan).toEqual({
            create: [],
            validate: [],
            indexes: { reshaped: { create: [], drop: [], keep: ['reshaped__code', 'reshaped__group'] } },
          });
        }
      });

      test('a URL that prefers secondaries still runs transactions that read, and reads its own writes', async () => {
        const other = await engine.open([ledger], { preferSecondaries: true });
        try {
          const visitId = `v-${unique()}`;
          const inside = await other.store.transaction(async (tx) => {
            await tx.collection(ledger).insertOne({ visitId, amountPaise: 1 });
            return tx.collection(ledger).count({ visitId });
          });
          expect(inside).toBe(1);
          await other.store.collection(ledger).insertOne({ visitId: `${visitId}-b`, amountPaise: 2 });
          expect(await other.store.collection(ledger).count({ visitId: `${visitId}-b` })).toBe(1);
        } finally {
          await other.dispose();
        }
      });
    });

    describe('concurrency', () => {
      test('of 50 concurrent conditional updates exactly one wins', async () => {
        const { docs } = await seed([{ status: 'held' }]);
        const id = docs[0]!._id;
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            V().findOneAndUpdate(
              { _id: id, status: 'held' },
              { $set: { status: 'booked', code: `winner-${i}` } },
            ),
          ),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await V().findById(id)).toEqual(winners[0]!);
      });

      test('50 concurrent increments all land', async () => {
        const { docs } = await seed([{ score: 0 }]);
        await Promise.all(
          Array.from({ length: 50 }, () => V().updateOne({ _id: docs[0]!._id }, { $inc: { score: 1 } })),
        );
        expect((await V().findById(docs[0]!._id))?.score).toBe(50);
      });

      test('writes made outside a transaction while it is open survive its rollback', async () => {
        const { docs } = await seed([{ score: 0 }, { score: 0 }]);
        const [inTx, outside] = docs as [VisitDoc, VisitDoc];
        const patientId = `p-${unique()}`;
        let pending: Promise<unknown>[] = [];
        await expect(
          store.transaction(async (tx) => {
            await tx.collection(visits).updateOne({ _id: inTx._id }, { $inc: { score: 1 } });
            pending = [
              V().updateOne({ _id: outside._id }, { $inc: { score: 1 } }),
              V().insertOne(base(patientId)),
              V().findOneAndUpdate({ _id: outside._id }, { $set: { notes: 'seen' } }),
            ];
            await tx.collection(visits).updateOne({ _id: inTx._id }, { $inc: { score: 1 } });
            throw new Rollback('undo');
          }),
        ).rejects.toBeInstanceOf(Rollback);
        await Promise.all(pending);
        expect((await V().findById(inTx._id))?.score).toBe(0);
        expect(await V().findById(outside._id)).toMatchObject({ score: 1, notes: 'seen' });
        expect(await V().count({ patientId })).toBe(1);
      });

      test('writes queued behind one transaction are not swallowed by the next one', async () => {
        const { docs } = await seed([{ score: 0 }]);
        const id = docs[0]!._id;
        const patientId = `p-${unique()}`;
        let queued: Promise<unknown>[] = [];
        let second: Promise<unknown> = Promise.resolve();
        await store.transaction(async (tx) => {
          await tx.collection(visits).insertOne(base(patientId));
          second = store.transaction(async (tx2) => {
            await tx2.collection(visits).insertOne(base(patientId));
            throw new Rollback('second fails');
          });
          queued = Array.from({ length: 5 }, () => V().updateOne({ _id: id }, { $inc: { score: 1 } }));
        });
        await expect(second).rejects.toBeInstanceOf(Rollback);
        await Promise.all(queued);
        expect((await V().findById(id))?.score).toBe(5);
        expect(await V().count({ patientId })).toBe(1);
      });
    });

    if (engine.kind === 'mongodb') {
      describe('mongodb collections', () => {
        test('carry the strict $jsonSchema validator of their schema', async () => {
          const db = (store.engine as MongoEngine).db;
          const [info] = await db.listCollections({ name: 'visits' }).toArray();
          expect((info as { options?: unknown } | undefined)?.options).toMatchObject({
            validator: { $jsonSchema: toMongoJsonSchema(Visit) },
            validationLevel: 'strict',
            validationAction: 'error',
          });
        });

        test('the server refuses a document that bypasses the collection checks', async () => {
          const raw = store.engine.collection(visits);
          const _id = `raw-${unique()}`;
          const error = await raw
            .insertMany([{ _id, patientId: 'p', code: 'c', status: 'lost', score: 1.5 } as never])
            .catch((e: unknown) => e);
          expect(error).toBeInstanceOf(DocumentValidationError);
          expect(await V().findById(_id)).toBeNull();
        });

        test('a second boot plans no change: no collection created, no collMod, no index built or dropped', async () => {
          const plan = await (store.engine as MongoEngine).plan([visits, users, ledger]);
          expect(plan.create).toEqual([]);
          expect(plan.validate).toEqual([]);
          for (const indexes of Object.values(plan.indexes)) {
            expect(indexes.create).toEqual([]);
            expect(indexes.drop).toEqual([]);
          }
          expect(plan.indexes.visits?.keep).toEqual(['visits__patientId__score', 'visits__slotKey']);
        });

        test('indexes exist under the declared names', async () => {
          const names = (await (store.engine as MongoEngine).db.collection('visits').indexes()).map(
            (i) => i.name,
          );
          expect(names).toEqual(
            expect.arrayContaining(['_id_', 'visits__patientId__score', 'visits__slotKey']),
          );
        });
      });
    }

    if (engine.kind === 'sqlite') {
      describe('sqlite query plans', () => {
        // The WHERE clause as the engine writes it for the collection (its partial filters' paths peeked).
        const plan = (collection: string, filter: Filter): string => {
          const def = [visits, users, ledger].find((d) => d.name === collection)!;
          const where = new WhereBuilder(false, partialFilterPaths(def.indexes));
          const sql = `EXPLAIN QUERY PLAN SELECT id, doc FROM "${collection}" WHERE ${where.build(filter)}`;
          const db = (store.engine as SqliteEngine).db;
          return db
            .query<{ detail: string }, (string | number | null)[]>(sql)
            .all(...where.params)
            .map((row) => row.detail)
            .join('\n');
        };

        test('a filter on a declared index key uses that index', () => {
          expect(plan('users', { email: 'a@example.com' })).toContain('USING INDEX users__email');
          expect(plan('visits', { patientId: 'p', score: { $gt: 1 } })).toContain(
            'USING INDEX visits__patientId__score',
          );
          expect(plan('ledger', { visitId: 'v' })).toContain('USING INDEX ledger__visitId');
        });

        test('a filter implying the partial filter can use the partial index', () => {
          expect(plan('visits', { slotKey: 's', status: 'held' })).toContain('USING INDEX visits__slotKey');
        });
      });
    }

    const base = (patientId: string) => ({
      patientId,
      code: 'tx',
      status: 'booked' as const,
      score: 0,
      startsAt: day(1),
      doctor: { name: 'Rao' },
    });
  });
}
