import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { collections } from '../../src/container.ts';
import { openStore } from '../../src/db/index.ts';
import { Slots } from '../../src/modules/slots/slots.model.ts';
import type { TestApp } from '../support/app.ts';
import {
  approvedDoctor,
  buildBookingApp,
  DAY,
  HOUR,
  hold,
  hourFromNow,
  iso,
  MINUTE,
  patients,
  plus,
  publishSlots,
  storedSlot,
} from '../support/booking.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';
import { RerunningStore } from '../support/store.ts';

let t: TestApp;
beforeAll(async () => {
  // A small cap so the per-request limit is cheap to reach.
  t = await buildBookingApp({ MAX_SLOTS_PER_REQUEST: '40' });
  // A fixed winter date keeps the DST expectations exact.
  t.clock.set('2030-01-01T10:00:00.000Z');
});
afterAll(() => t.close());

const post = (doctor: CreatedUser, body: unknown) =>
  t.call('POST', '/api/v1/doctors/me/slots', { token: doctor.accessToken, body });
const range = (start: Date, minutes: number) => ({
  startsAt: iso(start),
  endsAt: iso(plus(start, minutes * MINUTE)),
});
const storedFor = (doctorId: string) =>
  t.container.store.collection(Slots).findAll({ doctorId }, { sort: { startsAt: 1 } });

describe('publishing explicit slots', () => {
  test('201 with the created slots, stored open', async () => {
    const doctor = await approvedDoctor(t);
    const start = hourFromNow(t, 2);
    const res = await post(doctor, { slots: [range(start, 30), range(plus(start, HOUR), 45)] });
    expect(res.status).toBe(201);
    expect(res.body.skipped).toEqual([]);
    expect(res.body.created).toMatchObject([
      {
        startsAt: iso(start),
        endsAt: iso(plus(start, 30 * MINUTE)),
        status: 'open',
        doctorId: doctor.user.id,
      },
      { startsAt: iso(plus(start, HOUR)), status: 'open' },
    ]);
    const stored = await storedFor(doctor.user.id);
    expect(stored.map((s) => [s._id, s.status])).toEqual(
      res.body.created.map((s: { id: string }) => [s.id, 'open']),
    );
  });

  test('past, beyond-horizon and overlapping slots are skipped with their reason; the rest are created', async () => {
    const doctor = await approvedDoctor(t);
    const start = hourFromNow(t, 1);
    const [existing] = await publishSlots(t, doctor, start, 1, 60);
    const res = await post(doctor, {
      slots: [
        range(plus(t.clock.now(), -HOUR), 30), // in the past
        range(plus(start, 30 * MINUTE), 60), // overlaps the stored slot's second half
        range(plus(start, 2 * HOUR), 60), // fine
        range(plus(start, 2 * HOUR + 30 * MINUTE), 30), // overlaps the one just before it in this request
        range(plus(start, 3 * HOUR), 30), // fine, touching is not overlapping
        range(plus(t.clock.now(), 91 * DAY), 30), // beyond the 90-day horizon
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.created.map((s: { startsAt: string }) => s.startsAt)).toEqual([
      iso(plus(start, 2 * HOUR)),
      iso(plus(start, 3 * HOUR)),
    ]);
    const reasons = Object.fromEntries(
      res.body.skipped.map((s: { startsAt: string; reason: string; conflictsWith?: string }) => [
        s.startsAt,
        [s.reason, s.conflictsWith],
      ]),
    );
    expect(reasons).toEqual({
      [iso(plus(t.clock.now(), -HOUR))]: ['IN_PAST', undefined],
      [iso(plus(start, 30 * MINUTE))]: ['OVERLAP', existing],
      [iso(plus(start, 2 * HOUR + 30 * MINUTE))]: ['OVERLAP', res.body.created[0].id],
      [iso(plus(t.clock.now(), 91 * DAY))]: ['BEYOND_HORIZON', undefined],
    });
    expect((await storedFor(doctor.user.id)).length).toBe(3);

    // The same request again creates nothing new: all overlap, and 200 says nothing was created.
    const again = await post(doctor, { slots: [range(plus(start, 2 * HOUR), 60)] });
    expect(again.status).toBe(200);
    expect(again.body.created).toEqual([]);
    expect(again.body.skipped[0].reason).toBe('OVERLAP');
    expect((await storedFor(doctor.user.id)).length).toBe(3);
  });

  test('a request whose every slot is skipped before the store is read answers 200 with the reasons', async () => {
    const doctor = await approvedDoctor(t);
    const res = await post(doctor, { slots: [range(plus(t.clock.now(), -HOUR), 30)] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      created: [],
      skipped: [
        {
          startsAt: iso(plus(t.clock.now(), -HOUR)),
          endsAt: iso(plus(t.clock.now(), -HOUR + 30 * MINUTE)),
          reason: 'IN_PAST',
        },
      ],
    });
    expect(await storedFor(doctor.user.id)).toEqual([]);
  });

  test('a transaction that runs twice (a retried write conflict) reports each overlap once', async () => {
    const store = new RerunningStore((await openStore('sqlite::memory:', collections)).engine);
    const rerun = await buildBookingApp({}, { store });
    try {
      rerun.clock.set(t.clock.now());
      const doctor = await approvedDoctor(rerun);
      const start = hourFromNow(rerun, 1);
      const [existing] = await publishSlots(rerun, doctor, start, 1, 60);
      const res = await rerun.call('POST', '/api/v1/doctors/me/slots', {
        token: doctor.accessToken,
        body: { slots: [range(plus(start, 30 * MINUTE), 60), range(plus(start, 2 * HOUR), 30)] },
      });
      expect(res.status).toBe(201);
      expect(store.reruns).toBeGreaterThanOrEqual(2);
      expect(res.body.skipped).toEqual([
        {
          startsAt: iso(plus(start, 30 * MINUTE)),
          endsAt: iso(plus(start, 90 * MINUTE)),
          reason: 'OVERLAP',
          conflictsWith: existing,
        },
      ]);
      expect(res.body.created.map((s: { startsAt: string }) => s.startsAt)).toEqual([
        iso(plus(start, 2 * HOUR)),
      ]);
      const stored = await store.collection(Slots).findAll({ doctorId: doctor.user.id });
      expect(stored.map((s) => s._id).sort()).toEqual([existing, res.body.created[0].id].sort());
    } finally {
      await rerun.close();
    }
  });

  test('malformed requests are 422 and store nothing', async () => {
    const doctor = await approvedDoctor(t);
    const start = hourFromNow(t, 1);
    const cases: [unknown, string][] = [
      [{}, 'slots'],
      [{ slots: [] }, 'slots'],
      [{ slots: [range(start, 4)] }, 'slots.0.endsAt'],
      [{ slots: [range(start, 241)] }, 'slots.0.endsAt'],
      [{ slots: [range(start, -30)] }, 'slots.0.endsAt'],
      [
        { slots: [{ startsAt: iso(plus(start, 30_000)), endsAt: iso(plus(start, 30 * MINUTE)) }] },
        'slots.0.startsAt',
      ],
      [{ slots: [{ startsAt: 'tomorrow at nine', endsAt: iso(start) }] }, 'slots.0.startsAt'],
      // Impossible or zone-less instants are refused, not rolled over or guessed.
      [{ slots: [{ startsAt: '2031-02-30T10:00:00Z', endsAt: '2031-02-30T10:30:00Z' }] }, 'slots.0.startsAt'],
      [{ slots: [{ startsAt: iso(start).slice(0, 10), endsAt: iso(plus(start, DAY)) }] }, 'slots.0.startsAt'],
      [
        { slots: [{ startsAt: iso(start).slice(0, 19), endsAt: iso(plus(start, 30 * MINUTE)) }] },
        'slots.0.startsAt',
      ],
      [
        {
          slots: [range(start, 30)],
          schedule: {
            from: '2030-01-02',
            to: '2030-01-02',
            weekdays: [1],
            start: '09:00',
            end: '10:00',
            slotMinutes: 30,
          },
        },
        'schedule',
      ],
      [{ slots: Array.from({ length: 41 }, (_, i) => range(plus(start, i * HOUR), 30)) }, 'slots'],
      [
        {
          schedule: {
            from: '2030-01-02',
            to: '2030-01-20',
            weekdays: [1, 2, 3, 4, 5],
            start: '09:00',
            end: '17:00',
            slotMinutes: 30,
          },
        },
        'schedule',
      ],
      [
        {
          schedule: {
            from: '2030-01-02',
            to: '2030-01-02',
            weekdays: [8],
            start: '09:00',
            end: '10:00',
            slotMinutes: 30,
          },
        },
        'schedule.weekdays.0',
      ],
      [
        {
          schedule: {
            from: '2030-01-02',
            to: '2030-01-02',
            weekdays: [1],
            start: '9am',
            end: '10:00',
            slotMinutes: 30,
          },
        },
        'schedule.start',
      ],
      [
        {
          schedule: {
            from: '2030-01-02',
            to: '2030-01-02',
            weekdays: [1],
            start: '09:00',
            end: '10:00',
            slotMinutes: 3,
          },
        },
        'schedule.slotMinutes',
      ],
      [
        {
          schedule: {
            from: '2030-01-02',
            to: '2030-01-02',
            weekdays: [1],
            start: '09:00',
            end: '10:00',
            slotMinutes: 30,
            timezone: 'Nowhere/Land',
          },
        },
        'schedule.timezone',
      ],
    ];
    for (const [body, path] of cases) {
      const res = await post(doctor, body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      const paths = res.body.error.details.issues.map((issue: { path: string }) => issue.path);
      expect({ body, paths }).toEqual({ body, paths: expect.arrayContaining([path]) });
    }
    expect(await storedFor(doctor.user.id)).toEqual([]);
  });

  test('a doctor awaiting approval cannot publish slots', async () => {
    const pending = await createUser(t, { role: 'doctor' });
    const res = await post(pending, { slots: [range(hourFromNow(t, 1), 30)] });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('DOCTOR_NOT_APPROVED');
    expect(await storedFor(pending.user.id)).toEqual([]);
  });
});

describe('concurrent publishing', () => {
  test('concurrent overlapping publishes of one doctor never store overlapping slots; each takes the schedule lock', async () => {
    const doctor = await approvedDoctor(t);
    const start = hourFromNow(t, 3);
    // Ten requests, each a 30-minute slot shifted by 5 minutes: at most every sixth can coexist.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => post(doctor, { slots: [range(plus(start, i * 5 * MINUTE), 30)] })),
    );
    // 201 for each request that created its slot, 200 for each that found it overlapping.
    for (const r of results) expect(r.status).toBe(r.body.created.length ? 201 : 200);
    const stored = await storedFor(doctor.user.id);
    for (let i = 1; i < stored.length; i++) {
      expect(stored[i]!.startsAt.getTime()).toBeGreaterThanOrEqual(stored[i - 1]!.endsAt.getTime());
    }
    const created = results.reduce((n, r) => n + r.body.created.length, 0);
    expect(created).toBe(stored.length);
    expect(created).toBeGreaterThanOrEqual(1);
    expect(created).toBeLessThanOrEqual(2);
    const user = await t.container.usersRepo.findById(doctor.user.id);
    expect(user?.scheduleRevision).toBe(10);
    const me = await t.call('GET', '/api/v1/me', { token: doctor.accessToken });
    expect(JSON.stringify(me.body)).not.toContain('scheduleRevision');
  });
});

describe('publishing a weekly schedule', () => {
  test("09:00 in the doctor's London time zone is 09:00Z in winter and 08:00Z in summer", async () => {
    const doctor = await approvedDoctor(t, { timezone: 'Europe/London' });
    // Mondays and Fridays from Friday 2030-03-22 to Monday 2030-04-01: the UK changes clocks on 2030-03-31.
    const res = await post(doctor, {
      schedule: {
        from: '2030-03-22',
        to: '2030-04-01',
        weekdays: [1, 5],
        start: '09:00',
        end: '10:00',
        slotMinutes: 30,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.skipped).toEqual([]);
    expect(res.body.created.map((s: { startsAt: string }) => s.startsAt)).toEqual([
      '2030-03-22T09:00:00.000Z',
      '2030-03-22T09:30:00.000Z',
      '2030-03-25T09:00:00.000Z',
      '2030-03-25T09:30:00.000Z',
      '2030-03-29T09:00:00.000Z',
      '2030-03-29T09:30:00.000Z',
      '2030-04-01T08:00:00.000Z',
      '2030-04-01T08:30:00.000Z',
    ]);
    const stored = await storedFor(doctor.user.id);
    expect(stored.map((s) => s.startsAt.toISOString())).toEqual(
      res.body.created.map((s: { startsAt: string }) => s.startsAt),
    );
  });

  test('a time zone in the schedule wins over the profile; breaks; a skipped DST gap', async () => {
    const doctor = await approvedDoctor(t, { timezone: 'Asia/Kolkata' });
    const res = await post(doctor, {
      schedule: {
        from: '2029-12-31',
        to: '2030-03-31',
        weekdays: [7],
        start: '00:30',
        end: '02:30',
        slotMinutes: 45,
        breakMinutes: 15,
        timezone: 'Europe/London',
      },
    });
    expect(res.status).toBe(201);
    // 2030-03-31 is a Sunday when 01:00-02:00 London does not exist: 01:30 is a DST gap.
    const lastDay = res.body.created.filter((s: { startsAt: string }) => s.startsAt.startsWith('2030-03-3'));
    expect(lastDay.map((s: { startsAt: string }) => s.startsAt)).toEqual(['2030-03-31T00:30:00.000Z']);
    expect(res.body.skipped).toEqual([
      { startsAt: '2030-03-31T01:30:00.000Z', endsAt: '2030-03-31T02:15:00.000Z', reason: 'DST_GAP' },
    ]);
    // Sundays in January, a winter date: 00:30 and 01:30 UTC.
    expect(res.body.created.slice(0, 2).map((s: { startsAt: string }) => s.startsAt)).toEqual([
      '2030-01-06T00:30:00.000Z',
      '2030-01-06T01:30:00.000Z',
    ]);
  });

  test("today's slots that already started are skipped as IN_PAST", async () => {
    const doctor = await approvedDoctor(t, { timezone: 'UTC' });
    // The clock says Tuesday 2030-01-01 10:00Z.
    const res = await post(doctor, {
      schedule: {
        from: '2030-01-01',
        to: '2030-01-01',
        weekdays: [2],
        start: '09:00',
        end: '11:00',
        slotMinutes: 30,
      },
    });
    expect(res.body.created.map((s: { startsAt: string }) => s.startsAt)).toEqual([
      '2030-01-01T10:30:00.000Z',
    ]);
    expect(res.body.skipped.map((s: { startsAt: string; reason: string }) => [s.startsAt, s.reason])).toEqual(
      [
        ['2030-01-01T09:00:00.000Z', 'IN_PAST'],
        ['2030-01-01T09:30:00.000Z', 'IN_PAST'],
        ['2030-01-01T10:00:00.000Z', 'IN_PAST'],
      ],
    );
  });
});

describe('listing slots', () => {
  test('the public list shows only bookable slots of an approved doctor, ascending, in pages', async () => {
    const doctor = await approvedDoctor(t);
    const [patient] = await patients(t, 1);
    const ids = await publishSlots(t, doctor, hourFromNow(t, 1), 5);
    await hold(t, patient!, ids[1]!);

    const first = await t.call('GET', `/api/v1/doctors/${doctor.user.id}/slots?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((s: { id: string }) => s.id)).toEqual([ids[0], ids[2]]);
    expect(Object.keys(first.body.items[0]).sort()).toEqual(['doctorId', 'endsAt', 'id', 'startsAt']);
    const second = await t.call(
      'GET',
      `/api/v1/doctors/${doctor.user.id}/slots?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect(second.body.items.map((s: { id: string }) => s.id)).toEqual([ids[3], ids[4]]);
    expect(second.body.nextCursor).toBeNull();

    const stored = await storedSlot(t, ids[2]!);
    const windowed = await t.call(
      'GET',
      `/api/v1/doctors/${doctor.user.id}/slots?from=${iso(stored.startsAt)}&to=${iso(plus(stored.startsAt, HOUR))}`,
    );
    expect(windowed.body.items.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[3]]);
  });

  test("calendar dates are whole days in the doctor's time zone: from its start, to the end of the to day", async () => {
    // Asia/Kolkata is UTC+05:30: 5 January there runs from 2030-01-04T18:30Z to 2030-01-05T18:30Z.
    const doctor = await approvedDoctor(t, { timezone: 'Asia/Kolkata' });
    const at = (instant: string) => range(new Date(instant), 30);
    const created = await post(doctor, {
      slots: [
        at('2030-01-04T18:00:00Z'), // 23:30 on the 4th, local
        at('2030-01-04T18:30:00Z'), // 00:00 on the 5th
        at('2030-01-05T18:00:00Z'), // 23:30 on the 5th
        at('2030-01-05T18:30:00Z'), // 00:00 on the 6th
      ],
    });
    expect(created.status).toBe(201);
    const ids = created.body.created.map((slot: { id: string }) => slot.id);
    const listed = async (path: string, token?: string) => {
      const res = await t.call('GET', path, token ? { token } : {});
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      return res.body.items.map((slot: { id: string }) => slot.id);
    };
    const pub = `/api/v1/doctors/${doctor.user.id}/slots`;
    expect(await listed(`${pub}?from=2030-01-05&to=2030-01-05`)).toEqual([ids[1], ids[2]]);
    expect(await listed(`${pub}?from=2030-01-05&to=2030-01-06`)).toEqual([ids[1], ids[2], ids[3]]);
    expect(await listed(`${pub}?from=2030-01-05`)).toEqual([ids[1], ids[2], ids[3]]);
    expect(await listed(`${pub}?from=2030-01-04&to=2030-01-05T18:00:00Z`)).toEqual([ids[0], ids[1]]);
    expect(await listed(`${pub}?to=2030-01-04`)).toEqual([ids[0]]);
    const own = '/api/v1/doctors/me/slots';
    expect(await listed(`${own}?from=2030-01-05&to=2030-01-05`, doctor.accessToken)).toEqual([
      ids[1],
      ids[2],
    ]);

    // The same dates for a doctor in London (UTC in winter) are UTC days.
    const london = await approvedDoctor(t, { timezone: 'Europe/London' });
    const londonSlots = await post(london, {
      slots: [at('2030-01-04T23:30:00Z'), at('2030-01-05T00:00:00Z'), at('2030-01-05T23:30:00Z')],
    });
    const londonIds = londonSlots.body.created.map((slot: { id: string }) => slot.id);
    expect(await listed(`/api/v1/doctors/${london.user.id}/slots?from=2030-01-05&to=2030-01-05`)).toEqual([
      londonIds[1],
      londonIds[2],
    ]);
  });

  test('a doctor sees their own slots with their effective state and can filter by it', async () => {
    const doctor = await approvedDoctor(t);
    const [patient] = await patients(t, 1);
    const ids = await publishSlots(t, doctor, hourFromNow(t, 1), 3);
    const held = await hold(t, patient!, ids[0]!);
    const all = await t.call('GET', '/api/v1/doctors/me/slots', { token: doctor.accessToken });
    expect(all.status).toBe(200);
    expect(all.body.items.map((s: { status: string }) => s.status)).toEqual(['held', 'open', 'open']);
    expect(all.body.items[0]).toMatchObject({
      appointmentId: held.body.appointment.id,
      holdExpiresAt: held.body.appointment.holdExpiresAt,
    });
    const open = await t.call('GET', '/api/v1/doctors/me/slots?status=open', { token: doctor.accessToken });
    expect(open.body.items.map((s: { id: string }) => s.id)).toEqual([ids[1], ids[2]]);

    // Once the hold lapses the slot is open in effect, before any sweeper.
    const saved = t.clock.now();
    t.clock.advance(901_000);
    const lapsed = await t.call('GET', '/api/v1/doctors/me/slots?status=held', { token: doctor.accessToken });
    expect(lapsed.body.items).toEqual([]);
    const openNow = await t.call('GET', '/api/v1/doctors/me/slots?status=open', {
      token: doctor.accessToken,
    });
    expect(openNow.body.items.map((s: { id: string }) => s.id)).toEqual(ids);
    t.clock.set(saved);
  });

  test('bad ranges, dates, cursors, limits and ids are 422; unknown or unapproved doctors 404', async () => {
    const doctor = await approvedDoctor(t);
    const pending = await createUser(t, { role: 'doctor' });
    const now = t.clock.now();
    const base = `/api/v1/doctors/${doctor.user.id}/slots`;
    for (const query of [
      `from=${iso(now)}&to=${iso(now)}`,
      `from=${iso(plus(now, DAY))}&to=${iso(now)}`,
      `from=${iso(now)}&to=${iso(plus(now, 92 * DAY))}`,
      'from=yesterday',
      'to=2030-13-45T00:00:00Z',
      `from=${iso(now).slice(0, 4)}-02-30T00:00:00Z`,
      `from=${iso(now).slice(0, 4)}-02-30`,
      'to=2030-1-5',
      'from=2030-01-05&to=2030-01-04',
      'cursor=%%%',
      'cursor=eyJzIjoic3RhcnRzQXQ6MSJ9',
      'limit=501',
      'limit=zero',
    ]) {
      const res = await t.call('GET', `${base}?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 422 });
    }
    expect((await t.call('GET', '/api/v1/doctors/not-a-uuid/slots')).status).toBe(422);
    expect((await t.call('GET', `/api/v1/doctors/${Bun.randomUUIDv7()}/slots`)).status).toBe(404);
    const unapproved = await t.call('GET', `/api/v1/doctors/${pending.user.id}/slots`);
    expect(unapproved.status).toBe(404);
    expect(unapproved.body.error.code).toBe('DOCTOR_NOT_FOUND');
    const own = await t.call('GET', '/api/v1/doctors/me/slots?status=gone', { token: doctor.accessToken });
    expect(own.status).toBe(422);
  });
});

describe('deleting a slot', () => {
  test('open -> 204 and gone; held or booked -> 409 and kept; another doctor -> 404', async () => {
    const doctor = await approvedDoctor(t);
    const other = await approvedDoctor(t);
    const [patient] = await patients(t, 1);
    const [open, held, booked] = await publishSlots(t, doctor, hourFromNow(t, 1), 3);
    await hold(t, patient!, held!);
    await t.container.store.collection(Slots).updateOne({ _id: booked! }, { $set: { status: 'booked' } });

    const byOther = await t.call('DELETE', `/api/v1/doctors/me/slots/${open}`, { token: other.accessToken });
    expect(byOther.status).toBe(404);
    expect(byOther.body.error.code).toBe('SLOT_NOT_FOUND');
    await storedSlot(t, open!);

    const res = await t.call('DELETE', `/api/v1/doctors/me/slots/${open}`, { token: doctor.accessToken });
    expect(res.status).toBe(204);
    expect(await t.container.store.collection(Slots).findById(open!)).toBeNull();

    for (const [id, status] of [
      [held!, 'held'],
      [booked!, 'booked'],
    ] as const) {
      const refused = await t.call('DELETE', `/api/v1/doctors/me/slots/${id}`, { token: doctor.accessToken });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: 'SLOT_NOT_FREE', details: { status } });
      expect((await storedSlot(t, id)).status).toBe(status);
    }
    expect(
      (await t.call('DELETE', `/api/v1/doctors/me/slots/${open}`, { token: doctor.accessToken })).status,
    ).toBe(404);
    expect(
      (await t.call('DELETE', '/api/v1/doctors/me/slots/nope', { token: doctor.accessToken })).status,
    ).toBe(422);
  });
});
