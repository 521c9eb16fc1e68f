import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { jobSpecs } from '../../src/jobs/index.ts';
import { Outbox } from '../../src/modules/outbox/outbox.model.ts';
import { Reminders } from '../../src/modules/reminders/reminders.model.ts';
import type { TestApp } from '../support/app.ts';
import { HOUR, MINUTE } from '../support/booking.ts';
import { type Confirmed, confirmedAppointment } from '../support/confirmed.ts';
import type { RazorpayFake } from '../support/fakes/razorpay.ts';
import { buildRazorpayApp, expectAuditClean } from '../support/payments.ts';

let t: TestApp;
let fake: RazorpayFake;
beforeAll(async () => {
  ({ t, fake } = await buildRazorpayApp({
    ACCESS_TOKEN_TTL_SECONDS: String(365 * 86_400),
    REFRESH_TOKEN_TTL_SECONDS: String(365 * 86_400),
  }));
});
afterAll(async () => {
  await t.close();
  await fake.stop();
});

const runJob = () =>
  jobSpecs(t.container)
    .find((spec) => spec.name === 'reminders')!
    .run();
/** Reminder emails enqueued for the appointment's two parties, by recipient. */
async function remindersTo(c: Confirmed): Promise<string[]> {
  const records = await t.container.store.collection(Outbox).findAll({ kind: 'email' });
  return records
    .filter(
      (r) => r.subject.startsWith('Reminder:') && [c.patient.email, c.doctor.email].includes(r.recipient),
    )
    .map((r) => r.recipient)
    .sort();
}
const both = (c: Confirmed) => [c.patient.email, c.doctor.email].sort();
const at = (c: Confirmed, before: number) => t.clock.set(new Date(c.startsAt.getTime() - before));

describe('reminders (REMINDER_OFFSETS_MINUTES 1440,60)', () => {
  test('each is sent once to both, however many instances run the job at once', async () => {
    const c = await confirmedAppointment(t, fake, 'wallet', 20_000);
    await runJob();
    expect(await remindersTo(c)).toEqual([]);
    at(c, 24 * HOUR - MINUTE);
    await Promise.all([runJob(), runJob(), runJob()]);
    expect(await remindersTo(c)).toEqual(both(c));
    await runJob();
    expect(await remindersTo(c)).toEqual(both(c));
    at(c, 59 * MINUTE);
    await Promise.all([runJob(), runJob()]);
    expect(await remindersTo(c)).toEqual([...both(c), ...both(c)].sort());
    await expectAuditClean(t);
  });

  test('a reschedule re-arms them for the new time; a cancellation drops them', async () => {
    const c = await confirmedAppointment(t, fake, 'wallet', 20_000, { slots: 10 });
    const moved = await t.call('POST', `/api/v1/appointments/${c.appointmentId}/reschedule`, {
      token: c.patient.accessToken,
      body: { slotId: c.slotIds[9] },
    });
    expect(moved.status).toBe(200);
    const newStart = new Date(moved.body.appointment.startsAt);
    // The old times (the new start is 4.5 h later) pass without a reminder.
    at(c, 24 * HOUR - MINUTE);
    await runJob();
    expect(await remindersTo(c)).toEqual([]);
    t.clock.set(new Date(newStart.getTime() - 24 * HOUR + MINUTE));
    await runJob();
    expect(await remindersTo(c)).toEqual(both(c));
    const stored = await t.container.store.collection(Reminders).findAll({ appointmentId: c.appointmentId });
    expect(stored.filter((r) => r.status === 'dropped').map((r) => r.sequence)).toEqual([0, 0]);

    const d = await confirmedAppointment(t, fake, 'wallet', 20_000);
    expect(
      (
        await t.call('POST', `/api/v1/appointments/${d.appointmentId}/cancel`, {
          token: d.doctor.accessToken,
        })
      ).status,
    ).toBe(200);
    at(d, 30 * MINUTE);
    await runJob();
    expect(await remindersTo(d)).toEqual([]);
    await expectAuditClean(t);
  });

  test('catch-up: times passed while down are sent if the appointment has not started, else skipped', async () => {
    const c = await confirmedAppointment(t, fake, 'wallet', 20_000);
    at(c, 10 * MINUTE);
    await runJob();
    // Both the 24 h and the 1 h reminders are late but still useful.
    expect(await remindersTo(c)).toEqual([...both(c), ...both(c)].sort());

    const d = await confirmedAppointment(t, fake, 'wallet', 20_000);
    at(d, -5 * MINUTE);
    await runJob();
    expect(await remindersTo(d)).toEqual([]);
    const stored = await t.container.store.collection(Reminders).findAll({ appointmentId: d.appointmentId });
    expect(stored.map((r) => r.status)).toEqual(['skipped', 'skipped']);
  });
});
