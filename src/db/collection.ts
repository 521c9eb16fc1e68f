import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { newId } from '../shared/ids.ts';
import { decodeCursor, encodeCursor, InvalidCursorError, keysetFilter, normalizeSort } from './cursor.ts';
import { type DocumentIssue, DocumentValidationError, QueryError } from './errors.ts';
import { FilterRules, nestedPaths } from './filter-rules.ts';
import { buildDateReviver, checkerFor, issuesOf, kindOf, schemasAt } from './schema.ts';
import type {
  BaseDoc,
  CollectionDef,
  Engine,
  EngineCollection,
  Filter,
  FindOptions,
  IndexSpec,
  Page,
  SortSpec,
  Stored,
  Update,
} from './types.ts';

export function defineCollection<S extends TObject>(def: {
  name: string;
  schema: S;
  indexes?: IndexSpec[];
}): CollectionDef<S> {
  if (!/^[a-z][a-z0-9_]*$/.test(def.name))
    throw new Error(`Collection name "${def.name}" must be snake_case`);
  if (!def.schema.properties._id) throw new Error(`Collection ${def.name} schema must declare _id`);
  for (const index of def.indexes ?? []) {
    if (index.name !== undefined && !index.name.startsWith(`${def.name}__`)) {
      // The engines reconcile indexes at boot by this prefix: theirs are left alone, ours kept in step.
      throw new Error(`Index ${index.name} of ${def.name} must be named ${def.name}__<something>`);
    }
    if (index.partial) checkPortablePartial(def.name, index.partial);
  }
  return { name: def.name, schema: def.schema, indexes: def.indexes ?? [] };
}

const isPortableValue = (value: unknown): boolean =>
  typeof value === 'string' ||
  typeof value === 'number' ||
  typeof value === 'boolean' ||
  value instanceof Date;

/**
 * Partial index filters every MongoDB-compatible server accepts (MongoDB before FCV 6.0, DocumentDB,
 * Cosmos DB): equality with a value, `$exists: true`, and `$and` at the top level. `$in` and `$or` need
 * FCV 6.0, and SQLite would take anything, so a filter that only works on some servers fails here, at once.
 */
function checkPortablePartial(collection: string, partial: Filter): void {
  const refuse = (why: string): never => {
    throw new Error(`Partial filter of an index on ${collection}: ${why}`);
  };
  const checkClause = (clause: Filter, topLevel: boolean): void => {
    for (const [key, value] of Object.entries(clause)) {
      if (key === '$and' && topLevel) {
        if (!Array.isArray(value) || value.length === 0) refuse('$and needs a non-empty array');
        for (const part of value as Filter[]) checkClause(part, false);
      } else if (key.startsWith('$')) refuse(`${key} is not allowed (only equality, $exists: true, $and)`);
      else if (isPortableValue(value)) continue;
      else if (value && typeof value === 'object' && Object.keys(value).length === 1) {
        const [[op, operand]] = Object.entries(value) as [[string, unknown]];
        if (!((op === '$eq' && isPortableValue(operand)) || (op === '$exists' && operand === true))) {
          refuse(`${key}: ${op} is not allowed (only equality with a value or $exists: true)`);
        }
      } else refuse(`${key}: only equality with a value or $exists: true`);
    }
  };
  checkClause(partial, true);
}

export type InsertDoc<T extends BaseDoc> = Omit<T, '_id'> & { _id?: string };

const MAX_LIMIT = 1000;
/** The update operators both engines apply alike. */
const UPDATE_OPERATORS = new Set(['$set', '$unset', '$inc', '$push']);

/** One collection over any engine: validation, ids and cursors live here once. */
export class Collection<S extends TObject, T extends BaseDoc = Static<S> & BaseDoc> {
  private readonly check;
  private readonly rules: FilterRules;
  private revive: ((doc: unknown) => unknown) | undefined;
  /** What each updated path denotes in the schema; only schema paths are kept, so it stays small. */
  private readonly targets = new Map<string, ReturnType<typeof schemasAt>>();

  constructor(
    readonly def: CollectionDef<S>,
    private readonly engine: EngineCollection,
  ) {
    this.check = checkerFor(def.schema);
    this.rules = new FilterRules(def.name, def.schema);
  }

  get name(): string {
    return this.def.name;
  }

  private validate(doc: unknown): void {
    if (!this.check.Check(doc)) throw new DocumentValidationError(this.def.name, issuesOf(this.check, doc));
  }

  async insertOne(doc: InsertDoc<T>): Promise<T> {
    const [inserted] = await this.insertMany([doc]);
    return inserted!;
  }

  async insertMany(docs: InsertDoc<T>[]): Promise<T[]> {
    const prepared = docs.map((doc) => ({ ...doc, _id: doc._id ?? newId() }) as unknown as T);
    for (const doc of prepared) this.validate(doc);
    if (prepared.length) await this.engine.insertMany(prepared);
    return prepared;
  }

  /**
   * By primary key; with `stored`, in the document's JSON form (dates as the ISO strings `toISOString`
   * writes, no `Date` built), for reads that go out as JSON or are compared as text at once.
   */
  findById(id: string): Promise<T | null>;
  findById(id: string, options: { stored: true }): Promise<Stored<T> | null>;
  findById(id: string, options?: { stored: true }): Promise<T | Stored<T> | null> {
    return this.engine.findOne({ _id: id }, undefined, options?.stored === true) as Promise<
      T | Stored<T> | null
    >;
  }

  /** The first match in the sort, ties (and no sort at all) broken by `_id`, so both engines pick the same. */
  async findOne(filter: Filter, options: { sort?: SortSpec } = {}): Promise<T | null> {
    this.rules.check(filter);
    return (await this.engine.findOne(filter, normalizeSort(options.sort))) as T | null;
  }

  /**
   * A page (as below) in the documents' JSON form (dates as ISO strings, no `Date` built), for pages that go
   * out as JSON at once: a listing of 100 skips building and formatting 500 dates.
   */
  find(filter: Filter, options: FindOptions & { limit: number; stored: true }): Promise<Page<Stored<T>>>;
  /** A page of matches in a total order (the sort plus `_id`), resumable from `nextCursor`. */
  find(filter: Filter, options?: FindOptions): Promise<Page<T>>;
  async find(
    filter: Filter,
    options: FindOptions & { stored?: boolean } = {},
  ): Promise<Page<T> | Page<Stored<T>>> {
    this.rules.check(filter);
    const sort = normalizeSort(options.sort);
    const limit =
      options.limit === undefined ? undefined : Math.min(Math.max(1, Math.floor(options.limit)), MAX_LIMIT);
    let effective = filter;
    if (options.cursor) {
      const after = decodeCursor(options.cursor, sort);
      this.checkCursorValues(sort, after);
      effective = { $and: [filter, keysetFilter(sort, after)] };
    }
    if (limit === undefined)
      return { items: (await this.engine.find(effective, sort)) as T[], nextCursor: null };
    const stored = options.stored === true;
    const page = await this.engine.findPage(effective, sort, limit, stored);
    const items = page.docs as T[];
    const last = items.at(-1);
    if (!page.hasMore || !last) return { items, nextCursor: null };
    // The cursor holds the last document's sort values as the types they are, dates as dates.
    this.revive ??= buildDateReviver(this.def.schema) ?? ((doc) => doc);
    const typed = stored ? (this.revive(JSON.parse(JSON.stringify(last))) as T) : last;
    return { items, nextCursor: encodeCursor(sort, typed) };
  }

  /** A well-formed cursor can still be forged: each value must be one its sort field can hold. */
  private checkCursorValues(sort: SortSpec, values: unknown[]): void {
    Object.keys(sort).forEach((path, i) => {
      const value = values[i];
      const fits = schemasAt(this.def.schema, path).some(({ schema, optional }) =>
        value === null ? optional : checkerFor(schema).Check(value),
      );
      if (!fits) throw new InvalidCursorError();
    });
  }

  async findAll(filter: Filter, options: { sort?: SortSpec; limit?: number } = {}): Promise<T[]> {
    this.rules.check(filter);
    return (await this.engine.find(filter, normalizeSort(options.sort), options.limit)) as T[];
  }

  async count(filter: Filter = {}): Promise<number> {
    this.rules.check(filter);
    return this.engine.count(filter);
  }

  /** Applies the update to the first match; false when nothing matched the (conditional) filter. */
  async updateOne(filter: Filter, update: Update): Promise<boolean> {
    this.rules.check(filter);
    this.validateUpdate(update);
    return (await this.engine.updateOne(filter, update, false)) as boolean;
  }

  /** Conditional update returning the document as it is after the update, or null when nothing matched. */
  async findOneAndUpdate(filter: Filter, update: Update): Promise<T | null> {
    this.rules.check(filter);
    this.validateUpdate(update);
    return (await this.engine.updateOne(filter, update, true)) as T | null;
  }

  async deleteOne(filter: Filter): Promise<boolean> {
    this.rules.check(filter);
    return this.engine.deleteOne(filter);
  }

  /** Deletes every match (housekeeping of expired records); returns how many went. */
  async deleteMany(filter: Filter): Promise<number> {
    this.rules.check(filter);
    return this.engine.deleteMany(filter);
  }

  private targetsAt(path: string): ReturnType<typeof schemasAt> {
    let targets = this.targets.get(path);
    if (targets === undefined) {
      targets = schemasAt(this.def.schema, path);
      if (targets.length) this.targets.set(path, targets);
    }
    return targets;
  }

  private validateUpdate(update: Update): void {
    const issues: DocumentIssue[] = [];
    const seen = new Set<string>();
    const operators = Object.keys(update);
    if (operators.length === 0) throw new QueryError('An update needs at least one operator');
    let dotted = false;
    for (const op of operators) {
      if (!UPDATE_OPERATORS.has(op)) {
        throw new QueryError(`Unsupported update operator ${op}`);
      }
      const fields = (update as Record<string, Record<string, unknown>>)[op] ?? {};
      for (const [path, value] of Object.entries(fields)) {
        if (path === '_id' || path.startsWith('_id.')) issues.push({ path, message: '_id cannot change' });
        if (seen.has(path)) issues.push({ path, message: 'updated by two operators' });
        seen.add(path);
        if (path.includes('.')) dotted = true;
        const targets = this.targetsAt(path);
        if (targets.length === 0) {
          issues.push({ path, message: 'not a field of this collection' });
          continue;
        }
        const accepts = (candidate: unknown, pick: (s: TSchema) => TSchema | null): boolean =>
          targets.some(({ schema }) => {
            const target = pick(schema);
            return target !== null && checkerFor(target).Check(candidate);
          });
        if (op === '$set' && !accepts(value, (s) => s)) {
          issues.push({ path, message: 'value does not match the field schema' });
        } else if (op === '$unset' && !targets.some((t) => t.optional)) {
          issues.push({ path, message: 'a required field cannot be unset' });
        } else if (op === '$inc') {
          const numeric = targets.some(({ schema }) => ['Number', 'Integer'].includes(kindOf(schema)));
          const integer = targets.every(({ schema }) => kindOf(schema) === 'Integer');
          if (
            typeof value !== 'number' ||
            !Number.isFinite(value) ||
            !numeric ||
            (integer && !Number.isInteger(value))
          ) {
            issues.push({ path, message: 'can only increment a numeric field by a matching number' });
          }
        } else if (
          op === '$push' &&
          !accepts(value, (s) => (kindOf(s) === 'Array' ? (s.items as TSchema) : null))
        ) {
          issues.push({ path, message: 'pushed value does not match the array item schema' });
        }
      }
    }
    // MongoDB refuses an update that changes a path and a path inside it; SQLite would apply both. Only a
    // dotted path can be inside another.
    if (dotted)
      for (const { path, inside } of nestedPaths(seen)) {
        issues.push({ path, message: `overlaps ${inside}, which the same update changes` });
      }
    if (issues.length) throw new DocumentValidationError(this.def.name, issues);
  }
}

/** What repositories and services receive: collections plus multi-document transactions. */
export class Store {
  private readonly cache = new Map<string, Collection<TObject>>();
  /** The store over the last transaction's engine: SQLite reuses one, so its collections are built once. */
  private txStore: Store | undefined;

  constructor(readonly engine: Engine) {}

  get kind(): Engine['kind'] {
    return this.engine.kind;
  }

  collection<S extends TObject>(def: CollectionDef<S>): Collection<S> {
    let collection = this.cache.get(def.name);
    if (!collection) {
      collection = new Collection(
        def as unknown as CollectionDef<TObject>,
        this.engine.collection(def as unknown as CollectionDef),
      );
      this.cache.set(def.name, collection);
    }
    return collection as unknown as Collection<S>;
  }

  /**
   * Runs `fn` atomically: every write through `tx` commits together or not at all. `fn` may run more than
   * once (MongoDB retries it after a write conflict or a transient error, discarding the attempt), so it
   * must touch nothing outside the store: build results inside it and return them, never push into
   * variables it closes over, send mail or call a gateway.
   */
  transaction<R>(fn: (tx: Store) => Promise<R>): Promise<R> {
    return this.engine.transaction((txEngine) => {
      if (txEngine === this.engine) return fn(this);
      if (this.txStore?.engine !== txEngine) this.txStore = new Store(txEngine);
      return fn(this.txStore);
    });
  }

  /** Resolves when the store answers; with `timeoutMs`, rejects once that long has passed without an answer. */
  async ping(timeoutMs?: number): Promise<void> {
    if (timeoutMs === undefined) return this.engine.ping();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`The store did not answer a ping within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.engine.ping(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
