import { describe, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import {
  type BulkWriteResult,
  MongoBulkWriteError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import { defineCollection } from '../../src/db/collection.ts';
import { DocumentValidationError, DuplicateKeyError } from '../../src/db/errors.ts';
import { openStore } from '../../src/db/index.ts';
import { indexDescriptions, mongoDatabaseName, translateError } from '../../src/db/mongo/engine.ts';
import { AppError } from '../../src/shared/errors.ts';

// The parts of the MongoDB engine that need no server; the conformance suite covers the rest
// when TEST_MONGODB_URI is set.

const bookings = defineCollection({
  name: 'bookings',
  schema: Type.Object({
    _id: Type.String(),
    slotId: Type.String(),
    status: Type.String(),
    couponCode: Type.Optional(Type.String()),
    payment: Type.Optional(Type.Object({ orderId: Type.String() })),
  }),
  indexes: [
    { keys: { slotId: 1, _id: 1 } },
    { keys: { slotId: 1 }, unique: true, partial: { status: 'held' } },
    { keys: { couponCode: 1 }, unique: true },
    { keys: { 'payment.orderId': 1 }, unique: true, name: 'bookings__payment_order' },
    { keys: { status: 1, slotId: -1 }, unique: true },
  ],
});

describe('mongoDatabaseName', () => {
  test('reads the database from the URL path, defaulting to healthvision', () => {
    expect(mongoDatabaseName('mongodb://localhost:27017/clinic')).toBe('clinic');
    expect(mongoDatabaseName('mongodb://u:p@h1:27017,h2:27017/clinic?replicaSet=rs0')).toBe('clinic');
    expect(mongoDatabaseName('mongodb+srv://u:p@cluster.example.net/clinic_prod?retryWrites=true')).toBe(
      'clinic_prod',
    );
    expect(mongoDatabaseName('mongodb://localhost:27017')).toBe('healthvision');
    expect(mongoDatabaseName('mongodb://localhost:27017/')).toBe('healthvision');
    expect(mongoDatabaseName('mongodb://localhost:27017/?replicaSet=rs0')).toBe('healthvision');
  });
});

describe('indexDescriptions', () => {
  test('names indexes as the SQLite engine does and passes keys, uniqueness and partial filters', () => {
    expect(indexDescriptions(bookings)).toEqual([
      { key: { slotId: 1, _id: 1 }, name: 'bookings__slotId__id' },
      {
        key: { slotId: 1 },
        name: 'bookings__slotId',
        unique: true,
        partialFilterExpression: { status: 'held' },
      },
      {
        key: { couponCode: 1 },
        name: 'bookings__couponCode',
        unique: true,
        partialFilterExpression: { couponCode: { $exists: true } },
      },
      {
        key: { 'payment.orderId': 1 },
        name: 'bookings__payment_order',
        unique: true,
        partialFilterExpression: { 'payment.orderId': { $exists: true } },
      },
      { key: { status: 1, slotId: -1 }, name: 'bookings__status__slotId', unique: true },
    ]);
  });

  test('keeps the declared partial filter when adding the presence condition', () => {
    const def = defineCollection({
      name: 'codes',
      schema: Type.Object({ _id: Type.String(), code: Type.Optional(Type.String()), live: Type.Boolean() }),
      indexes: [{ keys: { code: 1 }, unique: true, partial: { live: true } }],
    });
    expect(indexDescriptions(def)[0]?.partialFilterExpression).toEqual({
      $and: [{ live: true }, { code: { $exists: true } }],
    });
  });
});

describe('translateError', () => {
  const catchFrom = (error: unknown): unknown => {
    try {
      translateError('bookings', error);
    } catch (thrown) {
      return thrown;
    }
    throw new Error('translateError returned');
  };

  test('a duplicate key becomes a DuplicateKeyError naming the index', () => {
    const error = catchFrom(
      new MongoServerError({
        code: 11000,
        errmsg:
          'E11000 duplicate key error collection: healthvision.bookings index: bookings__slotId dup key: { slotId: "s1" }',
      }),
    );
    expect(error).toBeInstanceOf(DuplicateKeyError);
    expect(error).toMatchObject({
      name: 'DuplicateKeyError',
      collection: 'bookings',
      index: 'bookings__slotId',
    });
  });

  test('a duplicate _id names the index _id, as SQLite does', () => {
    const error = catchFrom(
      new MongoServerError({
        code: 11000,
        errmsg:
          'E11000 duplicate key error collection: healthvision.bookings index: _id_ dup key: { _id: "x" }',
      }),
    );
    expect(error).toMatchObject({ index: '_id' });
  });

  test('a validator refusal becomes a DocumentValidationError with field paths and no values', () => {
    const error = catchFrom(
      new MongoServerError({
        code: 121,
        errmsg: 'Document failed validation',
        errInfo: {
          failingDocumentId: 'b1',
          details: {
            operatorName: '$jsonSchema',
            schemaRulesNotSatisfied: [
              {
                operatorName: 'properties',
                propertiesNotSatisfied: [
                  {
                    propertyName: 'payment',
                    details: [
                      {
                        operatorName: 'required',
                        specifiedAs: { required: ['orderId'] },
                        missingProperties: ['orderId'],
                      },
                    ],
                  },
                  {
                    propertyName: 'status',
                    details: [
                      {
                        operatorName: 'bsonType',
                        specifiedAs: { bsonType: 'string' },
                        reason: 'type did not match',
                        consideredValue: 'SECRET-VALUE',
                        consideredType: 'int',
                      },
                    ],
                  },
                ],
              },
              {
                operatorName: 'additionalProperties',
                specifiedAs: { additionalProperties: false },
                additionalProperties: ['ssn'],
              },
              {
                operatorName: 'required',
                specifiedAs: { required: ['slotId'] },
                missingProperties: ['slotId'],
              },
            ],
          },
        },
      }),
    ) as DocumentValidationError;
    expect(error).toBeInstanceOf(DocumentValidationError);
    expect(error).not.toBeInstanceOf(AppError);
    expect(error.issues).toEqual([
      { path: 'payment.orderId', message: 'is required' },
      { path: 'status', message: 'bsonType: type did not match' },
      { path: 'ssn', message: 'is not allowed' },
      { path: 'slotId', message: 'is required' },
    ]);
    expect(JSON.stringify(error.issues) + error.message).not.toContain('SECRET');
  });

  test('a validator refusal without details still says what happened', () => {
    const error = catchFrom(new MongoServerError({ code: 121, errmsg: 'Document failed validation' }));
    expect(error).toMatchObject({
      issues: [{ path: '(root)', message: 'rejected by the collection validator' }],
    });
  });

  test('an insertMany failure reads the code and details from its first write error', () => {
    // Shaped like the driver's WriteError (code, index, errmsg, errInfo), which it does not export.
    const bulk = (writeError: Record<string, unknown>) =>
      new MongoBulkWriteError(
        {
          message: String(writeError.errmsg),
          code: writeError.code as number,
          writeErrors: [writeError as never],
        },
        {} as BulkWriteResult,
      );
    const duplicate = catchFrom(
      bulk({
        code: 11000,
        index: 1,
        errmsg:
          'E11000 duplicate key error collection: hv.bookings index: bookings__couponCode dup key: { couponCode: "A" }',
      }),
    );
    expect(duplicate).toMatchObject({ name: 'DuplicateKeyError', index: 'bookings__couponCode' });
    const refused = catchFrom(
      bulk({
        code: 121,
        index: 0,
        errmsg: 'Document failed validation',
        errInfo: {
          details: {
            operatorName: '$jsonSchema',
            schemaRulesNotSatisfied: [{ operatorName: 'required', missingProperties: ['slotId'] }],
          },
        },
      }),
    );
    expect(refused).toBeInstanceOf(DocumentValidationError);
    expect(refused).toMatchObject({ issues: [{ path: 'slotId', message: 'is required' }] });
  });

  test('any other error is rethrown as it is', () => {
    const conflict = new MongoServerError({ code: 112, errmsg: 'WriteConflict' });
    expect(catchFrom(conflict)).toBe(conflict);
    const plain = new Error('socket closed');
    expect(catchFrom(plain)).toBe(plain);
  });
});

describe('an unreachable server', () => {
  test('fails boot once the server selection timeout passes, not after the driver default of 30 s', async () => {
    // Nothing listens on port 1; within bun's 5 s test timeout only a passed-through setting can fail it.
    const error = await openStore('mongodb://127.0.0.1:1/hv?directConnection=true', [], {
      serverSelectionTimeoutMS: 200,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerSelectionError);
  });
});
