import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const issuesOf = (body: { error: { details: { issues: { path: string; message: string }[] } } }) =>
  body.error.details.issues;

describe('validation messages say what a field must be, never what was sent', () => {
  test('an enum names the values it allows, once per field', async () => {
    const res = await t.call('POST', '/api/v1/auth/signup', {
      body: { name: 'Asha', email: randomEmail(), password: 'long enough 1', role: 'nurse' },
    });
    expect(res.status).toBe(422);
    expect(issuesOf(res.body)).toEqual([{ path: 'role', message: 'must be one of: patient, doctor' }]);
  });

  test('a password of the wrong type is not echoed back', async () => {
    const secret = 'my-secret-password-42';
    const res = await t.call('POST', '/api/v1/auth/login', {
      body: { email: randomEmail(), password: [secret, 'x'] },
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body)).not.toContain(secret);
    expect(issuesOf(res.body)).toEqual([{ path: 'password', message: 'Expected string' }]);
  });

  test('text and email rules explain themselves instead of naming an internal format', async () => {
    const res = await t.call('POST', '/api/v1/auth/signup', {
      body: { name: 'Dr \u202eevil', email: 'asha@', password: 'long enough 1', role: 'patient' },
    });
    expect(res.status).toBe(422);
    const issues = issuesOf(res.body);
    expect(issues.map((issue) => issue.path)).toEqual(['name', 'email']);
    for (const issue of issues) expect(issue.message).not.toMatch(/single-line-text|email-address|should be/);
    expect(issues[0]!.message).toContain('bidirectional');
  });
});

describe('bearer tokens are read in exactly one spelling', () => {
  test('a padded signature (valid base64, not base64url) is INVALID_TOKEN', async () => {
    const user = await createUser(t, { role: 'patient' });
    expect((await t.call('GET', '/api/v1/me', { token: user.accessToken })).status).toBe(200);
    for (const token of [`${user.accessToken}=`, `${user.accessToken}==`, `${user.accessToken}.`]) {
      const res = await t.call('GET', '/api/v1/me', { token });
      expect([res.status, res.body.error.code]).toEqual([401, 'INVALID_TOKEN']);
    }
  });

  test('a signature whose last character differs only in its unused bits is INVALID_TOKEN', async () => {
    const user = await createUser(t, { role: 'patient' });
    const { accessToken } = user;
    expect((await t.call('GET', '/api/v1/me', { token: accessToken })).status).toBe(200);
    // 32 bytes are 43 base64url characters; the last one's two low bits carry nothing, so three other
    // characters decode to the same signature. Each is another spelling of the token, and refused.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(accessToken.at(-1)!);
    const spellings = [1, 2, 3].map((bits) => `${accessToken.slice(0, -1)}${alphabet[last ^ bits]}`);
    for (const token of spellings) {
      expect(Buffer.from(token.split('.')[2]!, 'base64url')).toEqual(
        Buffer.from(accessToken.split('.')[2]!, 'base64url'),
      );
      const res = await t.call('GET', '/api/v1/me', { token });
      expect([res.status, res.body.error.code]).toEqual([401, 'INVALID_TOKEN']);
    }
    expect((await t.call('GET', '/api/v1/me', { token: accessToken })).status).toBe(200);
  });
});
