import { afterAll, beforeAll, expect, test } from 'bun:test';
import { Otps, RefreshTokens } from '../../src/modules/auth/auth.model.ts';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, type TestApp, waitForLine } from '../support/app.ts';
import { createUser, latestCode } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ LOG_LEVEL: 'debug' });
});
afterAll(() => t.close());

test('no password, hash, code or token appears in any log line', async () => {
  const secrets: string[] = [];
  const doctor = await createUser(t, { role: 'doctor', approved: true, password: 'doctor secret pw 1' });
  secrets.push(doctor.password, doctor.accessToken, doctor.refreshToken);
  secrets.push(await latestCode(t, doctor.email, 'verification'));

  const login = await t.call('POST', '/api/v1/auth/login', {
    body: { email: doctor.email, password: 'wrong secret pw 2' },
  });
  expect(login.status).toBe(401);
  secrets.push('wrong secret pw 2');

  const rotated = await t.call('POST', '/api/v1/auth/refresh', {
    body: { refreshToken: doctor.refreshToken },
  });
  secrets.push(rotated.body.accessToken, rotated.body.refreshToken);
  await t.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: doctor.refreshToken } });

  await t.call('POST', '/api/v1/auth/password/forgot', { body: { email: doctor.email } });
  const resetCode = await latestCode(t, doctor.email, 'password reset');
  secrets.push(resetCode);
  await t.call('POST', '/api/v1/auth/password/reset', {
    body: { email: doctor.email, code: resetCode, newPassword: 'new doctor secret 3' },
  });
  secrets.push('new doctor secret 3');

  const stored = (await t.container.store.collection(Users).findById(doctor.user.id))!;
  secrets.push(stored.passwordHash);
  for (const otp of await t.container.store.collection(Otps).findAll({ email: doctor.email })) {
    if (otp.codeHash) secrets.push(otp.codeHash);
  }
  for (const token of await t.container.store.collection(RefreshTokens).findAll({ userId: doctor.user.id })) {
    secrets.push(token._id);
  }

  await waitForLine(t.logger.lines, (line) => line.route === '/api/v1/auth/password/reset');
  const logged = t.logger.lines.map((line) => JSON.stringify(line)).join('\n');
  expect(t.logger.lines.length).toBeGreaterThan(10);
  expect(logged).toContain('account created');
  for (const secret of secrets) expect(logged).not.toContain(secret);
  expect(logged).not.toMatch(/argon2|hvrt_|eyJ/);
});
