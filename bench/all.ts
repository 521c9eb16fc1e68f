/**
 * `bun run bench` / `npm run bench`: both benchmarks in turn, each given the same options
 * (`npm run bench -- --quick`), which a `a && b` script would pass to the last one only.
 */
import { join } from 'node:path';

for (const script of ['run.ts', 'booking.ts']) {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, script), ...Bun.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit'],
  });
  const code = await child.exited;
  if (code !== 0) process.exit(code);
}
