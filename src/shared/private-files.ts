import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';

/**
 * Files the server keeps (the store and its WAL, the dev JWT secret, dev avatars) hold password hashes,
 * token hashes and live sign-in codes: only the server's own user may read them. Modes are set with
 * chmod after creating, so the process umask (022 by default) can neither widen nor narrow them.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/** Creates `path` and any missing parents, each new one 0700; a directory already there is left as is. */
export function ensurePrivateDir(path: string): void {
  const first = mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  const target = resolve(path);
  let current = resolve(first);
  chmodSync(current, PRIVATE_DIR_MODE);
  for (const part of relative(current, target).split(sep).filter(Boolean)) {
    current = `${current}${sep}${part}`;
    chmodSync(current, PRIVATE_DIR_MODE);
  }
}

/** Creates an empty 0600 file at `path` (and its directory, 0700) unless something is already there. */
export function ensurePrivateFile(path: string): void {
  ensurePrivateDir(dirname(path));
  let fd: number;
  try {
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  closeSync(fd);
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Writes `bytes` to `path` as a 0600 file. */
export async function writePrivateFile(path: string, bytes: Uint8Array | string): Promise<void> {
  await writeFile(path, bytes, { mode: PRIVATE_FILE_MODE });
  await chmod(path, PRIVATE_FILE_MODE);
}

export interface ExposedFile {
  path: string;
  /** Its mode, e.g. `0644`. */
  mode: string;
  /** One line for the boot log, naming the file, its mode and the fix. */
  message: string;
}

/**
 * Each of `paths` that exists with more access than a private directory (0700) or file (0600) allows,
 * so that group or others may read it. Missing paths are skipped.
 */
export function exposedFiles(paths: readonly string[]): ExposedFile[] {
  const exposed: ExposedFile[] = [];
  for (const path of paths) {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      continue;
    }
    const allowed = stat.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    if ((stat.mode & 0o777 & ~allowed) === 0) continue;
    const mode = octal(stat.mode);
    const wanted = octal(allowed);
    exposed.push({
      path,
      mode,
      message: `${path} has mode ${mode}, wider than ${wanted}: other local users can read it (run chmod ${wanted.slice(1)} ${path})`,
    });
  }
  return exposed;
}
