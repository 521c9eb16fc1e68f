import { afterAll, beforeAll, expect, test } from 'bun:test';
import { startJobs } from '../../src/jobs/index.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

test('a job runs on its period, never overlaps itself, logs failures, and stop() waits for the run in flight', async () => {
  let runs = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  let firstRun!: () => void;
  const started = new Promise<void>((resolve) => {
    firstRun = resolve;
  });
  let finishRun!: () => void;
  const jobs = startJobs(t.container, [
    {
      name: 'slow',
      everySeconds: 1,
      run: async () => {
        runs++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        firstRun();
        await new Promise<void>((resolve) => {
          finishRun = resolve;
        });
        concurrent--;
        throw new Error('boom');
      },
    },
  ]);
  await started;
  let stopped = false;
  const stopping = jobs.stop().then(() => {
    stopped = true;
  });
  await Promise.resolve();
  expect(stopped).toBe(false);
  finishRun();
  await stopping;
  expect(runs).toBe(1);
  expect(maxConcurrent).toBe(1);
  expect(t.logger.lines.some((l) => l.msg === 'job failed' && l.job === 'slow' && l.error === 'boom')).toBe(
    true,
  );
});
