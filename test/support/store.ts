import { openStore, Store } from '../../src/db/index.ts';
import type { MongoEngine } from '../../src/db/mongo/engine.ts';
import type { CollectionDef } from '../../src/db/types.ts';

export interface TestStore {
  store: Store;
  /** Closes the store and throws away everything it wrote. */
  dispose(): Promise<void>;
}

export interface OpenOptions {
  /** MongoDB: add `readPreference=secondaryPreferred` to the URL, as a deployment might. */
  preferSecondaries?: boolean;
}

export interface TestEngine {
  kind: 'sqlite' | 'mongodb';
  open(defs: CollectionDef[], options?: OpenOptions): Promise<TestStore>;
}

const uniqueSuffix = (): string => `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

/** The same URL pointing at another database. */
const withDatabase = (url: string, database: string): string => {
  const [base = '', query] = url.split('?');
  const hostsEnd = base.indexOf('/', base.indexOf('//') + 2);
  const hosts = hostsEnd === -1 ? base : base.slice(0, hostsEnd);
  return `${hosts}/${database}${query === undefined ? '' : `?${query}`}`;
};

const sqlite: TestEngine = {
  kind: 'sqlite',
  async open(defs) {
    const store = await openStore('sqlite::memory:', defs);
    return { store, dispose: () => store.close() };
  },
};

const mongodb = (url: string): TestEngine => ({
  kind: 'mongodb',
  async open(defs, options = {}) {
    // A database per store, so runs and files never see each other's documents.
    let storeUrl = withDatabase(url, `healthvision_test_${uniqueSuffix()}`);
    if (options.preferSecondaries)
      storeUrl += `${storeUrl.includes('?') ? '&' : '?'}readPreference=secondaryPreferred`;
    const store = await openStore(storeUrl, defs, { serverSelectionTimeoutMS: 5000 });
    return {
      store,
      async dispose() {
        await (store.engine as MongoEngine).db.dropDatabase();
        await store.close();
      },
    };
  },
});

/** SQLite always; MongoDB too when TEST_MONGODB_URI names a server (a replica set, for transactions). */
export function testEngines(): TestEngine[] {
  const mongoUrl = process.env.TEST_MONGODB_URI;
  return mongoUrl ? [sqlite, mongodb(mongoUrl)] : [sqlite];
}

class Rerun extends Error {}

/**
 * A store whose transactions run their function twice, the first attempt rolled back and thrown away, as
 * MongoDB's `withTransaction` does after a transient error (a write conflict). Code that keeps anything
 * from an attempt outside the store shows it twice.
 */
export class RerunningStore extends Store {
  /** How many transactions ran their function a second time. */
  reruns = 0;

  override async transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    try {
      await super.transaction(async (tx) => {
        await fn(tx);
        throw new Rerun('first attempt thrown away');
      });
    } catch (error) {
      if (!(error instanceof Rerun)) throw error;
    }
    this.reruns++;
    return super.transaction(fn);
  }
}
