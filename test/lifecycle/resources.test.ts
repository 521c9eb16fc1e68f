import { expect, test } from 'bun:test';
import { buildContainer } from '../../src/container.ts';
import { Lifecycle } from '../../src/shared/lifecycle.ts';
import { createMemoryLogger } from '../../src/shared/logger.ts';
import { buildTestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';

const closedLines = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => line.msg === 'closed').map((line) => line.resource);

test('resources close in the reverse of their opening order, each once, and each close is logged', async () => {
  const logger = createMemoryLogger();
  const resources = new Lifecycle(logger);
  const closed: string[] = [];
  const store = await resources.open(
    'store',
    async () => ({ name: 'the store' }),
    (opened) => void closed.push(opened.name),
  );
  expect(store).toEqual({ name: 'the store' });
  resources.add('jobs', () => void closed.push('jobs'));
  resources.add('http server', async () => {
    await new Promise((resolve) => setImmediate(resolve));
    closed.push('http server');
  });

  await Promise.all([resources.closeAll(), resources.closeAll()]);
  await resources.closeAll();
  expect(closed).toEqual(['http server', 'jobs', 'the store']);
  expect(closedLines(logger.lines)).toEqual(['http server', 'jobs', 'store']);
  expect(() => resources.add('late', () => {})).toThrow('late opened while closing');
});

test('a close that fails is logged and the resources opened before it still close', async () => {
  const logger = createMemoryLogger();
  const resources = new Lifecycle(logger);
  const closed: string[] = [];
  resources.add('store', () => void closed.push('store'));
  resources.add('jobs', () => {
    throw new Error('stuck job');
  });
  resources.add('http server', () => void closed.push('http server'));

  await resources.closeAll();
  expect(closed).toEqual(['http server', 'store']);
  expect(logger.lines.find((line) => line.msg === 'close failed')).toMatchObject({
    level: 'error',
    resource: 'jobs',
    error: 'stuck job',
  });
});

test('a resource that fails to open is not on the list', async () => {
  const resources = new Lifecycle(createMemoryLogger());
  const closed: string[] = [];
  resources.add('store', () => void closed.push('store'));
  await expect(
    resources.open(
      'http server',
      () => {
        throw new Error('EADDRINUSE');
      },
      () => void closed.push('http server'),
    ),
  ).rejects.toThrow('EADDRINUSE');
  await resources.closeAll();
  expect(closed).toEqual(['store']);
});

test('the container stops the outbox deliverer before it closes the store', async () => {
  const t = await buildTestApp();
  await t.close();
  expect(closedLines(t.logger.lines)).toEqual(['outbox deliverer', 'store']);
  await expect(t.container.store.ping()).rejects.toThrow();
});

test('a container that fails to boot closes the store it had opened', async () => {
  const t = await buildTestApp();
  const patient = await createUser(t, { role: 'patient' });
  const logger = createMemoryLogger();
  // ADMIN_EMAIL naming a patient's account stops the boot after the store is open.
  const booting = buildContainer(
    { ...t.config, ADMIN_EMAIL: patient.email, ADMIN_PASSWORD: 'a-long-enough-admin-password' },
    { store: t.container.store, logger, clock: t.clock },
  );
  await expect(booting).rejects.toThrow('ADMIN_EMAIL belongs to a non-admin account');
  expect(closedLines(logger.lines)).toEqual(['outbox deliverer', 'store']);
  await expect(t.container.store.ping()).rejects.toThrow();
  await t.close();
});
