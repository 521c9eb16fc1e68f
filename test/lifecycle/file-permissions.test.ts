import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Users } from '../../src/modules/users/users.model.ts';
import { buildTestApp } from '../support/app.ts';
import { createUser } from '../support/factories.ts';
import { imageFile, PNG_1X1 } from '../support/images.ts';

const root = mkdtempSync(join(tmpdir(), 'hv-modes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const modeOf = (path: string): string => `0${(statSync(path).mode & 0o777).toString(8)}`;

/** With `umask` in force for the whole boot and first writes; the process umask is restored after. */
async function withUmask<R>(umask: number, run: () => Promise<R>): Promise<R> {
  const previous = process.umask(umask);
  try {
    return await run();
  } finally {
    process.umask(previous);
  }
}

/** The app on a file store in `dataDir`, with the dev JWT secret (JWT_SECRET and DATABASE_URL unset). */
const bootOn = (dataDir: string) => buildTestApp({ DATA_DIR: dataDir, DATABASE_URL: '', JWT_SECRET: '' });

const exposedWarnings = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => line.level === 'warn' && String(line.msg).includes('other local users can read it'));

describe.each([
  ['022', 0o022],
  ['000', 0o000],
])('under umask %s', (_name, umask) => {
  test('DATA_DIR is created 0700; the store, its WAL, the JWT secret and dev avatars 0600', async () => {
    const dataDir = join(root, `fresh-${_name}`, 'data');
    const t = await withUmask(umask, async () => {
      const t = await bootOn(dataDir);
      const { accessToken, user } = await createUser(t, { role: 'patient' });
      const form = new FormData();
      form.append('avatar', imageFile(PNG_1X1, 'me.png', 'image/png'));
      const res = await t.call('PUT', '/api/v1/me/avatar', { token: accessToken, body: form });
      expect(res.status).toBe(200);
      expect((await t.container.store.collection(Users).findById(user.id))?.avatarFileId).toBeString();
      return t;
    });
    try {
      const avatars = join(dataDir, 'avatars');
      const [avatar] = readdirSync(avatars);
      expect({
        dataDir: modeOf(dataDir),
        parent: modeOf(join(dataDir, '..')),
        secret: modeOf(join(dataDir, 'jwt-secret')),
        store: modeOf(join(dataDir, 'healthvision.sqlite')),
        wal: modeOf(join(dataDir, 'healthvision.sqlite-wal')),
        shm: modeOf(join(dataDir, 'healthvision.sqlite-shm')),
        avatars: modeOf(avatars),
        avatar: modeOf(join(avatars, avatar!)),
      }).toEqual({
        dataDir: '0700',
        parent: '0700',
        secret: '0600',
        store: '0600',
        wal: '0600',
        shm: '0600',
        avatars: '0700',
        avatar: '0600',
      });
      expect(exposedWarnings(t.logger.lines)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

test('boot warns, one line each, about a DATA_DIR or file that others can read, and leaves its mode alone', async () => {
  const dataDir = join(root, 'existing');
  mkdirSync(join(dataDir, 'avatars'), { recursive: true });
  chmodSync(dataDir, 0o755);
  chmodSync(join(dataDir, 'avatars'), 0o750);
  writeFileSync(join(dataDir, 'jwt-secret'), 'an-old-dev-secret-that-is-long-enough-0123456789');
  chmodSync(join(dataDir, 'jwt-secret'), 0o644);
  const store = join(dataDir, 'healthvision.sqlite');
  writeFileSync(store, '');
  chmodSync(store, 0o644);

  const t = await withUmask(0o022, () => bootOn(dataDir));
  try {
    await createUser(t, { role: 'patient' });
    const warned = exposedWarnings(t.logger.lines).map((line) => line.msg);
    expect(warned.sort()).toEqual(
      [
        `${dataDir} has mode 0755, wider than 0700: other local users can read it (run chmod 700 ${dataDir})`,
        `${join(dataDir, 'jwt-secret')} has mode 0644, wider than 0600: other local users can read it (run chmod 600 ${join(dataDir, 'jwt-secret')})`,
        `${join(dataDir, 'avatars')} has mode 0750, wider than 0700: other local users can read it (run chmod 700 ${join(dataDir, 'avatars')})`,
        `${store} has mode 0644, wider than 0600: other local users can read it (run chmod 600 ${store})`,
        // SQLite gives its WAL and shared-memory files the database file's mode.
        `${store}-wal has mode 0644, wider than 0600: other local users can read it (run chmod 600 ${store}-wal)`,
        `${store}-shm has mode 0644, wider than 0600: other local users can read it (run chmod 600 ${store}-shm)`,
      ].sort(),
    );
    expect(modeOf(dataDir)).toBe('0755');
    expect(modeOf(store)).toBe('0644');
  } finally {
    await t.close();
  }
});

test('a private DATA_DIR that already exists gives no warning', async () => {
  const dataDir = join(root, 'private');
  mkdirSync(dataDir, { mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const t = await withUmask(0o022, () => bootOn(dataDir));
  try {
    await createUser(t, { role: 'patient' });
    expect(exposedWarnings(t.logger.lines)).toEqual([]);
  } finally {
    await t.close();
  }
  const again = await withUmask(0o022, () => bootOn(dataDir));
  try {
    expect(exposedWarnings(again.logger.lines)).toEqual([]);
    expect(modeOf(join(dataDir, 'healthvision.sqlite-wal'))).toBe('0600');
  } finally {
    await again.close();
  }
});
