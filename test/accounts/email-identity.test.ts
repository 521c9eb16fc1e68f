import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Users } from '../../src/modules/users/users.model.ts';
import { checkEmailAddress, normalizeEmail } from '../../src/shared/email-address.ts';
import { buildTestApp, type CallResult, type TestApp } from '../support/app.ts';
import { latestCode, nextClientIp } from '../support/factories.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const tag = () => crypto.randomUUID().slice(0, 8);
/** ASCII letters as their full-width forms (U+FF01-U+FF5E). */
const fullWidth = (text: string): string =>
  [...text].map((ch) => (/[!-~]/.test(ch) ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch)).join('');
const post = (path: string, body: unknown) =>
  t.call('POST', `/api/v1${path}`, { body, headers: { 'x-forwarded-for': nextClientIp() } });
const signup = (email: string, password = 'correct horse battery') =>
  post('/auth/signup', { name: 'Asha Rao', email, password, role: 'patient' });
const usersWith = (email: string) => t.container.store.collection(Users).findAll({ email });
const allUsersCount = () => t.container.store.collection(Users).count({});

function expectEmailRefused(res: CallResult, label: string): void {
  expect({ label, status: res.status, code: res.body?.error?.code }).toEqual({
    label,
    status: 422,
    code: 'VALIDATION_FAILED',
  });
  expect(res.body.error.details.issues.map((issue: { path: string }) => issue.path)).toContain('email');
}

describe('one address, one account', () => {
  test('a full-width domain is the same account as its ASCII form: stored once, found by either', async () => {
    const local = `asha.${tag()}`;
    const typed = `${local.toUpperCase()}@${fullWidth('example')}.com`;
    const res = await signup(typed);
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(`${local}@example.com`);
    expect((await usersWith(`${local}@example.com`)).length).toBe(1);

    const again = await signup(`${local}@example.com`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EMAIL_TAKEN');

    // The code goes to the one address; verifying and signing in through another spelling finds it.
    const code = await latestCode(t, `${local}@example.com`, 'verification');
    const verified = await post('/auth/otp/verify', { email: `${local}@EXAMPLE.com`, code });
    expect(verified.status).toBe(200);
    expect(verified.body.user.id).toBe(res.body.user.id);
    const login = await post('/auth/login', { email: typed, password: 'correct horse battery' });
    expect(login.status).toBe(200);
    expect(login.body.user.id).toBe(res.body.user.id);
  });

  test('forgot and reset through a full-width domain reach the same account', async () => {
    const email = `ravi.${tag()}@example.com`;
    expect((await signup(email)).status).toBe(201);
    const spelled = `ravi${email.slice(4, email.indexOf('@'))}@${fullWidth('EXAMPLE')}.com`;
    expect((await post('/auth/password/forgot', { email: spelled })).status).toBe(202);
    const code = await latestCode(t, email, 'reset');
    const reset = await post('/auth/password/reset', {
      email: spelled,
      code,
      newPassword: 'a new password 2',
    });
    expect(reset.status).toBe(204);
    const login = await post('/auth/login', { email, password: 'a new password 2' });
    expect(login.status).toBe(200);
  });

  test('a Unicode domain is stored in its IDNA (xn--) form; any case of it is the same account', async () => {
    const local = `zoe.${tag()}`;
    const res = await signup(`${local}@München.example`);
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe(`${local}@xn--mnchen-3ya.example`);
    for (const spelling of [`${local}@MÜNCHEN.example`, `${local}@xn--mnchen-3ya.example`]) {
      const again = await signup(spelling);
      expect({ spelling, code: again.body.error?.code }).toEqual({ spelling, code: 'EMAIL_TAKEN' });
    }
  });

  test('a look-alike domain (Cyrillic а) is another domain, so another account, and says so', async () => {
    const local = `asha.${tag()}`;
    expect((await signup(`${local}@example.com`)).status).toBe(201);
    const res = await signup(`${local}@ex\u0430mple.com`);
    expect(res.status).toBe(201);
    expect(res.body.user.email).toStartWith(`${local}@xn--`);
  });
});

describe('local parts that mail cannot be delivered to are refused', () => {
  test.each([
    ['a full-width local part', () => `${fullWidth('asha')}.${tag()}@example.com`],
    ['one full-width letter', () => `${tag()}\uff41@example.com`],
    ['a ligature', () => `\ufb01nance.${tag()}@example.com`],
    ['a dotted capital I (no single lower-case form)', () => `\u0130nci.${tag()}@example.com`],
    ['65 octets before the @', () => `${'a'.repeat(65)}@example.com`],
    ['33 two-octet letters (66 octets) before the @', () => `${'é'.repeat(33)}@example.com`],
    ['a quote', () => `"asha".${tag()}@example.com`],
    ['two @', () => `asha@${tag()}@example.com`],
    ['no domain', () => `asha.${tag()}@`],
    ['a domain without a dot', () => `asha.${tag()}@localhost`],
    ['an IP address', () => `asha.${tag()}@192.168.0.1`],
    ['an address literal', () => `asha.${tag()}@[192.168.0.1]`],
    ['an underscore in the domain', () => `asha.${tag()}@exa_mple.com`],
    ['a label starting with a hyphen', () => `asha.${tag()}@-example.com`],
    ['an invalid punycode label', () => `asha.${tag()}@xn--zz.com`],
    ['a full-width at sign', () => `asha.${tag()}\uff20example.com`],
  ])('%s -> 422 on signup, nothing stored; and 422 on login, resend and forgot', async (label, make) => {
    const email = make();
    const before = await allUsersCount();
    expectEmailRefused(await signup(email), label);
    expect(await allUsersCount()).toBe(before);
    for (const [path, body] of [
      ['/auth/login', { email, password: 'correct horse battery' }],
      ['/auth/otp/resend', { email }],
      ['/auth/password/forgot', { email }],
    ] as const) {
      expectEmailRefused(await post(path, body), `${label} ${path}`);
    }
  });

  test('64 octets, UTF-8 local parts in NFKC form and plus addressing still pass; ASCII is lower-cased', async () => {
    for (const typed of [
      `${'a'.repeat(56)}${tag()}@example.com`,
      `${'é'.repeat(28)}${tag()}@example.com`,
      `Zoë.${tag()}@example.com`,
      `ASHA+Clinic.${tag()}@Example.COM`,
    ]) {
      const res = await signup(typed);
      expect({ typed, status: res.status }).toEqual({ typed, status: 201 });
      expect(res.body.user.email).toBe(typed.toLowerCase());
      expect((await usersWith(typed.toLowerCase())).length).toBe(1);
    }
  });
});

describe('ADMIN_EMAIL follows the same rule (its config errors: test/config/accounts.test.ts)', () => {
  test('the bootstrap admin is stored under the normalized address, and found by it', async () => {
    const local = `admin.${tag()}`;
    const app = await buildTestApp({
      ADMIN_EMAIL: `${local.toUpperCase()}@${fullWidth('example')}.org`,
      ADMIN_PASSWORD: 'admin password 1',
    });
    try {
      const [admin] = await app.container.store.collection(Users).findAll({ role: 'admin' });
      expect(admin?.email).toBe(`${local}@example.org`);
      const login = await app.call('POST', '/api/v1/auth/login', {
        body: { email: `${local}@example.org`, password: 'admin password 1' },
        headers: { 'x-forwarded-for': nextClientIp() },
      });
      expect(login.status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('checkEmailAddress', () => {
  test.each([
    ['Asha@Example.COM', 'asha@example.com'],
    ['asha@ｅｘａｍｐｌｅ．ｃｏｍ', 'asha@example.com'],
    ['asha@faß.de', 'asha@xn--fa-hia.de'],
    ['a..b@docomo.ne.jp', 'a..b@docomo.ne.jp'],
    ['ÄRZTE@example.de', 'ärzte@example.de'],
  ])('%s is the account %s', (input, address) => {
    expect(checkEmailAddress(input)).toEqual({ ok: true, address });
    expect(normalizeEmail(input)).toBe(address);
  });

  test.each([
    ['ａsha@example.com', 'has full-width or other compatibility characters before the @'],
    ['İ@example.com', 'has a character before the @ with no single lower-case form (such as İ)'],
    [`${'a'.repeat(65)}@example.com`, 'has a local part longer than 64 octets'],
    ['asha@example.123', 'has no valid domain after the @'],
    ['asha\u200b@example.com', 'has spaces, control or invisible characters'],
    [
      `asha@${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
      'is longer than 254 octets',
    ],
  ])('%s %s', (input, problem) => {
    expect(checkEmailAddress(input)).toEqual({ ok: false, problem });
  });
});
