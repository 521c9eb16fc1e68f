import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { collections } from '../../src/container.ts';
import { Store } from '../../src/db/index.ts';
import { SqliteEngine } from '../../src/db/sqlite/engine.ts';
import { buildTestApp, type TestApp, waitForLine } from '../support/app.ts';
import { createUser } from '../support/factories.ts';

/** A store that never answers, as a MongoDB server behind a dropped network would not. */
class UnansweringEngine extends SqliteEngine {
  override ping(): Promise<void> {
    return new Promise(() => {});
  }
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ CORS_ORIGINS: 'https://app.healthvision.test', BODY_LIMIT_BYTES: '2048' });
});
afterAll(() => t.close());

describe('system routes', () => {
  test('GET /health answers ok', async () => {
    const res = await t.call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  test('GET /ready answers ready while the store is reachable', async () => {
    const res = await t.call('GET', '/ready');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready' });
  });

  test('GET /ready answers 503 in the envelope when the store fails', async () => {
    const broken = await buildTestApp();
    await broken.container.store.close();
    const res = await broken.call('GET', '/ready');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('NOT_READY');
  });

  test('GET /ready answers 503 once READY_TIMEOUT_MS passes without an answer from the store', async () => {
    const engine = new UnansweringEngine('sqlite::memory:');
    await engine.init(collections);
    const stuck = await buildTestApp({ READY_TIMEOUT_MS: '20' }, { store: new Store(engine) });
    try {
      const res = await stuck.call('GET', '/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: { code: 'NOT_READY', message: 'The store is not reachable' } });
      expect(stuck.logger.lines).toContainEqual(
        expect.objectContaining({
          msg: 'readiness check failed',
          error: 'The store did not answer a ping within 20 ms',
        }),
      );
    } finally {
      await stuck.close();
    }
  });
});

describe('error envelope', () => {
  test('an unknown route is 404 in the envelope', async () => {
    const res = await t.call('GET', '/api/v1/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: 'No such route' } });
  });

  test('a body over the limit is 413', async () => {
    const res = await t.call('POST', '/api/v1/anything', { body: { blob: 'x'.repeat(4096) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('a form sent to a JSON-only route is 415; broken JSON there is 422 MALFORMED_BODY', async () => {
    const form = await t.call('POST', '/api/v1/auth/login', {
      body: 'email=a%40b.co&password=whatever1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const broken = await t.call('POST', '/api/v1/auth/login', {
      body: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(422);
    expect(broken.body.error.code).toBe('MALFORMED_BODY');
  });

  test('an unsupported content type is 415', async () => {
    const res = await t.call('POST', '/api/v1/auth/login', {
      body: '<xml/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('headers and logs', () => {
  test('security headers on every response, no-store under /api, no X-Powered-By', async () => {
    for (const path of ['/health', '/api/v1/missing']) {
      const res = await t.call('GET', path);
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
    expect((await t.call('GET', '/api/v1/missing')).headers.get('cache-control')).toBe('no-store');
    expect((await t.call('GET', '/health')).headers.get('cache-control')).toBeNull();
  });

  test('x-request-id is echoed when valid, generated otherwise, and on the log line', async () => {
    const given = await t.call('GET', '/health', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const bogus = await t.call('GET', '/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(bogus.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const line = await waitForLine(t.logger.lines, (l) => l.msg === 'request' && l.requestId === 'abc-123');
    expect(line).toMatchObject({ method: 'GET', route: '/health', status: 200 });
    expect(typeof line?.durationMs).toBe('number');
  });

  test('lines logged by services while serving a request carry its request id, also under concurrency', async () => {
    const signups = await Promise.all(
      ['rid-a', 'rid-b', 'rid-c'].map((requestId) =>
        t.call('POST', '/api/v1/auth/signup', {
          headers: { 'x-request-id': requestId },
          body: {
            name: 'Request Id',
            email: `${requestId}.${crypto.randomUUID().slice(0, 8)}@example.test`,
            password: 'long enough password',
            role: 'patient',
          },
        }),
      ),
    );
    for (const [i, requestId] of ['rid-a', 'rid-b', 'rid-c'].entries()) {
      const res = signups[i]!;
      expect(res.status).toBe(201);
      const created = t.logger.lines.find(
        (l) => l.msg === 'account created' && l.userId === res.body.user.id,
      );
      expect(created?.requestId).toBe(requestId);
    }
  });

  test('error responses are logged with their real status', async () => {
    await t.call('GET', '/api/v1/nothing-here', { headers: { 'x-request-id': 'log-404' } });
    const line = await waitForLine(t.logger.lines, (l) => l.msg === 'request' && l.requestId === 'log-404');
    expect(line?.status).toBe(404);
  });

  test('every answer has one access line with its status: handlers, refusals, route errors and hooks', async () => {
    const patient = await createUser(t, { role: 'patient' });
    const cases: [
      name: string,
      method: string,
      path: string,
      options: Parameters<TestApp['call']>[2],
      status: number,
    ][] = [
      ['ok', 'GET', '/health', {}, 200],
      [
        'created',
        'POST',
        '/api/v1/auth/signup',
        {
          body: {
            name: 'Log Line',
            email: `log-${crypto.randomUUID()}@example.com`,
            password: 'correct horse battery 9',
            role: 'patient',
          },
          headers: { 'x-forwarded-for': '203.0.113.77' },
        },
        201,
      ],
      ['no token', 'GET', '/api/v1/me', {}, 401],
      ['bad token', 'GET', '/api/v1/me', { token: 'not-a-token' }, 401],
      ['wrong role', 'GET', '/api/v1/admin/doctors', { token: patient.accessToken }, 403],
      ['no route', 'GET', '/api/v1/nothing-at-all', {}, 404],
      ['too large', 'POST', '/api/v1/auth/login', { body: { blob: 'x'.repeat(4096) } }, 413],
      ['invalid body', 'POST', '/api/v1/auth/login', { body: { email: 1 } }, 422],
      ['ready', 'GET', '/ready', {}, 200],
    ];
    for (const [name, method, path, options, status] of cases) {
      const requestId = `one-line-${name.replace(' ', '-')}`;
      const res = await t.call(method, path, {
        ...options,
        headers: { ...options?.headers, 'x-request-id': requestId },
      });
      expect({ name, status: res.status }).toEqual({ name, status });
      await waitForLine(t.logger.lines, (l) => l.msg === 'request' && l.requestId === requestId);
      // A turn later, still exactly one.
      await new Promise((resolve) => setImmediate(resolve));
      const lines = t.logger.lines.filter((l) => l.msg === 'request' && l.requestId === requestId);
      expect({ name, statuses: lines.map((l) => l.status) }).toEqual({ name, statuses: [status] });
    }
  });

  test('CORS allows listed origins only', async () => {
    const ok = await t.call('GET', '/health', { headers: { origin: 'https://app.healthvision.test' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.healthvision.test');
    const evil = await t.call('GET', '/health', { headers: { origin: 'https://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('API docs', () => {
  test('JSON-only routes document application/json as their one request type', async () => {
    const spec = await t.call('GET', '/api-docs/json');
    for (const [path, method] of [
      ['/api/v1/auth/login', 'post'],
      ['/api/v1/auth/refresh', 'post'],
      ['/api/v1/appointments', 'post'],
      ['/api/v1/doctors/me/slots', 'post'],
      ['/api/v1/me', 'patch'],
    ] as const) {
      const content = spec.body.paths[path][method].requestBody.content;
      expect({ path, types: Object.keys(content) }).toEqual({ path, types: ['application/json'] });
    }
  });

  test('OpenAPI JSON lists the system routes and the UI loads its assets locally', async () => {
    const spec = await t.call('GET', '/api-docs/json');
    expect(spec.status).toBe(200);
    expect(spec.body.paths['/health'].get.responses['200']).toBeDefined();
    expect(spec.body.paths['/ready'].get.responses['503']).toBeDefined();
    const page = await t.app.handle(new Request('http://localhost/api-docs'));
    const html = await page.text();
    expect(html).toContain('/api-docs/assets/scalar.js');
    expect(html).not.toContain('cdn.jsdelivr.net');
    const asset = await t.app.handle(new Request('http://localhost/api-docs/assets/scalar.js'));
    expect(asset.status).toBe(200);
    expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });
});
