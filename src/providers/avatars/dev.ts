import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../../shared/private-files.ts';
import type { AvatarProvider, AvatarUpload, StoredAvatar } from './port.ts';

/** Where the app serves dev avatars (see the media route). */
export const DEV_AVATAR_ROUTE = '/media/avatars';
/** The folder of `DATA_DIR` the dev avatars live in. */
export const DEV_AVATAR_DIRECTORY = 'avatars';
export const DEV_AVATAR_FILE = /^[A-Za-z0-9_-]{1,100}\.(jpg|png|webp)$/;

/**
 * Keeps avatars as private files (0600, in a 0700 directory) under `<DATA_DIR>/avatars`, served by the app
 * itself. Its URLs are relative to the server (`/media/avatars/...`); responses make them absolute (see
 * shared/public-urls.ts).
 */
export class DevAvatarProvider implements AvatarProvider {
  readonly kind = 'dev' as const;
  readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, DEV_AVATAR_DIRECTORY);
  }

  async put(upload: AvatarUpload): Promise<StoredAvatar> {
    if (!DEV_AVATAR_FILE.test(upload.fileName)) throw new Error('Unsafe avatar file name');
    ensurePrivateDir(this.directory);
    await writePrivateFile(join(this.directory, upload.fileName), upload.bytes);
    return {
      url: `${DEV_AVATAR_ROUTE}/${upload.fileName}`,
      fileId: upload.fileName,
    };
  }

  async remove(fileId: string): Promise<void> {
    if (!DEV_AVATAR_FILE.test(fileId)) return;
    await rm(join(this.directory, basename(fileId)), { force: true });
  }

  /** The file behind a served name, or null if the name is not one of ours. */
  file(name: string): Bun.BunFile | null {
    return DEV_AVATAR_FILE.test(name) ? Bun.file(join(this.directory, name)) : null;
  }
}
