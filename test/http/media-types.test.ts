import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp, randomEmail, type TestApp } from '../support/app.ts';
import { createUser, nextClientIp } from '../support/factories.ts';
import { imageFile, PNG_1X1 } from '../support/images.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const storedByEmail = (email: string) => t.container.store.collection(Users).findOne({ email });

/** A multipart body with its Content-Type written as `type` (the boundary kept). */
async function multipart(fields: Record<string, string | Blob>, type: string) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  const encoded = new Response(form);
  const boundary = encoded.headers.get('content-type')!.split(';')[1]!;
  return {
    body: new Uint8Array(await encoded.arrayBuffer()),
    headers: { 'content-type': `${type};${boundary}` },
  };
}

const doctorFields = (email: string) => ({
  name: 'Meera Iyer',
  email,
  password: 'long enough password',
  role: 'doctor',
  specialty: 'Dermatology',
  registrationNumber: 'MCI-55555',
  consultationFeePaise: '65000',
  timezone: 'Asia/Kolkata',
});

describe('each route names the body types it accepts', () => {
  test('text/plain JSON to POST /auth/login is 415 naming application/json only', async () => {
    const res = await t.call('POST', '/api/v1/auth/login', {
      body: JSON.stringify({ email: 'a@b.co', password: 'whatever1' }),
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({
      error: {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'This route accepts application/json',
        details: { accepted: ['application/json'] },
      },
    });
  });

  test('no body at all is 422 (what is missing), not 415', async () => {
    for (const path of ['/api/v1/auth/login', '/api/v1/auth/signup']) {
      const res = await t.call('POST', path, { headers: { 'x-forwarded-for': nextClientIp() } });
      expect({ path, status: res.status }).toEqual({ path, status: 422 });
      expect(['VALIDATION_FAILED', 'MALFORMED_BODY']).toContain(res.body.error.code);
    }
  });

  test('JSON media types are case-insensitive: Application/JSON signs in', async () => {
    const user = await createUser(t, { role: 'patient' });
    const res = await t.call('POST', '/api/v1/auth/login', {
      body: JSON.stringify({ email: user.email, password: user.password }),
      headers: { 'content-type': 'Application/JSON; charset=utf-8', 'x-forwarded-for': nextClientIp() },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(user.user.id);
  });

  test('signup refuses a urlencoded form (a cross-site post) with 415 and creates nothing', async () => {
    const email = randomEmail('form');
    const res = await t.call('POST', '/api/v1/auth/signup', {
      body: new URLSearchParams({
        name: 'Cross Site',
        email,
        password: 'long enough password',
        role: 'patient',
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': nextClientIp() },
    });
    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'This route accepts application/json or multipart/form-data',
      details: { accepted: ['application/json', 'multipart/form-data'] },
    });
    expect(await storedByEmail(email)).toBeNull();
  });

  test('signup as Multipart/Form-Data converts the fee like multipart/form-data does', async () => {
    const email = randomEmail('mixedcase');
    const request = await multipart(
      { ...doctorFields(email), avatar: imageFile(PNG_1X1) },
      'Multipart/Form-Data',
    );
    const response = await t.app.handle(
      new Request('http://localhost/api/v1/auth/signup', {
        method: 'POST',
        body: request.body,
        headers: { ...request.headers, 'x-forwarded-for': nextClientIp() },
      }),
    );
    expect(response.status).toBe(201);
    const { user } = (await response.json()) as { user: { doctor: { consultationFeePaise: unknown } } };
    expect(user.doctor.consultationFeePaise).toBe(65_000);
    const stored = await storedByEmail(email);
    expect(stored?.doctor?.consultationFeePaise).toBe(65_000);
    expect(stored?.avatarUrl).toBeString();
  });

  test('PUT /me/avatar with a JSON body is 415 naming multipart/form-data; the profile is unchanged', async () => {
    const user = await createUser(t, { role: 'patient' });
    const res = await t.call('PUT', '/api/v1/me/avatar', {
      token: user.accessToken,
      body: { avatar: 'https://example.test/me.png' },
    });
    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'This route accepts multipart/form-data',
      details: { accepted: ['multipart/form-data'] },
    });
    expect((await t.container.usersRepo.findById(user.user.id))?.avatarUrl).toBeUndefined();
  });

  test('a multipart body to a JSON route is 415, broken multipart to the avatar route is 422', async () => {
    const user = await createUser(t, { role: 'patient' });
    const form = await multipart({ name: 'Renamed' }, 'multipart/form-data');
    const patch = await t.call('PATCH', '/api/v1/me', {
      token: user.accessToken,
      body: new TextDecoder().decode(form.body),
      headers: form.headers,
    });
    expect(patch.status).toBe(415);
    expect(patch.body.error.details).toEqual({ accepted: ['application/json'] });
    expect((await t.container.usersRepo.findById(user.user.id))?.name).toBe(user.user.name);

    const broken = await t.call('PUT', '/api/v1/me/avatar', {
      token: user.accessToken,
      body: 'not a multipart body',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    });
    expect(broken.status).toBe(422);
    expect(broken.body.error.code).toBe('MALFORMED_BODY');
  });

  test('no route with a body takes a urlencoded form or text/plain (every route declares its types)', async () => {
    const withBody = (t.app.routes as { method: string; path: string; hooks: { body?: unknown } }[]).filter(
      (route) => route.hooks.body !== undefined,
    );
    expect(withBody.length).toBeGreaterThanOrEqual(13);
    for (const route of withBody) {
      const path = route.path.replace(/:[A-Za-z]+/g, Bun.randomUUIDv7());
      for (const [type, body] of [
        ['application/x-www-form-urlencoded', 'name=x&email=a%40b.co'],
        ['text/plain', '{"name":"x"}'],
      ] as const) {
        const res = await t.call(route.method, path, {
          body,
          headers: { 'content-type': type, 'x-forwarded-for': nextClientIp() },
        });
        expect({
          route: `${route.method} ${route.path}`,
          type,
          status: res.status,
          code: res.body.error?.code,
        }).toEqual({
          route: `${route.method} ${route.path}`,
          type,
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
        });
      }
    }
  });
});
