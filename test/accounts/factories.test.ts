import { afterAll, beforeAll, expect, test } from 'bun:test';
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
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 50 }, () => createUser(t, { role: 'patient' })));
  expect(performance.now() - t0).toBeGreaterThan(0);
});
