import { afterAll, beforeAll, expect, test } from 'bun:test';
import { buildTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

test('the outbox admin routes are documented with their paths, summary, description, parameters and answers', async () => {
  const { paths } = (await t.call('GET', '/api-docs/json')).body;
  const list = paths['/api/v1/admin/outbox'].get;
  const stats = paths['/api/v1/admin/outbox/stats'].get;
  const retry = paths['/api/v1/admin/outbox/{id}/retry'].post;
  for (const route of [list, stats, retry]) {
    expect(route.summary).toBeString();
    expect(route.description.length).toBeGreaterThan(40);
    expect(route.tags).toEqual(['Admin']);
  }
  expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
    'cursor',
    'kind',
    'limit',
    'status',
  ]);
  expect(Object.keys(list.responses).sort()).toEqual(['200', '401', '403', '422']);
  expect(Object.keys(stats.responses).sort()).toEqual(['200', '401', '403']);
  expect(Object.keys(retry.responses).sort()).toEqual([
    '200',
    '401',
    '403',
    '404',
    '409',
    '413',
    '415',
    '422',
  ]);
  const item = list.responses['200'].content['application/json'].schema.properties.items.items;
  expect(Object.keys(item.properties).sort()).toEqual([
    'attempts',
    'createdAt',
    'id',
    'kind',
    'lastError',
    'nextAttemptAt',
    'recipient',
    'sentAt',
    'status',
    'subject',
  ]);
});
