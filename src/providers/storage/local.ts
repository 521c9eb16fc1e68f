import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../../shared/private-files.ts';
import { type FileDownload, type ReportStorage, randomStorageKey, type StoredFile } from './port.ts';

/** The folder of `DATA_DIR` report files live in; never served statically. */
export const LOCAL_REPORTS_DIRECTORY = 'reports';
const KEY = /^[0-9a-f]{32}$/;

/** Report files as private files (0600 in a 0700 directory) under `<DATA_DIR>/reports`, streamed by the app. */
export class LocalReportStorage implements ReportStorage {
  readonly kind = 'local' as const;
  readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, LOCAL_REPORTS_DIRECTORY);
  }

  async put(file: { bytes: Uint8Array }): Promise<StoredFile> {
    ensurePrivateDir(this.directory);
    const key = randomStorageKey();
    await writePrivateFile(this.path(key), file.bytes);
    return { key };
  }

  async read(key: string): Promise<Uint8Array> {
    return new Uint8Array(await Bun.file(this.path(key)).arrayBuffer());
  }

  async download(key: string): Promise<FileDownload> {
    const file = Bun.file(this.path(key));
    if (!(await file.exists())) throw new Error('the report file is missing');
    return { stream: file };
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** The keys on disk (tests assert that a deleted report leaves no file behind). */
  async keys(): Promise<string[]> {
    try {
      return (await readdir(this.directory)).filter((name) => KEY.test(name));
    } catch {
      return [];
    }
  }

  private path(key: string): string {
    if (!KEY.test(key)) throw new Error('Not a report storage key');
    return join(this.directory, key);
  }
}
