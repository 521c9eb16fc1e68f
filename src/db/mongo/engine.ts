import {
  type ClientSession,
  type Db,
  type Document,
  type IndexDescription,
  MongoBulkWriteError,
  MongoClient,
  type Collection as MongoCollection,
  MongoServerError,
  ReadPreference,
  type TransactionOptions,
} from 'mongodb';
import { type DocumentIssue, DocumentValidationError, DuplicateKeyError } from '../errors.ts';
import { defaultIndexName, type IndexPlan, planIndexes } from '../indexes.ts';
import { schemasAt } from '../schema.ts';
import type {
  BaseDoc,
  CollectionDef,
  Engine,
  EngineCollection,
  Filter,
  IndexSpec,
  SortSpec,
  Update,
} from '../types.ts';
import { explainPrivilegeError, sameIndex, type Validation, validatorChanged } from './boot.ts';
import { toMongoJsonSchema } from './json-schema.ts';

const DUPLICATE_KEY = 11000;
const DOCUMENT_VALIDATION_FAILURE = 121;
const NAMESPACE_EXISTS = 48;
const INDEX_NOT_FOUND = 27;

/** The database named by the URL path (`mongodb://host/name?...`), or `healthvision`. */
export function mongoDatabaseName(url: string): string {
  const afterScheme = url.slice(url.indexOf('//') + 2);
  const slash = afterScheme.indexOf('/');
  const path = slash === -1 ? '' : (afterScheme.slice(slash + 1).split('?')[0] ?? '');
  return decodeURIComponent(path) || 'healthvision';
}

/** True when the path, or any object on the way to it, may be absent from a document. */
const mayBeMissing = (def: CollectionDef, path: string): boolean => {
  const segments = path.split('.');
  return segments.some((_, i) =>
    schemasAt(def.schema, segments.slice(0, i + 1).join('.')).some((t) => t.optional),
  );
};

/**
 * A unique index in Mongo treats a missing key as null, so two documents without it collide; SQLite
 * leaves them distinct. Indexing only documents that have every optional key gives both engines
 * SQLite's behaviour.
 */
function partialFilter(def: CollectionDef, index: IndexSpec): Document | undefined {
  // Flattened into one top-level $and: servers before FCV 6.0 refuse a nested one.
  const declared = index.partial;
  const clauses: Document[] = !declared
    ? []
    : Object.keys(declared).length === 1 && declared.$and
      ? [...declared.$and]
      : [declared];
  if (index.unique) {
    for (const path of Object.keys(index.keys)) {
      if (mayBeMissing(def, path)) clauses.push({ [path]: { $exists: true } });
    }
  }
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

export type NamedIndex = IndexDescription & { name: string };

/** The createIndexes specs for a collection's declared indexes. */
export function indexDescriptions(def: CollectionDef): NamedIndex[] {
  return def.indexes.map((index) => {
    const partialFilterExpression = partialFilter(def, index);
    return {
      key: index.keys,
      // The same names the SQLite engine gives, so a DuplicateKeyError names the same index on both.
      name: defaultIndexName(def.name, Object.keys(index.keys), index.name),
      ...(index.unique ? { unique: true } : {}),
      ...(partialFilterExpression ? { partialFilterExpression } : {}),
    };
  });
}

/**
 * Mongo's validator explains a failure as a tree of unsatisfied rules; flatten it into field issues.
 * Only field and rule names are copied: the refused value (`consideredValue`) may be patient data.
 */
function validationIssues(errInfo: Document | undefined): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  const at = (path: string[]): string => path.join('.') || '(root)';
  const walk = (node: unknown, path: string[]): void => {
    if (issues.length >= 20 || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) walk(child, path);
      return;
    }
    const rule = node as Record<string, unknown>;
    let here = path;
    if (typeof rule.propertyName === 'string') here = [...path, rule.propertyName];
    if (typeof rule.itemIndex === 'number') here = [...path, String(rule.itemIndex)];
    if (Array.isArray(rule.missingProperties)) {
      for (const key of rule.missingProperties)
        issues.push({ path: at([...here, String(key)]), message: 'is required' });
    }
    if (rule.operatorName === 'additionalProperties' && Array.isArray(rule.additionalProperties)) {
      for (const key of rule.additionalProperties)
        issues.push({ path: at([...here, String(key)]), message: 'is not allowed' });
    }
    if (typeof rule.reason === 'string') {
      issues.push({ path: at(here), message: `${String(rule.operatorName ?? 'rule')}: ${rule.reason}` });
    }
    for (const key of [
      'details',
      'schemaRulesNotSatisfied',
      'propertiesNotSatisfied',
      'schemasNotSatisfied',
      'itemsNotSatisfied',
    ]) {
      walk(rule[key], here);
    }
  };
  walk(errInfo?.details, []);
  return issues.length ? issues : [{ path: '(root)', message: 'rejected by the collection validator' }];
}

/** Driver errors the document layer names (as on SQLite); everything else is rethrown untouched (retry labels intact). */
export function translateError(collection: string, error: unknown): never {
  if (error instanceof MongoServerError) {
    const first = error instanceof MongoBulkWriteError ? [error.writeErrors].flat()[0] : undefined;
    const code = first?.code ?? error.code;
    if (code === DUPLICATE_KEY) {
      const message = first?.errmsg ?? error.errmsg ?? error.message;
      const index = /index: (\S+) dup key/.exec(message)?.[1];
      throw new DuplicateKeyError(collection, index === '_id_' ? '_id' : index);
    }
    if (code === DOCUMENT_VALIDATION_FAILURE) {
      throw new DocumentValidationError(collection, validationIssues(first?.errInfo ?? error.errInfo));
    }
  }
  throw error;
}

type Atomically = <R>(work: (session: ClientSession) => Promise<R>) => Promise<R>;

/** Documents as SQLite keeps them, their dates as the ISO strings `Date#toJSON` writes. */
const storedForm = <T>(value: T): T => JSON.parse(JSON.stringify(value));

class MongoEngineCollection implements EngineCollection {
  constructor(
    private readonly collection: MongoCollection<Document>,
    private readonly session: ClientSession | undefined,
    /** Outside a transaction, on servers that have them: how a batch insert is made all-or-nothing. */
    private readonly atomically?: Atomically,
  ) {}

  private get name(): string {
    return this.collection.collectionName;
  }

  async insertMany(docs: BaseDoc[]): Promise<void> {
    if (!this.session && this.atomically && docs.length > 1) {
      // An insertMany is atomic per document only; a transaction makes the batch all or nothing.
      const atomically = this.atomically;
      try {
        await atomically((session) =>
          this.collection.insertMany(docs as unknown as Document[], { ordered: true, session }),
        );
      } catch (error) {
        translateError(this.name, error);
      }
      return;
    }
    try {
      await this.collection.insertMany(docs as unknown as Document[], {
        ordered: true,
        session: this.session,
      });
    } catch (error) {
      // Standalone only: an ordered insert stops at the first failure but keeps what came before; undo it
      // so a refused batch writes nothing, as on SQLite. Inside a transaction the abort already does that.
      if (!this.session && error instanceof MongoBulkWriteError) {
        const failedAt = [error.writeErrors].flat()[0]?.index ?? 0;
        const written = docs.slice(0, failedAt).map((doc) => doc._id);
        if (written.length) await this.collection.deleteMany({ _id: { $in: written } } as Document);
      }
      translateError(this.name, error);
    }
  }

  async findOne(filter: Filter, sort?: SortSpec, stored = false): Promise<BaseDoc | null> {
    const doc = await this.collection.findOne(filter as Document, { sort, session: this.session });
    return (stored && doc ? storedForm(doc) : doc) as BaseDoc | null;
  }

  async find(filter: Filter, sort: SortSpec, limit?: number): Promise<BaseDoc[]> {
    // Mongo reads limit 0 as "no limit"; SQLite as "no rows".
    if (limit !== undefined && limit <= 0) return [];
    const cursor = this.collection.find(filter as Document, { sort, session: this.session });
    if (limit !== undefined) cursor.limit(limit);
    return (await cursor.toArray()) as unknown as BaseDoc[];
  }

  async findPage(
    filter: Filter,
    sort: SortSpec,
    limit: number,
    stored = false,
  ): Promise<{ docs: BaseDoc[]; hasMore: boolean }> {
    const found = await this.find(filter, sort, limit + 1);
    const hasMore = found.length > limit;
    const docs = hasMore ? found.slice(0, limit) : found;
    // The JSON form, exactly as the SQLite engine keeps (and returns) it.
    return { docs: stored ? storedForm(docs as BaseDoc[]) : docs, hasMore };
  }

  count(filter: Filter): Promise<number> {
    return this.collection.countDocuments(filter as Document, { session: this.session });
  }

  async updateOne(
    filter: Filter,
    update: Update,
    returnDocument: boolean,
  ): Promise<BaseDoc | boolean | null> {
    try {
      if (returnDocument) {
        const doc = await this.collection.findOneAndUpdate(filter as Document, update as Document, {
          returnDocument: 'after',
          includeResultMetadata: false,
          session: this.session,
        });
        return doc as BaseDoc | null;
      }
      const result = await this.collection.updateOne(filter as Document, update as Document, {
        session: this.session,
      });
      return result.matchedCount > 0;
    } catch (error) {
      translateError(this.name, error);
    }
  }

  async deleteOne(filter: Filter): Promise<boolean> {
    const result = await this.collection.deleteOne(filter as Document, { session: this.session });
    return result.deletedCount > 0;
  }

  async deleteMany(filter: Filter): Promise<number> {
    const result = await this.collection.deleteMany(filter as Document, { session: this.session });
    return result.deletedCount;
  }
}

export interface MongoConnectOptions {
  /** Called with a sentence worth logging (standalone server, an index rebuilt at boot). */
  onNotice?: (message: string) => void;
  /** How long an operation waits for a usable server before failing (MONGODB_SERVER_SELECTION_TIMEOUT_MS). */
  serverSelectionTimeoutMS?: number;
}

/** What a boot would change on the server; empty lists when the database already matches the code. */
export interface BootPlan {
  create: string[];
  validate: string[];
  indexes: Record<string, IndexPlan<NamedIndex>>;
}

const TRANSACTION: TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  // Transactions that read must read from the primary, whatever the URI prefers.
  readPreference: ReadPreference.PRIMARY,
};

const validationOf = (def: CollectionDef): Validation => ({
  validator: { $jsonSchema: toMongoJsonSchema(def.schema) },
  validationLevel: 'strict',
  validationAction: 'error',
});

/** MongoDB through the official driver: our filter and update language is Mongo's, passed through. */
export class MongoEngine implements Engine {
  readonly kind = 'mongodb' as const;
  readonly db: Db;
  private readonly collections = new Map<string, MongoEngineCollection>();

  private constructor(
    private readonly client: MongoClient,
    /** Transactions need a replica set or mongos; a standalone server refuses them. */
    readonly supportsTransactions: boolean,
    databaseName: string,
    private readonly onNotice: ((message: string) => void) | undefined,
  ) {
    // Every read of ours follows a write of ours (a count after an insert, a conditional write read back)
    // and transactions refuse any other read preference, so a URI's readPreference does not apply here.
    this.db = client.db(databaseName, { readPreference: ReadPreference.PRIMARY });
  }

  static async connect(url: string, options: MongoConnectOptions = {}): Promise<MongoEngine> {
    const client = new MongoClient(url, {
      // Leaving `undefined` fields out, as JSON does on SQLite, instead of writing them as null.
      ignoreUndefined: true,
      // An unreachable server fails boot and each request within seconds, not the driver's 30 s.
      ...(options.serverSelectionTimeoutMS === undefined
        ? {}
        : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS }),
    });
    try {
      await client.connect();
      const hello = await client.db('admin').command({ hello: 1 });
      const replicated = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
      if (!replicated) {
        options.onNotice?.(
          'MongoDB is running standalone: transactions need a replica set, so store.transaction() will fail.',
        );
      }
      return new MongoEngine(client, replicated, mongoDatabaseName(url), options.onNotice);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** What `init` would change: collections to create, validators to set, index plans. Reads only. */
  async plan(defs: CollectionDef[]): Promise<BootPlan> {
    const infos = new Map(
      (await this.db.listCollections({ type: 'collection' }).toArray()).map((info) => [info.name, info]),
    );
    const plan: BootPlan = { create: [], validate: [], indexes: {} };
    for (const def of defs) {
      const info = infos.get(def.name);
      const declared = indexDescriptions(def);
      if (!info) {
        plan.create.push(def.name);
        plan.indexes[def.name] = planIndexes(def.name, [], declared, sameIndex);
        continue;
      }
      if (validatorChanged((info as { options?: Document }).options, validationOf(def))) {
        plan.validate.push(def.name);
      }
      const existing = (await this.db.collection(def.name).listIndexes().toArray()) as (Document & {
        name: string;
      })[];
      plan.indexes[def.name] = planIndexes(def.name, existing, declared, sameIndex);
    }
    return plan;
  }

  /**
   * Brings the database in line with the definitions, changing only what differs, so a boot with
   * unchanged schemas needs no more than readWrite: a missing collection is created with its validator,
   * a changed validator is set with collMod, and our indexes are reconciled (changed ones rebuilt,
   * removed ones dropped; indexes we did not create are left alone).
   */
  async init(defs: CollectionDef[]): Promise<void> {
    const plan = await this.plan(defs);
    const database = this.db.databaseName;
    for (const def of defs) {
      const validation = validationOf(def);
      if (plan.create.includes(def.name)) {
        try {
          await this.db.createCollection(def.name, validation);
        } catch (error) {
          if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) {
            throw explainPrivilegeError(error, database, `create the collection ${def.name}`);
          }
          // Another instance created it first: its validator is ours unless that instance runs another schema.
          const [info] = await this.db.listCollections({ name: def.name }).toArray();
          if (validatorChanged((info as { options?: Document } | undefined)?.options, validation)) {
            plan.validate.push(def.name);
          }
        }
      }
      if (plan.validate.includes(def.name)) {
        try {
          await this.db.command({ collMod: def.name, ...validation });
        } catch (error) {
          throw explainPrivilegeError(error, database, `change the validator of ${def.name} (collMod)`);
        }
      }
      const indexes = plan.indexes[def.name]!;
      const collection = this.db.collection(def.name);
      for (const name of indexes.drop) {
        this.onNotice?.(`MongoDB: dropping index ${def.name}.${name}, no longer declared as it is`);
        try {
          await collection.dropIndex(name);
        } catch (error) {
          // Another instance booting at the same time dropped it first.
          if (!(error instanceof MongoServerError && error.code === INDEX_NOT_FOUND)) throw error;
        }
      }
      if (indexes.create.length) await collection.createIndexes(indexes.create);
    }
  }

  collection(def: CollectionDef): EngineCollection {
    let collection = this.collections.get(def.name);
    if (!collection) {
      collection = new MongoEngineCollection(
        this.db.collection(def.name),
        undefined,
        this.supportsTransactions ? (work) => this.atomically(work) : undefined,
      );
      this.collections.set(def.name, collection);
    }
    return collection;
  }

  async transaction<R>(fn: (tx: Engine) => Promise<R>): Promise<R> {
    if (!this.supportsTransactions) {
      throw new Error('MongoDB transactions need a replica set or mongos; this server is standalone');
    }
    return this.atomically((session) => fn(new MongoTxEngine(this.db, session)));
  }

  /**
   * Runs `work` in a transaction on a fresh session. `withTransaction` re-runs it after a transient error
   * (a write conflict, a primary stepping down) and retries an unknown commit result.
   */
  private atomically<R>(work: (session: ClientSession) => Promise<R>): Promise<R> {
    return this.client.withSession((session) => session.withTransaction(() => work(session), TRANSACTION));
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** The engine inside a transaction: every operation carries the session. */
class MongoTxEngine implements Engine {
  readonly kind = 'mongodb' as const;
  private readonly collections = new Map<string, MongoEngineCollection>();

  constructor(
    private readonly db: Db,
    private readonly session: ClientSession,
  ) {}

  async init(): Promise<void> {}

  collection(def: CollectionDef): EngineCollection {
    let collection = this.collections.get(def.name);
    if (!collection) {
      collection = new MongoEngineCollection(this.db.collection(def.name), this.session);
      this.collections.set(def.name, collection);
    }
    return collection;
  }

  transaction<R>(fn: (tx: Engine) => Promise<R>): Promise<R> {
    return fn(this);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
