import { afterAll, beforeAll, expect, test } from 'bun:test';
import { Users } from '../../src/modules/users/users.model.ts';
import type { TestApp } from '../support/app.ts';
import { buildBookingApp } from '../support/booking.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';

let t: TestApp;
let cardio: CreatedUser[];
let derma: CreatedUser;
let pending: CreatedUser;
let rejected: CreatedUser;
beforeAll(async () => {
  t = await buildBookingApp();
  cardio = await Promise.all(
    ['Asha Rao', 'Bilal Khan', 'Chitra Iyer', 'Dev Raman', 'Esha Raman'].map((name) =>
      createUser(t, {
        role: 'doctor',
        approved: true,
        name,
        doctor: { specialty: 'Cardiology', consultationFeePaise: 80_000 },
      }),
    ),
  );
  derma = await createUser(t, {
    role: 'doctor',
    approved: true,
    name: 'Farah Ramanathan',
    doctor: { specialty: 'Dermatology', timezone: 'Europe/London' },
  });
  pending = await createUser(t, {
    role: 'doctor',
    name: 'Gita Pending',
    doctor: { specialty: 'Cardiology' },
  });
  rejected = await createUser(t, {
    role: 'doctor',
    name: 'Hari Rejected',
    doctor: { specialty: 'Cardiology' },
  });
  const admin = await createUser(t, { role: 'admin' });
  const res = await t.call('POST', `/api/v1/admin/doctors/${rejected.user.id}/reject`, {
    token: admin.accessToken,
  });
  expect(res.status).toBe(200);
});
afterAll(() => t.close());

const names = (res: { body: { items: { name: string }[] } }) => res.body.items.map((d) => d.name);

test('only approved doctors are listed, by name, with their public profile only', async () => {
  const res = await t.call('GET', '/api/v1/doctors');
  expect(res.status).toBe(200);
  expect(names(res)).toEqual([
    'Asha Rao',
    'Bilal Khan',
    'Chitra Iyer',
    'Dev Raman',
    'Esha Raman',
    'Farah Ramanathan',
  ]);
  expect(res.body.items[5]).toEqual({
    id: derma.user.id,
    name: 'Farah Ramanathan',
    specialty: 'Dermatology',
    consultationFeePaise: 50_000,
    timezone: 'Europe/London',
  });
  expect(JSON.stringify(res.body)).not.toContain('@example.test');
  expect(JSON.stringify(res.body)).not.toContain('REG-');
});

test('empty query parameters from a URL template mean "not given"', async () => {
  const res = await t.call('GET', '/api/v1/doctors?specialty=&q=&limit=&cursor=');
  expect(res.status).toBe(200);
  expect(names(res)).toEqual(names(await t.call('GET', '/api/v1/doctors')));
  expect(res.body.items).toHaveLength(6);
  const filtered = await t.call('GET', '/api/v1/doctors?specialty=Dermatology&q=&limit=');
  expect(names(filtered)).toEqual(['Farah Ramanathan']);
});

test('specialty filter and a case-insensitive name search, paginated', async () => {
  const byspecialty = await t.call('GET', '/api/v1/doctors?specialty=Dermatology');
  expect(names(byspecialty)).toEqual(['Farah Ramanathan']);

  const first = await t.call('GET', '/api/v1/doctors?q=RAMAN&limit=2');
  expect(names(first)).toEqual(['Dev Raman', 'Esha Raman']);
  const second = await t.call(
    'GET',
    `/api/v1/doctors?q=RAMAN&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
  );
  expect(names(second)).toEqual(['Farah Ramanathan']);
  expect(second.body.nextCursor).toBeNull();

  const cardioRaman = await t.call('GET', '/api/v1/doctors?q=raman&specialty=Cardiology');
  expect(names(cardioRaman)).toEqual(['Dev Raman', 'Esha Raman']);

  const paged = await t.call('GET', '/api/v1/doctors?specialty=Cardiology&limit=3');
  const rest = await t.call(
    'GET',
    `/api/v1/doctors?specialty=Cardiology&limit=3&cursor=${encodeURIComponent(paged.body.nextCursor)}`,
  );
  expect([...names(paged), ...names(rest)]).toEqual([
    'Asha Rao',
    'Bilal Khan',
    'Chitra Iyer',
    'Dev Raman',
    'Esha Raman',
  ]);
  expect((await t.call('GET', '/api/v1/doctors?q=nobody')).body).toEqual({ items: [], nextCursor: null });
});

test('bad cursors and limits are 422', async () => {
  for (const query of [
    'cursor=not*base64',
    'cursor=eyJzIjoibmFtZToxIn0',
    'limit=101',
    'limit=0',
    'limit=x',
  ]) {
    const res = await t.call('GET', `/api/v1/doctors?${query}`);
    expect({ query, status: res.status }).toEqual({ query, status: 422 });
  }
});

test('a public profile for an approved doctor; 404 for pending, rejected, patients and unknown ids; 422 for junk', async () => {
  const res = await t.call('GET', `/api/v1/doctors/${cardio[0]!.user.id}`);
  expect(res.status).toBe(200);
  expect(res.body.doctor).toEqual({
    id: cardio[0]!.user.id,
    name: 'Asha Rao',
    specialty: 'Cardiology',
    consultationFeePaise: 80_000,
    timezone: 'Asia/Kolkata',
  });
  const patient = await createUser(t, { role: 'patient' });
  for (const id of [pending.user.id, rejected.user.id, patient.user.id, Bun.randomUUIDv7()]) {
    const missing = await t.call('GET', `/api/v1/doctors/${id}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('DOCTOR_NOT_FOUND');
  }
  expect((await t.call('GET', '/api/v1/doctors/12345')).status).toBe(422);
});

test('the name search walks past many non-matching doctors and pages through the matches', async () => {
  const now = t.clock.now();
  const many = Array.from({ length: 450 }, (_, i) => ({
    email: `bulk-${i}-${crypto.randomUUID().slice(0, 6)}@example.test`,
    name: `Zed ${String(i).padStart(3, '0')} ${i % 100 === 7 ? 'Needle' : 'Hay'}`,
    role: 'doctor' as const,
    passwordHash: 'x',
    emailVerified: true,
    doctor: {
      specialty: 'Bulk',
      registrationNumber: `REG-${i}`,
      consultationFeePaise: 1,
      timezone: 'UTC',
      approvalStatus: 'approved' as const,
    },
    createdAt: now,
    updatedAt: now,
  }));
  await t.container.store.collection(Users).insertMany(many);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `/api/v1/doctors?q=needle&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await t.call('GET', query);
    expect(res.status).toBe(200);
    seen.push(...names(res));
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(seen).toEqual([
    'Zed 007 Needle',
    'Zed 107 Needle',
    'Zed 207 Needle',
    'Zed 307 Needle',
    'Zed 407 Needle',
  ]);
});
