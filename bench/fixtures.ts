import { type Static, Type } from '@sinclair/typebox';
import { defineCollection } from '../src/db/index.ts';

// Equal lengths, so flipping a document between them never resizes it (no page splits skewing the figures).
export const BOOKING_STATES = ['held', 'paid'] as const;

/** A document shaped like a booking: a state machine field, an indexed integer, dates, money. */
export const BenchDoc = Type.Object(
  {
    _id: Type.String(),
    // A tuple, not BOOKING_STATES.map(...): Elysia's response typing reads a mapped union as `never`.
    state: Type.Union([Type.Literal(BOOKING_STATES[0]), Type.Literal(BOOKING_STATES[1])]),
    seq: Type.Integer({ minimum: 0 }),
    patientId: Type.String(),
    doctorId: Type.String(),
    amountPaise: Type.Integer({ minimum: 0 }),
    notes: Type.Optional(Type.String({ maxLength: 500 })),
    startsAt: Type.Date(),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type BenchDoc = Static<typeof BenchDoc>;

export const BenchDocs = defineCollection({
  name: 'bench_docs',
  schema: BenchDoc,
  indexes: [{ keys: { seq: 1 } }],
});

const EPOCH = Date.UTC(2026, 0, 1);

export function benchDoc(seq: number): BenchDoc {
  const at = new Date(EPOCH + seq * 60_000);
  return {
    _id: Bun.randomUUIDv7(),
    state: 'held',
    seq,
    patientId: `patient-${seq % 5000}`,
    doctorId: `doctor-${seq % 200}`,
    amountPaise: 50_000 + (seq % 97) * 100,
    notes: 'Follow-up consultation; bring previous reports.',
    startsAt: at,
    createdAt: at,
    updatedAt: at,
  };
}

/** Inserts `count` documents in batches through the document layer; returns their ids in seq order. */
export async function seed(
  collection: { insertMany(docs: BenchDoc[]): Promise<unknown> },
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 5000) {
    const batch = Array.from({ length: Math.min(5000, count - start) }, (_, i) => benchDoc(start + i));
    await collection.insertMany(batch);
    for (const doc of batch) ids.push(doc._id);
  }
  return ids;
}
