import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SqliteEngine } from '../../src/db/sqlite/engine.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import type { TestApp } from '../support/app.ts';
import { buildBookingApp } from '../support/booking.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';
import { recordStatements } from '../support/statements.ts';

let t: TestApp;
let cardio: CreatedUser[];
let neuro: CreatedUser;
beforeAll(async () => {
  t = await buildBookingApp();
  const doctor = (name: string, specialty: string, approved = true) =>
    createUser(t, { role: 'doctor', approved, name, doctor: { specialty } });
  cardio = await Promise.all([
    doctor('Asha Rao', 'Cardiology'),
    doctor('Bilal Khan', 'cardiology'),
    doctor('Chitra Iyer', 'Cardiology'),
  ]);
  neuro = await doctor('Dev Raman', 'Neurology');
  await doctor('Esha Pending', 'Dermatology', false);
  await doctor('Farah Shah', 'ENT');
});
afterAll(() => t.close());

const names = (res: { body: { items: { name: string }[] } }) => res.body.items.map((d) => d.name);

describe('GET /doctors?specialty= matches any case', () => {
  test('cardiology, CARDIOLOGY and Cardiology find the same doctors, written either way', async () => {
    for (const specialty of ['cardiology', 'CARDIOLOGY', 'Cardiology', ' cardiology ']) {
      const res = await t.call('GET', `/api/v1/doctors?specialty=${encodeURIComponent(specialty)}`);
      expect({ specialty, names: names(res) }).toEqual({
        specialty,
        names: ['Asha Rao', 'Bilal Khan', 'Chitra Iyer'],
      });
    }
    const bilal = (await t.call('GET', '/api/v1/doctors?specialty=CARDIOLOGY')).body.items[1];
    // Each doctor keeps their own spelling; the key is never shown.
    expect(bilal).toEqual({
      id: cardio[1]!.user.id,
      name: 'Bilal Khan',
      specialty: 'cardiology',
      consultationFeePaise: 50_000,
      timezone: 'Asia/Kolkata',
    });
    const me = await t.call('GET', '/api/v1/me', { token: cardio[1]!.accessToken });
    expect(JSON.stringify(me.body)).not.toContain('specialtyKey');
    expect((await t.container.usersRepo.findById(cardio[1]!.user.id))?.doctor?.specialtyKey).toBe(
      'cardiology',
    );
  });

  test('the filter is served by the users index on the specialty key', async () => {
    // A store of its own: the engine prepares each statement shape once, and the tests above ran this one.
    const fresh = await buildBookingApp();
    const engine = fresh.container.store.engine;
    if (!(engine instanceof SqliteEngine)) throw new Error('SQLite only');
    const { statements: seen, restore } = recordStatements(engine.db);
    try {
      await fresh.call('GET', '/api/v1/doctors?specialty=neurology');
    } finally {
      restore();
    }
    const sql = seen.find((text) => /FROM "users"/.test(text) && text.includes('specialtyKey'));
    expect(sql).toBeDefined();
    const plan = engine.db
      .prepare<{ detail: string }, []>(`EXPLAIN QUERY PLAN ${sql}`)
      .all()
      .map((row) => row.detail)
      .join('\n');
    expect(plan).toMatch(
      /INDEX users__role__doctor_approvalStatus__doctor_specialtyKey \(<expr>=\? AND <expr>=\? AND <expr>=\?\)/,
    );
    await fresh.close();
  });

  test('a changed specialty is found under its new name at once, in any case', async () => {
    const doctor = await createUser(t, {
      role: 'doctor',
      approved: true,
      name: 'Gita Menon',
      doctor: { specialty: 'Oncology' },
    });
    const patch = await t.call('PATCH', '/api/v1/me', {
      token: doctor.accessToken,
      body: { specialty: 'Paediatrics' },
    });
    expect(patch.status).toBe(200);
    expect(names(await t.call('GET', '/api/v1/doctors?specialty=PAEDIATRICS'))).toEqual(['Gita Menon']);
    expect(names(await t.call('GET', '/api/v1/doctors?specialty=oncology'))).toEqual([]);
  });

  test('doctors stored before the key existed get it at boot (backfill)', async () => {
    const users = t.container.store.collection(Users);
    await users.updateOne({ _id: neuro.user.id }, { $unset: { 'doctor.specialtyKey': true } });
    expect(names(await t.call('GET', '/api/v1/doctors?specialty=neurology'))).toEqual([]);
    expect(await t.container.usersRepo.backfillSpecialtyKeys()).toBe(1);
    expect(names(await t.call('GET', '/api/v1/doctors?specialty=NEUROLOGY'))).toEqual(['Dev Raman']);
    expect(await t.container.usersRepo.backfillSpecialtyKeys()).toBe(0);
  });
});

describe('GET /specialties', () => {
  test('approved doctors only, by name, counts per specialty, case variants as one (the commonest spelling)', async () => {
    const res = await t.call('GET', '/api/v1/specialties');
    expect(res.status).toBe(200);
    const items = res.body.items as { specialty: string; count: number }[];
    // Other tests of this file add Paediatrics; pending Dermatology is never listed.
    expect(items.filter((item) => item.specialty !== 'Paediatrics')).toEqual([
      { specialty: 'Cardiology', count: 3 },
      { specialty: 'ENT', count: 1 },
      { specialty: 'Neurology', count: 1 },
    ]);
    expect(items.map((item) => item.specialty)).not.toContain('Dermatology');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  test('needs no sign-in and answers an empty list when no doctor is approved', async () => {
    const empty = await buildBookingApp();
    try {
      const res = await empty.call('GET', '/api/v1/specialties');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [] });
    } finally {
      await empty.close();
    }
  });
});
