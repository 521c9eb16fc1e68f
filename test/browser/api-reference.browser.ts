/**
 * The API reference page in a real headless browser (Debian's chromium through playwright-core). Not part
 * of plain `bun test` (the file name does not match *.test.ts); run it with `npm run test:browser`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type Browser, chromium } from 'playwright-core';
import { buildTestApp, type TestApp } from '../support/app.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let t: TestApp;
let base: string;
let browser: Browser;
beforeAll(async () => {
  t = await buildTestApp();
  t.app.listen({ port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${t.app.server?.port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  await t.app.stop(true);
  await t.close();
});

/** Whether a URL the page asked for left the server: data: and blob: URLs never leave the page. */
const isForeign = (url: string): boolean =>
  !url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== base;

describe('the API reference page', () => {
  test.each(['/api-docs', '/api-docs/'])(
    '%s renders every operation and asks no host but the server',
    async (path) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      // Nothing may leave even while the test fails: foreign requests are recorded, then aborted.
      await page.route('**/*', (route) =>
        isForeign(route.request().url()) ? route.abort() : route.continue(),
      );

      const answer = await page.goto(base + path);
      expect(answer?.status()).toBe(200);
      for (const summary of [
        'Sign in with email and password',
        'Hold a slot while paying: 201 pending_payment until holdExpiresAt',
        'Messages the dev email provider kept for an address, newest first',
      ]) {
        await page.getByText(summary).first().waitFor({ state: 'visible', timeout: 30_000 });
      }
      // Try one request from the page's client: it goes to the server itself, not through a proxy.
      await page
        .getByRole('button', { name: /Test Request/ })
        .first()
        .click();
      await Promise.all([page.waitForRequest(`${base}/health`), page.keyboard.press('Control+Enter')]);
      await page.waitForLoadState('networkidle');

      expect(requested).toContain(`${base}/api-docs/json`);
      expect(requested.filter(isForeign)).toEqual([]);
      for (const cloudOnly of ['Ask AI', 'Deploy', 'Share', 'Developer Tools', 'Open API Client']) {
        expect({ cloudOnly, shown: await page.getByText(cloudOnly, { exact: true }).count() }).toEqual({
          cloudOnly,
          shown: 0,
        });
      }
      expect(await page.getByText('Document could not be loaded').count()).toBe(0);
      await context.close();
    },
    60_000,
  );
});
