import { afterAll } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
const removeAll = () => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
};
try {
  // Preloaded (bunfig.toml), so this hook runs once, after every test file of the run.
  afterAll(removeAll);
} catch {
  // Imported by a script outside `bun test` (which runs no exit hooks, so it needs the one above).
  process.on('exit', removeAll);
}

/** A fresh folder under the system's temporary folder, removed once the whole test run is over. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
