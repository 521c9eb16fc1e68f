import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test';
import { createHash, createHmac, createSign, generateKeyPairSync } from 'node:crypto';
import { purgeExpiredRecords } from '../../src/jobs/housekeeping.ts';
import { RefreshSuccessors, RefreshTokens, Sessions } from '../../src/modules/auth/auth.model.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { type CreatedUser, createUser } from '../support/factories.ts';

const SECRET = 'test-secret-that-is-long-enough-to-be-real-0123456789';
/** REFRESH_REUSE_GRACE_SECONDS by default. */
const GRACE_MS = 10_000;
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

describe('a token is verified once per process', () => {
  test('its signature is checked on first use only; its expiry and its session on every use', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const verify = spyOn(crypto.subtle, 'verify');
    try {
      expect((await me(fresh.accessToken)).status).toBe(200);
      const first = verify.mock.calls.length;
      for (let i = 0; i < 3; i++) expect((await me(fresh.accessToken)).status).toBe(200);
      expect(verify.mock.calls.length).toBe(first);
      // A token with its signature changed is another text: verified, and refused.
      const { signature } = parts(fresh.accessToken);
      const altered = `${fresh.accessToken.slice(0, -signature.length)}${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      const refused = await me(altered);
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe('INVALID_TOKEN');
      expect(verify.mock.calls.length).toBeGreaterThan(first);
    } finally {
      verify.mockRestore();
    }
    // Remembered, and still ended by a sign-out at once.
    expect(
      (
        await t.call('POST', '/api/v1/auth/logout', {
          token: fresh.accessToken,
          body: { refreshToken: fresh.refreshToken },
        })
      ).status,
    ).toBe(204);
    const after = await me(fresh.accessToken);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('SESSION_REVOKED');
  });

  test("a remembered token stops at its session's expiry, to the millisecond", async () => {
    const fresh = await createUser(t, { role: 'patient' });
    expect((await me(fresh.accessToken)).status).toBe(200);
    const sessions = t.container.store.collection(Sessions);
    const { sid } = parts(fresh.accessToken).payload;
    const now = t.clock.now();
    await sessions.updateOne({ _id: sid }, { $set: { expiresAt: new Date(now.getTime() + 1) } });
    expect((await me(fresh.accessToken)).status).toBe(200);
    await sessions.updateOne({ _id: sid }, { $set: { expiresAt: now } });
    const ended = await me(fresh.accessToken);
    expect([ended.status, ended.body.error.code]).toEqual([401, 'SESSION_REVOKED']);
  });

  test('a remembered token still expires by the clock -> TOKEN_EXPIRED', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    expect((await me(fresh.accessToken)).status).toBe(200);
    const { exp } = parts(fresh.accessToken).payload;
    t.clock.advance(exp * 1000 - t.clock.now().getTime());
    const res = await me(fresh.accessToken);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
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

  test('a refresh token reused after the grace -> 401 REFRESH_TOKEN_REUSED and the whole session is revoked', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const rotated = await refresh(fresh.refreshToken);
    expect(rotated.status).toBe(200);

    t.clock.advance(GRACE_MS + 1);
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

  test('two tabs refreshing with the same token at once all get the same pair, and the session lives', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(fresh.refreshToken)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const [first] = results;
    for (const r of results) {
      expect(r.body.accessToken).toBe(first!.body.accessToken);
      expect(r.body.refreshToken).toBe(first!.body.refreshToken);
      expect(r.body.user.id).toBe(fresh.user.id);
    }
    expect(first!.body.refreshToken).not.toBe(fresh.refreshToken);
    const sid = parts(fresh.accessToken).payload.sid;
    expect((await t.container.store.collection(Sessions).findById(sid))!.revokedAt).toBeUndefined();
    expect((await me(first!.body.accessToken)).status).toBe(200);
    // One successor was issued, and it rotates on as usual.
    expect(await t.container.store.collection(RefreshTokens).count({ sessionId: sid })).toBe(2);
    const next = await refresh(first!.body.refreshToken);
    expect(next.status).toBe(200);
    expect(next.body.refreshToken).not.toBe(first!.body.refreshToken);
  });

  test('a reuse within REFRESH_REUSE_GRACE_SECONDS answers the same pair; after it, the session is revoked', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const rotated = await refresh(fresh.refreshToken);
    t.clock.advance(GRACE_MS);
    const again = await refresh(fresh.refreshToken);
    expect(again.status).toBe(200);
    expect(again.body.accessToken).toBe(rotated.body.accessToken);
    expect(again.body.refreshToken).toBe(rotated.body.refreshToken);
    expect((await me(rotated.body.accessToken)).status).toBe(200);

    t.clock.advance(1);
    const late = await refresh(fresh.refreshToken);
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('REFRESH_TOKEN_REUSED');
    const sid = parts(fresh.accessToken).payload.sid;
    expect((await t.container.store.collection(Sessions).findById(sid))!.revokedReason).toBe('refresh_reuse');
    expect((await me(rotated.body.accessToken)).body.error.code).toBe('SESSION_REVOKED');
  });

  test('the successor pair is kept only encrypted, and only for the grace', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const rotated = await refresh(fresh.refreshToken);
    const dump = JSON.stringify(await t.container.store.collection(RefreshSuccessors).findAll({}));
    expect(dump).toContain(createHash('sha256').update(fresh.refreshToken).digest('hex'));
    for (const secret of [rotated.body.accessToken, rotated.body.refreshToken, fresh.refreshToken]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice(5, 30));
    }
    t.clock.advance(GRACE_MS + 1);
    await purgeExpiredRecords(t.container.purges, t.clock, t.logger);
    const key = createHash('sha256').update(fresh.refreshToken).digest('hex');
    expect(await t.container.store.collection(RefreshSuccessors).findById(key)).toBeNull();
  });

  test('with REFRESH_REUSE_GRACE_SECONDS=0 any reuse revokes at once', async () => {
    const strict = await buildTestApp({ JWT_SECRET: SECRET, REFRESH_REUSE_GRACE_SECONDS: '0' });
    try {
      const fresh = await createUser(strict, { role: 'patient' });
      const call = (token: string) =>
        strict.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: token } });
      const [a, b] = await Promise.all([call(fresh.refreshToken), call(fresh.refreshToken)]);
      expect([a.status, b.status].sort()).toEqual([200, 401]);
      expect([a, b].find((r) => r.status === 401)!.body.error.code).toBe('REFRESH_TOKEN_REUSED');
      const me = await strict.call('GET', '/api/v1/me', { token: fresh.accessToken });
      expect(me.body.error.code).toBe('SESSION_REVOKED');
    } finally {
      await strict.close();
    }
  });

  test('an expired refresh token presented twice -> INVALID_REFRESH_TOKEN both times, nothing spent', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    t.clock.advance(30 * 86_400_000 + 1000);
    for (let i = 0; i < 2; i++) {
      const res = await refresh(fresh.refreshToken);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('INVALID_REFRESH_TOKEN');
    }
    const hash = createHash('sha256').update(fresh.refreshToken).digest('hex');
    expect((await t.container.store.collection(RefreshTokens).findById(hash))!.usedAt).toBeUndefined();
  });

  test('a refresh token of a signed-out session presented twice -> INVALID_REFRESH_TOKEN both times', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    await t.call('POST', '/api/v1/auth/logout', { body: { refreshToken: fresh.refreshToken } });
    for (let i = 0; i < 2; i++) {
      expect((await refresh(fresh.refreshToken)).body.error.code).toBe('INVALID_REFRESH_TOKEN');
    }
    const sid = parts(fresh.accessToken).payload.sid;
    expect((await t.container.store.collection(Sessions).findById(sid))!.revokedReason).toBe('logout');
  });

  test('other sessions of the same user are not touched by a reuse', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const other = await t.call('POST', '/api/v1/auth/login', {
      body: { email: fresh.email, password: fresh.password },
    });
    await refresh(fresh.refreshToken);
    t.clock.advance(GRACE_MS + 1);
    expect((await refresh(fresh.refreshToken)).body.error.code).toBe('REFRESH_TOKEN_REUSED');
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

  test("the refresh token's session ends whoever the bearer is, as it would with no bearer at all", async () => {
    const a = await createUser(t, { role: 'patient' });
    const b = await createUser(t, { role: 'patient' });
    const res = await t.call('POST', '/api/v1/auth/logout', {
      token: a.accessToken,
      body: { refreshToken: b.refreshToken },
    });
    expect(res.status).toBe(204);
    expect((await me(a.accessToken)).body.error.code).toBe('SESSION_REVOKED');
    expect((await me(b.accessToken)).body.error.code).toBe('SESSION_REVOKED');
    expect((await refresh(b.refreshToken)).body.error.code).toBe('INVALID_REFRESH_TOKEN');
  });

  test('the refresh token alone signs out (an expired access token need not be refreshed first)', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    t.clock.advance(16 * 60_000);
    expect((await me(fresh.accessToken)).body.error.code).toBe('TOKEN_EXPIRED');
    const res = await t.call('POST', '/api/v1/auth/logout', { body: { refreshToken: fresh.refreshToken } });
    expect(res.status).toBe(204);
    const sid = parts(fresh.accessToken).payload.sid;
    expect((await t.container.store.collection(Sessions).findById(sid))!.revokedReason).toBe('logout');
    expect((await refresh(fresh.refreshToken)).body.error.code).toBe('INVALID_REFRESH_TOKEN');
  });

  test('an expired bearer beside the refresh token is no obstacle: 204 and the session ends', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    t.clock.advance(16 * 60_000);
    const res = await t.call('POST', '/api/v1/auth/logout', {
      token: fresh.accessToken,
      body: { refreshToken: fresh.refreshToken },
    });
    expect(res.status).toBe(204);
    expect((await refresh(fresh.refreshToken)).status).toBe(401);
  });

  test("with a bearer, the bearer's session ends even when the refresh token is of another session", async () => {
    const fresh = await createUser(t, { role: 'patient' });
    const other = await t.call('POST', '/api/v1/auth/login', {
      body: { email: fresh.email, password: fresh.password },
    });
    const res = await t.call('POST', '/api/v1/auth/logout', {
      token: fresh.accessToken,
      body: { refreshToken: `hvrt_${'B'.repeat(43)}` },
    });
    expect(res.status).toBe(204);
    expect((await me(fresh.accessToken)).body.error.code).toBe('SESSION_REVOKED');
    expect((await me(other.body.accessToken)).status).toBe(200);
  });

  test('an unknown or malformed refresh token without a bearer -> 204 and nothing changes (RFC 7009)', async () => {
    const fresh = await createUser(t, { role: 'patient' });
    for (const refreshToken of [`hvrt_${'C'.repeat(43)}`, 'nonsense']) {
      const res = await t.call('POST', '/api/v1/auth/logout', { body: { refreshToken } });
      expect(res.status).toBe(204);
    }
    expect((await me(fresh.accessToken)).status).toBe(200);
    expect((await t.call('POST', '/api/v1/auth/logout', { body: {} })).status).toBe(422);
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
