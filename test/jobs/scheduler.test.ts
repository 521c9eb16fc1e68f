import { afterAll, afterEach, beforeAll, expect, jest, test } from 'bun:test';
import { startJobs } from '../../src/jobs/index.ts';
import { buildTestApp, type TestApp } from '../support/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());
afterEach(() => {
  jest.useRealTimers();
});

/** Lets the promise chains a timer started run to their next await. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

test('a slow run is never overlapped: ticks that come while it runs start nothing; the next tick after it ends does', async () => {
  // Croner's timers and clock are Bun's fake ones: time moves only when the test says so.
  jest.useFakeTimers();
  let concurrent = 0;
  let maxConcurrent = 0;
  const release: (() => void)[] = [];
  const jobs = startJobs(t.container, [
    {
      name: 'slow',
      everySeconds: 1,
      run: async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise<void>((resolve) => release.push(resolve));
        concurrent--;
        throw new Error(`boom ${release.length}`);
      },
    },
  ]);
  jest.advanceTimersByTime(1_500);
  await settle();
  expect(release.length).toBe(1);

  // Ten more ticks while the first run is held open: none starts a run.
  for (let tick = 0; tick < 10; tick++) {
    jest.advanceTimersByTime(1_000);
    await settle();
  }
  expect({ started: release.length, concurrent, maxConcurrent }).toEqual({
    started: 1,
    concurrent: 1,
    maxConcurrent: 1,
  });

  release[0]!();
  await settle();
  expect(concurrent).toBe(0);
  jest.advanceTimersByTime(1_000);
  await settle();
  expect({ started: release.length, concurrent, maxConcurrent }).toEqual({
    started: 2,
    concurrent: 1,
    maxConcurrent: 1,
  });

  // stop() waits for the run in flight, and no tick starts another afterwards.
  let stopped = false;
  const stopping = jobs.stop().then(() => {
    stopped = true;
  });
  await settle();
  expect(stopped).toBe(false);
  release[1]!();
  await stopping;
  expect(concurrent).toBe(0);
  jest.advanceTimersByTime(5_000);
  await settle();
  expect(release.length).toBe(2);

  // Each failed run is logged with its job and error.
  const failures = t.logger.lines
    .filter((l) => l.msg === 'job failed' && l.job === 'slow')
    .map((l) => l.error);
  expect(failures).toEqual(['boom 1', 'boom 2']);
});
