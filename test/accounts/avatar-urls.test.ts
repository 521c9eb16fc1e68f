import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { buildTestApp, type TestApp } from '../support/app.ts';
import { type CreatedUser, createUser, nextClientIp } from '../support/factories.ts';
import { imageFile, PNG_1X1 } from '../support/images.ts';

const apps: TestApp[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});
const build = async (env: Record<string, string> = {}) => {
  const app = await buildTestApp(env);
  apps.push(app);
  return app;
};

/** A request to the app as a client at `origin` would send it. */
async function callAt(
  t: TestApp,
  origin: string,
  method: string,
  path: string,
  options: { token?: string; body?: FormData | object; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: FormData | string | undefined;
  if (options.body instanceof FormData) body = options.body;
  else if (options.body) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await t.app.handle(new Request(`${origin}${path}`, { method, headers, body }));
  // biome-ignore lint/suspicious/noExplicitAny: response JSON read as the contract says
  return { status: response.status, body: (await response.json()) as any };
}

const avatarForm = () => {
  const form = new FormData();
  form.append('avatar', imageFile(PNG_1X1));
  return form;
};

const FILE = /\/media\/avatars\/[0-9a-f-]+-[0-9a-f]{12}\.png$/;

describe('dev avatar URLs are absolute in every answer', () => {
  let t: TestApp;
  let doctor: CreatedUser;
  beforeAll(async () => {
    t = await build({ TRUST_PROXY: 'false' });
    doctor = await createUser(t, { role: 'doctor', approved: true, name: 'Avatar Doctor' });
  });

  test("without PUBLIC_URL: the request's own origin; the store keeps the server-relative path", async () => {
    const origin = 'http://api.healthvision.test:8080';
    const put = await callAt(t, origin, 'PUT', '/api/v1/me/avatar', {
      token: doctor.accessToken,
      body: avatarForm(),
    });
    expect(put.status).toBe(200);
    const url: string = put.body.user.avatarUrl;
    expect(url).toStartWith(`${origin}/media/avatars/`);
    expect(url).toMatch(FILE);
    const stored = await t.container.usersRepo.findById(doctor.user.id);
    expect(stored?.avatarUrl).toBe(url.slice(origin.length));

    // The same picture seen through another address of the server has that address.
    const me = await callAt(t, 'http://127.0.0.1:3000', 'GET', '/api/v1/me', { token: doctor.accessToken });
    expect(me.body.user.avatarUrl).toBe(`http://127.0.0.1:3000${stored?.avatarUrl}`);
    // Served at the URL handed out.
    const served = await t.app.handle(new Request(url));
    expect(served.status).toBe(200);
  });

  test('the directory, a doctor profile, login, PATCH /me and the admin list carry absolute URLs', async () => {
    const origin = 'http://localhost:3000';
    const relative = (await t.container.usersRepo.findById(doctor.user.id))?.avatarUrl;
    expect(relative).toMatch(/^\/media\/avatars\//);
    const absolute = `${origin}${relative}`;

    const list = await callAt(t, origin, 'GET', '/api/v1/doctors');
    expect(list.body.items.find((d: { id: string }) => d.id === doctor.user.id)?.avatarUrl).toBe(absolute);
    const profile = await callAt(t, origin, 'GET', `/api/v1/doctors/${doctor.user.id}`);
    expect(profile.body.doctor.avatarUrl).toBe(absolute);
    const login = await callAt(t, origin, 'POST', '/api/v1/auth/login', {
      body: { email: doctor.email, password: doctor.password },
      headers: { 'x-forwarded-for': nextClientIp() },
    });
    expect(login.status).toBe(200);
    expect(login.body.user.avatarUrl).toBe(absolute);
    const patch = await callAt(t, origin, 'PATCH', '/api/v1/me', {
      token: doctor.accessToken,
      body: { name: 'Avatar Doctor Renamed' },
    });
    expect(patch.body.user.avatarUrl).toBe(absolute);
    const admin = await createUser(t, { role: 'admin' });
    const reviewed = await callAt(t, origin, 'GET', '/api/v1/admin/doctors?status=approved&limit=100', {
      token: admin.accessToken,
    });
    expect(reviewed.body.items.find((u: { id: string }) => u.id === doctor.user.id)?.avatarUrl).toBe(
      absolute,
    );
  });

  test('X-Forwarded-Proto/Host are ignored without TRUST_PROXY', async () => {
    const me = await callAt(t, 'http://10.0.0.5:3000', 'GET', '/api/v1/me', {
      token: doctor.accessToken,
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
    });
    expect(me.body.user.avatarUrl).toStartWith('http://10.0.0.5:3000/media/avatars/');
  });
});

describe('origins from settings and a trusted proxy', () => {
  test('PUBLIC_URL wins over the request origin (a trailing slash is dropped)', async () => {
    const t = await build({ PUBLIC_URL: 'https://api.healthvision.example/' });
    const user = await createUser(t, { role: 'patient' });
    const put = await callAt(t, 'http://10.0.0.5:3000', 'PUT', '/api/v1/me/avatar', {
      token: user.accessToken,
      body: avatarForm(),
    });
    expect(put.body.user.avatarUrl).toStartWith('https://api.healthvision.example/media/avatars/');
    expect(put.body.user.avatarUrl).toMatch(FILE);
    expect((await t.container.usersRepo.findById(user.user.id))?.avatarUrl).toMatch(/^\/media\/avatars\//);
  });

  test("behind a trusted proxy, the proxy's X-Forwarded-Proto and X-Forwarded-Host; junk hosts are ignored", async () => {
    const t = await build({ TRUST_PROXY: 'true' });
    const user = await createUser(t, { role: 'patient' });
    await callAt(t, 'http://10.0.0.5:3000', 'PUT', '/api/v1/me/avatar', {
      token: user.accessToken,
      body: avatarForm(),
    });
    const through = (headers: Record<string, string>) =>
      callAt(t, 'http://10.0.0.5:3000', 'GET', '/api/v1/me', { token: user.accessToken, headers });
    expect(
      (await through({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.healthvision.example' })).body
        .user.avatarUrl,
    ).toStartWith('https://api.healthvision.example/media/avatars/');
    expect(
      (await through({ 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'bad host/path' })).body.user
        .avatarUrl,
    ).toStartWith('http://10.0.0.5:3000/media/avatars/');
  });
});
