import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash, createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import { RefreshTokens, Sessions } from '../../src/modules/auth/auth.model.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';

const SECRET = 'test-secret-that-is-long-enough-to-be-real-0123456789';
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ JWT_SECRET: SECRET });
});
afterAll(() => t.close());

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()),
    signature: signature!,
  };
};
const hmac = (alg: 'sha256' | 'sha512', input: string, secret = SECRET) =>
  createHmac(alg, secret).update(input).digest('base64url');
const hs256 = (header: unknown, payload: unknown, secret = SECRET) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${hmac('sha256', input, secret)}`;
};
const me = (token: string) => t.call('GET', '/api/v1/me', { token });
const refresh = (refreshToken: string) => t.call('POST', '/api/v1/auth/refresh', { body: { refreshToken } });

let patient: CreatedUser;
beforeAll(async () => {
  patient = await createUser(t, { role: 'patient' });
});

describe('access tokens', () => {
  test('are HS256 JWTs typed at+jwt carrying user id, role and session id, with iss/aud/exp', async () => {
    const { header, payload } = parts(patient.accessToken);
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: patient.user.id,
      role: 'patient',
      iss: 'healthvision',
      aud: 'healthvision-api',
    });
    expect(typeof payload.sid).toBe('string');
    expect(payload.exp - Math.floor(t.clock.now().getTime() / 1000)).toBeLessThanOrEqual(900);
    expect((await me(patient.accessToken)).status).toBe(200);
  });

  test('expire after 15 minutes by the clock -> 401 TOKEN_EXPIRED', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    t.clock.advance(14 * 60_000);
    expect((await me(fresh.accessToken)).status).toBe(200);
    t.clock.advance(60_000 + 1000);
    const res = await me(fresh.accessToken);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    // The refresh token still works and gives a new access token.
    const renewed = await refresh(fresh.refreshToken);
    expect(renewed.status).toBe(200);
    expect((await me(renewed.body.accessToken)).status).toBe(200);
  });

  describe('forged or altered tokens -> 401', () => {
    // The victim's claims with a fresh `exp`, so only the forgery itself is wrong.
    const claims = () => ({
      ...parts(patient.accessToken).payload,
      exp: Math.floor(t.clock.now().getTime() / 1000) + 600,
    });

    test('alg none', async () => {
      const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims())}.`;
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_TOKEN');
    });

    test('HS512 with the right secret', async () => {
      const input = `${b64({ alg: 'HS512', typ: 'at+jwt' })}.${b64(claims())}`;
      expect((await me(`${input}.${hmac('sha512', input)}`)).status).toBe(401);
    });

    test('RS256 signed by another key', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const input = `${b64({ alg: 'RS256', typ: 'at+jwt' })}.${b64(claims())}`;
      const signature = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
      expect((await me(`${input}.${signature}`)).status).toBe(401);
    });

    test('a changed payload (role -> admin) under the original signature', async () => {
      const { header, signature } = parts(patient.accessToken);
      const forged = `${b64(header)}.${b64({ ...claims(), role: 'admin' })}.${signature}`;
      expect((await me(forged)).status).toBe(401);
      const admin = await t.call('GET', '/api/v1/admin/doctors', { token: forged });
      expect(admin.status).toBe(401);
    });

    test('signed with another secret', async () => {
      expect(
        (await me(hs256({ alg: 'HS256', typ: 'at+jwt' }, claims(), 'another-secret-of-enough-length-000000')))
          .status,
      ).toBe(401);
    });

    test('wrong iss, wrong aud, missing typ', async () => {
      expect((await me(hs256({ alg: 'HS256', typ: 'at+jwt' }, { ...claims(), iss: 'evil' }))).status).toBe(
        401,
      );
      expect(
        (await me(hs256({ alg: 'HS256', typ: 'at+jwt' }, { ...claims(), aud: 'other-api' }))).status,
      ).toBe(401);
      expect((await me(hs256({ alg: 'HS256' }, claims()))).status).toBe(401);
    });

    test('past exp (correctly signed) -> TOKEN_EXPIRED; no exp -> INVALID_TOKEN', async () => {
      const past = Math.floor(t.clock.now().getTime() / 1000) - 10;
      const expired = await me(hs256({ alg: 'HS256', typ: 'at+jwt' }, { ...claims(), exp: past }));
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('TOKEN_EXPIRED');
      const { exp: _exp, ...noExp } = claims();
      expect((await me(hs256({ alg: 'HS256', typ: 'at+jwt' }, noExp))).body.error.code).toBe('INVALID_TOKEN');
    });

    test('a valid signature over an unknown session -> 401 SESSION_REVOKED', async () => {
      const res = await me(hs256({ alg: 'HS256', typ: 'at+jwt' }, { ...claims(), sid: crypto.randomUUID() }));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('SESSION_REVOKED');
    });

    test('no header, another scheme, garbage -> 401 UNAUTHORIZED / INVALID_TOKEN', async () => {
      expect((await t.call('GET', '/api/v1/me')).body.error.code).toBe('UNAUTHORIZED');
      const basic = await t.call('GET', '/api/v1/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(basic.status).toBe(401);
      expect((await me('not.a.jwt')).status).toBe(401);
    });
  });

  test('the two token types are not interchangeable', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const refreshAsBearer = await me(fresh.refreshToken);
    expect(refreshAsBearer.status).toBe(401);
    const accessAsRefresh = await refresh(fresh.accessToken);
    expect(accessAsRefresh.status).toBe(401);
    expect(accessAsRefresh.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    // Neither attempt disturbed the session.
    expect((await refresh(fresh.refreshToken)).status).toBe(200);
  });
});

describe('POST /auth/refresh', () => {
  test('rotates: a new pair that works, and the refresh token is at least 256 bits of randomness', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const res = await refresh(fresh.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body.refreshToken).not.toBe(fresh.refreshToken);
    expect(res.body.user.id).toBe(fresh.user.id);
    expect(Buffer.from(res.body.refreshToken.slice(5), 'base64url').byteLength).toBe(32);
    expect(parts(res.body.accessToken).payload.sid).toBe(parts(fresh.accessToken).payload.sid);
    expect((await refresh(res.body.refreshToken)).status).toBe(200);
  });

  test('refresh tokens are stored only as their SHA-256: the raw token appears in no stored document', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const rotated = (await refresh(fresh.refreshToken)).body.refreshToken as string;
    const docs = await t.container.store.collection(RefreshTokens).findAll({ userId: fresh.user.id });
    expect(docs.length).toBe(2);
    const dump = JSON.stringify(docs);
    for (const raw of [fresh.refreshToken, rotated]) {
      expect(dump).not.toContain(raw);
      expect(dump).not.toContain(raw.slice(5));
      expect(docs.map((d) => d._id)).toContain(createHash('sha256').update(raw).digest('hex'));
    }
  });

  test('a reused refresh token -> 401 REFRESH_TOKEN_REUSED and the whole session is revoked', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const rotated = await refresh(fresh.refreshToken);
    expect(rotated.status).toBe(200);

    const reuse = await refresh(fresh.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');

    const sid = parts(fresh.accessToken).payload.sid;
    const session = (await t.container.store.collection(Sessions).findById(sid))!;
    expect(session.revokedReason).toBe('refresh_reuse');
    expect((await me(rotated.body.accessToken)).body.error.code).toBe('SESSION_REVOKED');
    expect((await me(fresh.accessToken)).status).toBe(401);
    expect((await refresh(rotated.body.refreshToken)).status).toBe(401);
  });

  test('the same refresh token sent twice at once: one pair at most, and the session ends', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const [a, b] = await Promise.all([refresh(fresh.refreshToken), refresh(fresh.refreshToken)]);
    expect([a.status, b.status].filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect([a.status, b.status]).toContain(401);
    expect((await me(fresh.accessToken)).status).toBe(401);
  });

  test('other sessions of the same user are not touched by a reuse', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const other = await t.call('POST', '/api/v1/auth/login', {
      body: { email: fresh.email, password: fresh.password },
    });
    await refresh(fresh.refreshToken);
    await refresh(fresh.refreshToken);
    expect((await me(other.body.accessToken)).status).toBe(200);
  });

  test('a refresh token lasts 30 days by the clock', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    t.clock.advance(30 * 86_400_000 - 60_000);
    const inTime = await refresh(fresh.refreshToken);
    expect(inTime.status).toBe(200);
    t.clock.advance(30 * 86_400_000 + 1000);
    const late = await refresh(inTime.body.refreshToken);
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('INVALID_REFRESH_TOKEN');
  });

  test('unknown or malformed refresh tokens -> 401; an empty one -> 422', async () => {
    expect((await refresh(`hvrt_${'A'.repeat(43)}`)).status).toBe(401);
    expect((await refresh('nonsense')).status).toBe(401);
    expect((await refresh('')).status).toBe(422);
  });
});

describe('POST /auth/logout', () => {
  test('204; the access token stops working at once and the refresh token is dead', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const res = await t.call('POST', '/api/v1/auth/logout', {
      token: fresh.accessToken,
      body: { refreshToken: fresh.refreshToken },
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    const after = await me(fresh.accessToken);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('SESSION_REVOKED');
    expect((await refresh(fresh.refreshToken)).status).toBe(401);
  });

  test("only the caller's sessions end; another user's refresh token in the body is ignored", async () => {
    const a = await createUser(t, { role: 'patient' });
    const b = await createUser(t, { role: 'patient' });
    const res = await t.call('POST', '/api/v1/auth/logout', {
      token: a.accessToken,
      body: { refreshToken: b.refreshToken },
    });
    expect(res.status).toBe(204);
    expect((await me(b.accessToken)).status).toBe(200);
    expect((await refresh(b.refreshToken)).status).toBe(200);
  });

  test('without a token -> 401', async () => {
    const res = await t.call('POST', '/api/v1/auth/logout', { body: { refreshToken: patient.refreshToken } });
    expect(res.status).toBe(401);
  });
});

describe('roles', () => {
  test('each route admits its roles only: 403 FORBIDDEN for the others', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const doctor = await createUser(t, { role: 'doctor' });
    const admin = await createUser(t, { role: 'admin' });
    for (const who of [patient, doctor]) {
      const res = await t.call('GET', '/api/v1/admin/doctors', { token: who.accessToken });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    expect((await t.call('GET', '/api/v1/admin/doctors', { token: admin.accessToken })).status).toBe(200);
    for (const who of [patient, doctor, admin]) {
      expect((await me(who.accessToken)).body.user.role).toBe(who.user.role);
    }
  });
});
