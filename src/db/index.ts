import { exposedFiles } from '../shared/private-files.ts';
import { Store } from './collection.ts';
import { SqliteEngine } from './sqlite/engine.ts';
import type { CollectionDef, Engine } from './types.ts';

export { Collection, defineCollection, Store } from './collection.ts';
export {
  DocumentValidationError,
  DuplicateKeyError,
  isDuplicateOn,
  QueryError,
  StoreError,
} from './errors.ts';
export type * from './types.ts';
export { isoOf } from './types.ts';

export interface OpenStoreOptions {
  /** Called with each sentence worth logging at boot (transactions unavailable, a store file others can read). */
  onNotice?: (message: string) => void;
  /** MongoDB: how long an operation waits for a usable server (the driver's default is 30 s). */
  serverSelectionTimeoutMS?: number;
}

/** Opens the engine the URL names, creates collections and indexes, and returns the store. */
export async function openStore(
  url: string,
  defs: CollectionDef[],
  options: OpenStoreOptions = {},
): Promise<Store> {
  let engine: Engine;
  if (url.startsWith('sqlite:')) engine = new SqliteEngine(url);
  else if (url.startsWith('mongodb://') || url.startsWith('mongodb+srv://')) {
    const { MongoEngine } = await import('./mongo/engine.ts');
    engine = await MongoEngine.connect(url, options);
  } else throw new Error('DATABASE_URL must start with sqlite:, mongodb:// or mongodb+srv://');
  await engine.init(defs);
  if (engine instanceof SqliteEngine) {
    // After the first write, so a -wal or -shm that SQLite made to match a too-open database is named too.
    for (const file of exposedFiles(engine.files)) options.onNotice?.(file.message);
  }
  return new Store(engine);
}
