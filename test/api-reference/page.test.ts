import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { buildTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

// The real proof that the page reaches no other host is the browser test (npm run test:browser).
describe('the API reference page', () => {
  test.each(['/api-docs', '/api-docs/'])(
    '%s is served with the local bundle and an absolute spec URL',
    async (path) => {
      const res = await t.app.handle(new Request(`http://localhost${path}`));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toStartWith('text/html');
      const html = await res.text();
      expect(html).toContain('<script src="/api-docs/assets/scalar.js"></script>');
      expect(html).toContain('"url":"/api-docs/json"');
      expect(html).not.toMatch(/https?:\/\//);
      // Scalar also mounts a reference of its own, with the cloud defaults, on an element with this id.
      expect(html).not.toContain('id="api-reference"');
    },
  );
});
