import type { Database } from 'bun:sqlite';
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { SqliteEngine } from '../../src/db/sqlite/engine.ts';
import type { TestApp } from '../support/app.ts';
import {
  approvedDoctor,
  buildBookingApp,
  hold,
  hourFromNow,
  patients,
  publishSlots,
} from '../support/booking.ts';
import { recordStatements } from '../support/statements.ts';

let t: TestApp;
let db: Database;
let statements: string[];
beforeAll(async () => {
  t = await buildBookingApp();
  const engine = t.container.store.engine;
  if (!(engine instanceof SqliteEngine)) throw new Error('SQLite only');
  db = engine.db;
  // Every statement the booking paths prepare, to read their plans afterwards.
  ({ statements } = recordStatements(db));
});
afterAll(() => t.close());

test('the booking paths never scan a whole table nor search by status alone', async () => {
  const doctor = await approvedDoctor(t);
  const [p1, p2] = await patients(t, 2);
  statements.length = 0;

  const slotIds = await publishSlots(t, doctor, hourFromNow(t, 1), 4);
  const first = await hold(t, p1!, slotIds[0]!, { 'idempotency-key': 'plan-1' });
  await hold(t, p1!, slotIds[1]!);
  await t.call('POST', `/api/v1/appointments/${first.body.appointment.id}/cancel`, {
    token: p1!.accessToken,
  });
  t.clock.advance(901_000);
  await hold(t, p2!, slotIds[1]!);
  await t.container.appointments.expireLapsedHolds();
  await t.container.idempotency.purgeExpired();
  await t.call('GET', `/api/v1/doctors/${doctor.user.id}/slots`);
  await t.call('GET', '/api/v1/doctors/me/slots?status=open', { token: doctor.accessToken });
  await t.call('GET', '/api/v1/appointments?status=pending_payment', { token: p2!.accessToken });
  await t.call('GET', '/api/v1/appointments', { token: doctor.accessToken });
  await t.call('DELETE', `/api/v1/doctors/me/slots/${slotIds[3]}`, { token: doctor.accessToken });

  const booking = [...new Set(statements)].filter(
    (sql) => /"(slots|appointments|idempotency_keys)"/.test(sql) && /^(SELECT|UPDATE|DELETE)/.test(sql),
  );
  expect(booking.length).toBeGreaterThan(10);
  for (const sql of booking) {
    const plan = db
      .prepare<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${sql}`)
      .all()
      .map((row) => row.detail);
    // A whole-table scan, or a search on the status alone (a handful of values: a large share of the table).
    const wide = plan.filter(
      (detail) =>
        /^SCAN (slots|appointments|idempotency_keys)\b/.test(detail) ||
        /USING (COVERING )?INDEX (slots|appointments)__status\w* \(<expr>=\?\)$/.test(detail),
    );
    expect({ sql, wide }).toEqual({ sql, wide: [] });
  }
});
