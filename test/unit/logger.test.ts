import { describe, expect, test } from 'bun:test';
import { createLogger } from '../../src/shared/logger.ts';
import { requestContext } from '../../src/shared/request-context.ts';

/** A logger writing into `lines`, as the default writer would write them (one JSON text per line). */
function capture(level: Parameters<typeof createLogger>[0], base?: Record<string, unknown>) {
  const lines: string[] = [];
  return { lines, logger: createLogger(level, base, (line) => lines.push(line)) };
}

describe('log lines', () => {
  test('time, level and message first, then the request id, the base fields and the call fields, in that order', () => {
    const { lines, logger } = capture('info', { service: 'api' });
    requestContext.run({ requestId: 'req-1' }, () => logger.info('request', { status: 200, route: '/x' }));
    const line = JSON.parse(lines[0]!);
    expect(Object.keys(line)).toEqual(['time', 'level', 'msg', 'requestId', 'service', 'status', 'route']);
    expect(line).toMatchObject({ level: 'info', msg: 'request', requestId: 'req-1', service: 'api' });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  test('a later field wins over an earlier one of the same name, and no request id outside a request', () => {
    const { lines, logger } = capture('debug', { service: 'api', shared: 'base' });
    logger.warn('overridden', { shared: 'call', level: 'from-call' });
    expect(JSON.parse(lines[0]!)).toEqual({
      time: expect.any(String),
      level: 'from-call',
      msg: 'overridden',
      service: 'api',
      shared: 'call',
    });
    logger.debug('bare');
    expect(Object.keys(JSON.parse(lines[1]!))).toEqual(['time', 'level', 'msg', 'service', 'shared']);
  });

  test('a child adds its fields to its parent base; levels under the threshold write nothing', () => {
    const { lines, logger } = capture('warn', { service: 'api' });
    const child = logger.child({ job: 'sweeper' });
    child.info('dropped');
    child.error('kept', { n: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'error',
      msg: 'kept',
      service: 'api',
      job: 'sweeper',
      n: 1,
    });
  });
});
