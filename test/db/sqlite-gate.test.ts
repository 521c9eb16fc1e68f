import { afterAll, expect, test } from 'bun:test';
import { Type } from '@sinclair/typebox';
import { defineCollection, openStore } from '../../src/db/index.ts';
import { Gate } from '../../src/db/sqlite/gate.ts';

const Counters = defineCollection({
  name: 'counters',
  schema: Type.Object({ _id: Type.String(), n: Type.Integer() }),
});
const store = await openStore('sqlite::memory:', [Counters]);
afterAll(() => store.close());
const counters = store.collection(Counters);

/** Lets every queued promise job run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('the gate serves its waiters in arrival order, each woken once', async () => {
  const gate = new Gate();
  const order: string[] = [];
  const release1 = await gate.acquire();
  const waitCalls = { n: 0 };
  const wait = () => {
    waitCalls.n++;
    return gate.wait();
  };
  const r1 = wait().then(() => order.push('r1'));
  const a2 = gate.acquire().then((release) => {
    order.push('a2');
    return release;
  });
  const r2 = wait().then(() => order.push('r2'));
  await settle();
  expect(order).toEqual([]);

  release1();
  release1(); // a second call of the same release changes nothing
  await settle();
  // r1 came before a2: through first; a2 holds the gate; r2 came after a2 and waits for it.
  expect(order).toEqual(['r1', 'a2']);
  expect(gate.busy).toBe(true);

  (await a2)();
  await Promise.all([r1, r2]);
  expect(order).toEqual(['r1', 'a2', 'r2']);
  expect(gate.busy).toBe(false);
  expect(waitCalls.n).toBe(2);
  await gate.idle();
});

test('a read queued while one transaction is open runs before the transaction queued after it', async () => {
  const [doc] = await counters.insertMany([{ n: 0 }]);
  const id = doc!._id;
  let read: Promise<number | undefined> = Promise.resolve(undefined);
  let second: Promise<unknown> = Promise.resolve();
  await store.transaction(async (tx) => {
    await tx.collection(Counters).updateOne({ _id: id }, { $inc: { n: 1 } });
    // Both arrive while the first is open: the read first, then a transaction that changes what it reads.
    read = counters.findById(id).then((found) => found?.n);
    second = store.transaction(async (tx2) => {
      await tx2.collection(Counters).updateOne({ _id: id }, { $inc: { n: 10 } });
    });
    await settle();
  });
  await second;
  // The read saw the first transaction committed and the second not begun.
  expect(await read).toBe(1);
  expect((await counters.findById(id))?.n).toBe(11);
});

test('many reads and transactions at once: every read runs once the gate lets it, none is lost', async () => {
  const [doc] = await counters.insertMany([{ n: 0 }]);
  const id = doc!._id;
  const work: Promise<unknown>[] = [];
  for (let i = 0; i < 20; i++) {
    work.push(
      store.transaction(async (tx) => {
        const c = tx.collection(Counters);
        const current = await c.findById(id);
        await settle();
        await c.updateOne({ _id: id }, { $set: { n: current!.n + 1 } });
      }),
    );
    work.push(counters.findById(id), counters.count({ _id: id }));
  }
  await Promise.all(work);
  // Each transaction read and wrote alone: no increment lost.
  expect((await counters.findById(id))?.n).toBe(20);
});
