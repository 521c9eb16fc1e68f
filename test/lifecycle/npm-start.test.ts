import { afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { ServerProcess } from './server-process.ts';

const started: ServerProcess[] = [];
const leftovers: number[] = [];
afterEach(async () => {
  // A server an unforwarded signal left behind is this test's own child's child: end it by its id.
  for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

const alive = (pid: number): boolean => {
  try {
    // A zombie has exited; only its parent has yet to collect it.
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

const isServer = (pid: number): boolean => {
  try {
    // `bun src/main.ts` itself, not a shell running it (`sh -c "bun src/main.ts"`).
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('src/main.ts');
  } catch {
    return false;
  }
};

describe('npm start, as the README runs it', () => {
  test.each(['SIGTERM', 'SIGINT'] as const)(
    '%s to the npm process stops the server gracefully: no orphan, the port closed',
    async (signal) => {
      const server = await ServerProcess.start({}, { npm: true });
      started.push(server);
      const serverPids = server.descendants().filter(isServer);
      expect(serverPids).toHaveLength(1);
      const [bunPid] = serverPids as [number];
      leftovers.push(bunPid);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);

      server.proc.kill(signal);
      await server.proc.exited;
      await server.waitFor((line) => line.msg === 'stopped', 'stopped');
      expect(server.lines.find((line) => line.msg === 'shutting down')?.signal).toBe(signal);
      expect(alive(bunPid)).toBe(false);
      await expect(fetch(`${server.url}/health`)).rejects.toThrow();
    },
    20_000,
  );
});
