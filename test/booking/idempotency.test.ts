import { afterAll, beforeAll, expect, test } from 'bun:test';
import { Appointments } from '../../src/modules/appointments/appointments.model.ts';
import { IdempotencyKeys } from '../../src/modules/idempotency/idempotency.model.ts';
import type { TestApp } from '../support/app.ts';
import {
  approvedDoctor,
  buildBookingApp,
  DAY,
  hold,
  hourFromNow,
  patients,
  publishSlots,
  storedSlot,
} from '../support/booking.ts';
import type { CreatedUser } from '../support/factories.ts';

let t: TestApp;
let doctor: CreatedUser;
beforeAll(async () => {
  t = await buildBookingApp();
  doctor = await approvedDoctor(t);
});
afterAll(() => t.close());

const countFor = (patient: CreatedUser) =>
  t.container.store.collection(Appointments).count({ patientId: patient.user.id });
const key = () => `key-${crypto.randomUUID()}`;

test('a retry with the same key and body returns the same response and makes no second hold', async () => {
  const [patient] = await patients(t, 1);
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 1), 1);
  const headers = { 'idempotency-key': key() };
  const first = await hold(t, patient!, slotId!, headers);
  expect(first.status).toBe(201);
  expect(first.headers.get('idempotent-replayed')).toBeNull();

  t.clock.advance(60_000);
  const retry = await hold(t, patient!, slotId!, headers);
  expect(retry.status).toBe(201);
  expect(retry.body).toEqual(first.body);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(await countFor(patient!)).toBe(1);
  expect((await storedSlot(t, slotId!)).heldBy).toBe(first.body.appointment.id);

  // Without the key, the same request is a new attempt and the slot is taken.
  expect((await hold(t, patient!, slotId!)).body.error.code).toBe('SLOT_UNAVAILABLE');
});

test('the same key with a different body is 422 and changes nothing', async () => {
  const [patient] = await patients(t, 1);
  const [a, b] = await publishSlots(t, doctor, hourFromNow(t, 2), 2);
  const headers = { 'idempotency-key': key() };
  expect((await hold(t, patient!, a!, headers)).status).toBe(201);
  const other = await hold(t, patient!, b!, headers);
  expect(other.status).toBe(422);
  expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  const withReason = await t.call('POST', '/api/v1/appointments', {
    token: patient!.accessToken,
    body: { slotId: a, reason: 'changed my mind' },
    headers,
  });
  expect(withReason.status).toBe(422);
  expect((await storedSlot(t, b!)).status).toBe('open');
  expect(await countFor(patient!)).toBe(1);
});

test('keys are per user: two patients using the same key each get their own outcome', async () => {
  const [p1, p2] = await patients(t, 2);
  const [a, b] = await publishSlots(t, doctor, hourFromNow(t, 3), 2);
  const headers = { 'idempotency-key': 'shared-key-1' };
  const r1 = await hold(t, p1!, a!, headers);
  const r2 = await hold(t, p2!, b!, headers);
  expect([r1.status, r2.status]).toEqual([201, 201]);
  expect(r1.body.appointment.id).not.toBe(r2.body.appointment.id);
  // Even with the same body: p2 is not replayed p1's appointment.
  const r3 = await hold(t, p2!, a!, { 'idempotency-key': 'shared-key-2' });
  const r4 = await hold(t, p1!, a!, { 'idempotency-key': 'shared-key-2' });
  expect(r3.body.error.code).toBe('SLOT_UNAVAILABLE');
  expect(r4.body.error.code).toBe('SLOT_UNAVAILABLE');
});

test('concurrent retries with one key make exactly one hold; later retries replay it', async () => {
  const [patient] = await patients(t, 1);
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 4), 1);
  const headers = { 'idempotency-key': key() };
  const results = await Promise.all(Array.from({ length: 10 }, () => hold(t, patient!, slotId!, headers)));
  const created = results.filter((r) => r.status === 201);
  const busy = results.filter((r) => r.status === 409);
  expect(created.length + busy.length).toBe(10);
  expect(new Set(created.map((r) => r.body.appointment.id)).size).toBe(1);
  for (const r of busy) {
    expect(r.body.error.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(r.headers.get('retry-after')).toBe('1');
  }
  expect(await countFor(patient!)).toBe(1);

  const later = await hold(t, patient!, slotId!, headers);
  expect(later.status).toBe(201);
  expect(later.body.appointment.id).toBe(created[0]!.body.appointment.id);
});

test('a failed request frees its key: the retry runs afresh', async () => {
  const [p1, p2] = await patients(t, 2);
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 5), 1);
  const blocker = await hold(t, p1!, slotId!);
  const headers = { 'idempotency-key': key() };
  expect((await hold(t, p2!, slotId!, headers)).body.error.code).toBe('SLOT_UNAVAILABLE');
  expect(await t.container.store.collection(IdempotencyKeys).count({ userId: p2!.user.id })).toBe(0);

  await t.call('POST', `/api/v1/appointments/${blocker.body.appointment.id}/cancel`, {
    token: p1!.accessToken,
  });
  const retry = await hold(t, p2!, slotId!, headers);
  expect(retry.status).toBe(201);
  expect(retry.headers.get('idempotent-replayed')).toBeNull();
});

test('after 24 hours a key is new again, and expired records are purged', async () => {
  const [patient] = await patients(t, 1);
  const [a, b] = await publishSlots(t, doctor, hourFromNow(t, 6), 2);
  const headers = { 'idempotency-key': key() };
  expect((await hold(t, patient!, a!, headers)).status).toBe(201);

  t.clock.advance(DAY - 1000);
  expect((await hold(t, patient!, b!, headers)).body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  t.clock.advance(2000);
  const fresh = await hold(t, patient!, b!, headers);
  expect(fresh.status).toBe(201);
  expect(fresh.body.appointment.slotId).toBe(b);

  t.clock.advance(DAY + 1000);
  const before = await t.container.store.collection(IdempotencyKeys).count({});
  expect(before).toBeGreaterThan(0);
  const purged = await t.container.idempotency.purgeExpired();
  expect(purged).toBe(before);
  expect(await t.container.store.collection(IdempotencyKeys).count({})).toBe(0);
});

test('a malformed key is 422', async () => {
  const [patient] = await patients(t, 1);
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 7), 1);
  for (const bad of ['x'.repeat(256), 'has space']) {
    const res = await hold(t, patient!, slotId!, { 'idempotency-key': bad });
    expect(res.status).toBe(422);
  }
  expect((await storedSlot(t, slotId!)).status).toBe('open');
});

test('a key left in progress by a request that died is taken over once its lease ends', async () => {
  const [patient] = await patients(t, 1);
  const [slotId] = await publishSlots(t, doctor, hourFromNow(t, 8), 1);
  const headers = { 'idempotency-key': key() };
  // A first attempt whose process died mid-request: it took the key and never completes nor releases it.
  const first = await t.container.idempotency.begin(
    { userId: patient!.user.id, key: headers['idempotency-key'], scope: 'POST /appointments' },
    { slotId },
  );
  expect('lease' in first).toBe(true);
  const busy = await hold(t, patient!, slotId!, headers);
  expect(busy.body.error.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');

  t.clock.advance(61_000);
  const retry = await hold(t, patient!, slotId!, headers);
  expect(retry.status).toBe(201);
  expect(await countFor(patient!)).toBe(1);
  const record = await t.container.store.collection(IdempotencyKeys).findOne({ userId: patient!.user.id });
  expect(record?.state).toBe('completed');
});
