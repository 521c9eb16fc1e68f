import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createMemoryLogger, type LogFields } from '../../src/shared/logger.ts';
import { buildTestApp, type TestApp, waitForLine } from '../support/app.ts';

const requestLine = (lines: LogFields[], requestId: string) =>
  waitForLine(lines, (line) => line.msg === 'request' && line.requestId === requestId);

describe('access log levels', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  test('GET /health and GET /ready are logged at debug, other requests at info', async () => {
    for (const [path, requestId] of [
      ['/health', 'probe-live'],
      ['/ready', 'probe-ready'],
      ['/api/v1/doctors', 'not-a-probe'],
      ['/health/nothing', 'probe-lookalike'],
    ] as const) {
      const res = await t.call('GET', path, { headers: { 'x-request-id': requestId } });
      expect(res.headers.get('x-request-id')).toBe(requestId);
    }
    expect(await requestLine(t.logger.lines, 'probe-live')).toMatchObject({
      level: 'debug',
      route: '/health',
      status: 200,
    });
    expect(await requestLine(t.logger.lines, 'probe-ready')).toMatchObject({
      level: 'debug',
      route: '/ready',
      status: 200,
    });
    expect(await requestLine(t.logger.lines, 'not-a-probe')).toMatchObject({
      level: 'info',
      route: '/api/v1/doctors',
      status: 200,
    });
    expect(await requestLine(t.logger.lines, 'probe-lookalike')).toMatchObject({
      level: 'info',
      status: 404,
    });
  });
});

describe('access log at info', () => {
  let t: TestApp;
  const logger = createMemoryLogger('info');
  beforeAll(async () => {
    t = await buildTestApp({ LOG_LEVEL: 'info' }, { logger });
  });
  afterAll(() => t.close());

  test('a production log at info has no probe lines, and the other requests are all there', async () => {
    await t.call('GET', '/health', { headers: { 'x-request-id': 'info-live' } });
    await t.call('GET', '/ready', { headers: { 'x-request-id': 'info-ready' } });
    await t.call('GET', '/api/v1/doctors', { headers: { 'x-request-id': 'info-listing' } });
    expect(await requestLine(logger.lines, 'info-listing')).toMatchObject({ level: 'info', status: 200 });
    const requestIds = logger.lines.filter((line) => line.msg === 'request').map((line) => line.requestId);
    expect(requestIds).toEqual(['info-listing']);
  });
});
