import { afterAll, beforeAll, expect, test } from 'bun:test';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

test('factories make signed-in patients, approved doctors and admins through the real flows', async () => {
  const p = await createUser(t, { role: 'patient' });
  expect(p.user.role).toBe('patient');
  const me = await t.call('GET', '/api/v1/me', { token: p.accessToken });
  expect(me.status).toBe(200);
  const d = await createUser(t, { role: 'doctor', approved: true });
  expect(d.user.doctor?.approvalStatus).toBe('approved');
  const a = await createUser(t, { role: 'admin' });
  const list = await t.call('GET', '/api/v1/admin/doctors?status=approved', { token: a.accessToken });
  expect(list.status).toBe(200);
  expect(list.body.items.length).toBe(1);
  const forbidden = await t.call('GET', '/api/v1/admin/doctors', { token: p.accessToken });
  expect(forbidden.status).toBe(403);
});

test('50 patients made at once are 50 distinct verified accounts, each signed in as itself', async () => {
  const made = await Promise.all(Array.from({ length: 50 }, () => createUser(t, { role: 'patient' })));
  expect(new Set(made.map((m) => m.user.id)).size).toBe(50);
  expect(new Set(made.map((m) => m.email)).size).toBe(50);
  const stored = await t.container.store
    .collection(Users)
    .findAll({ _id: { $in: made.map((m) => m.user.id) } });
  expect(stored.map((u) => [u.email, u.role, u.emailVerified]).sort()).toEqual(
    made.map((m) => [m.email, 'patient', true]).sort(),
  );
  const mine = await Promise.all(made.map((m) => t.call('GET', '/api/v1/me', { token: m.accessToken })));
  expect(mine.map((res) => [res.status, res.body.user.id])).toEqual(made.map((m) => [200, m.user.id]));
});
