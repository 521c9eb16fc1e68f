import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import packageJson from '../../package.json' with { type: 'json' };
import { buildTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked as plain JSON
let doc: any;
beforeAll(async () => {
  t = await buildTestApp();
  doc = (await t.call('GET', '/api-docs/json')).body;
});
afterAll(() => t.close());

/** Features a description may name, each with the words that name it and the routes that build it. */
const FEATURES: [feature: string, words: RegExp, route: RegExp][] = [
  ['payments', /\b(pay|payments?|paying|wallet)\b/i, /^\/api\/v1\/(payments|wallet)/],
  ['medical reports', /\breports?\b/i, /^\/api\/v1\/reports/],
  ['video calls', /\b(video|webrtc|signal(l)?ing)\b/i, /^\/api\/v1\/(consultations|calls)/],
  ['appointments', /\bappointments?\b/i, /^\/api\/v1\/appointments/],
  ['the doctor directory', /\bdoctor directory\b/i, /^\/api\/v1\/doctors$/],
  ['specialties', /\bspecialties\b/i, /^\/api\/v1\/specialties$/],
  ['time slots', /\bslots\b/i, /^\/api\/v1\/doctors\/me\/slots$/],
];

describe('the descriptions say what exists', () => {
  test.each(FEATURES)(
    '%s: named by the OpenAPI info and package.json only when its routes exist',
    (_, words, route) => {
      const built = Object.keys(doc.paths).some((path) => route.test(path));
      const info: string = doc.info.description;
      expect({ built, inInfo: words.test(info) }).toEqual({ built, inInfo: built });
      if (!built) expect(words.test(packageJson.description)).toBe(false);
    },
  );
});
