import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { buildTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked as plain JSON
let doc: any;
beforeAll(async () => {
  t = await buildTestApp();
  doc = (await t.call('GET', '/api-docs/json')).body;
});
afterAll(() => t.close());

const ROUTES: [
  method: string,
  path: string,
  body: boolean,
  secured: boolean | 'optional',
  statuses: string[],
][] = [
  ['post', '/api/v1/auth/signup', true, false, ['201', '409', '413', '415', '422', '429']],
  ['post', '/api/v1/auth/otp/verify', true, false, ['200', '422', '429']],
  ['post', '/api/v1/auth/otp/resend', true, false, ['202', '422', '429']],
  ['post', '/api/v1/auth/login', true, false, ['200', '401', '403', '422', '429']],
  ['post', '/api/v1/auth/refresh', true, false, ['200', '401', '422']],
  ['post', '/api/v1/auth/logout', true, 'optional', ['204', '413', '415', '422']],
  ['post', '/api/v1/auth/password/forgot', true, false, ['202', '422', '429']],
  ['post', '/api/v1/auth/password/reset', true, false, ['204', '422', '429']],
  ['get', '/api/v1/me', false, true, ['200', '401', '404']],
  ['patch', '/api/v1/me', true, true, ['200', '401', '404', '422']],
  ['put', '/api/v1/me/avatar', true, true, ['200', '401', '404', '413', '415', '422', '502']],
  ['get', '/api/v1/admin/doctors', false, true, ['200', '401', '403', '422']],
  ['post', '/api/v1/admin/doctors/{id}/approve', false, true, ['200', '401', '403', '404', '409', '422']],
  ['post', '/api/v1/admin/doctors/{id}/reject', true, true, ['200', '401', '403', '404', '409', '422']],
  ['get', '/api/v1/dev/mailbox', false, false, ['200', '422']],
];

const schemaOf = (response: { content?: Record<string, { schema?: unknown }> }) =>
  response.content?.['application/json']?.schema;

describe('OpenAPI document', () => {
  test.each(ROUTES)(
    '%s %s has tags, request and response schemas',
    (method, path, body, secured, statuses) => {
      const operation = doc.paths[path]?.[method];
      expect(operation).toBeDefined();
      expect(operation.tags?.length).toBeGreaterThan(0);
      expect(operation.summary).toBeString();
      if (body) expect(operation.requestBody?.content).toBeDefined();
      for (const status of statuses) {
        const response = operation.responses[status];
        expect(response).toBeDefined();
        if (status !== '204') expect(schemaOf(response)).toBeDefined();
      }
      if (statuses.some((s) => Number(s) >= 400)) {
        const failure = operation.responses[statuses.find((s) => Number(s) >= 400)!];
        expect(JSON.stringify(schemaOf(failure))).toContain('"error"');
      }
      if (secured === 'optional') expect(operation.security).toEqual([{}, { bearer: [] }]);
      else if (secured) expect(operation.security).toEqual([{ bearer: [] }]);
      else expect(operation.security).toEqual([]);
    },
  );

  test('signup documents both JSON and multipart bodies, with the avatar as a binary file', () => {
    const content = doc.paths['/api/v1/auth/signup'].post.requestBody.content;
    expect(content['application/json']).toBeDefined();
    expect(JSON.stringify(content['multipart/form-data'].schema.properties.avatar)).toContain('binary');
  });

  test('the user schema never mentions the hash', () => {
    const ok = doc.paths['/api/v1/me'].get.responses['200'];
    const text = JSON.stringify(schemaOf(ok));
    expect(text).toContain('emailVerified');
    expect(text).not.toMatch(/passwordHash|avatarFileId|reviewedBy/);
  });

  test('query and path parameters are declared', () => {
    const list = doc.paths['/api/v1/admin/doctors'].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toEqual(expect.arrayContaining(['status', 'limit', 'cursor']));
    const approve = doc.paths['/api/v1/admin/doctors/{id}/approve'].post.parameters;
    expect(approve).toContainEqual(expect.objectContaining({ name: 'id', in: 'path' }));
    const mailbox = doc.paths['/api/v1/dev/mailbox'].get.parameters.map((p: { name: string }) => p.name);
    expect(mailbox).toEqual(['to']);
  });
});
