import { Database, SQLiteError, type Statement } from 'bun:sqlite';
import { ensurePrivateFile } from '../../shared/private-files.ts';
import { DocumentValidationError, DuplicateKeyError, QueryError } from '../errors.ts';
import { defaultIndexName, planIndexes } from '../indexes.ts';
import { buildDateReviver, checkerFor, issuesOf, ResultChecks } from '../schema.ts';
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
import { Gate } from './gate.ts';
import {
  fieldExpr,
  filterShape,
  orderBy,
  type Param,
  partialFilterPaths,
  sortShape,
  storedDocJson,
  updateExpr,
  updateShape,
  WhereBuilder,
} from './sql.ts';

interface Row {
  id: string;
  doc: string;
}

/** `sqlite:./data/x.sqlite`, `sqlite:///abs/x.sqlite` or `sqlite::memory:` -> a filename for bun:sqlite. */
export function sqliteFilename(url: string): string {
  const rest = url.replace(/^sqlite:/, '');
  if (rest === ':memory:' || rest === '//:memory:') return ':memory:';
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

/** The CREATE INDEX statement of a declared index, exactly as SQLite keeps it in `sqlite_master.sql`. */
export function indexStatement(def: CollectionDef, index: IndexSpec): { name: string; sql: string } {
  const name = defaultIndexName(def.name, Object.keys(index.keys), index.name);
  const columns = Object.entries(index.keys)
    .map(([path, dir]) => `${fieldExpr(path)}${dir === -1 ? ' DESC' : ''}`)
    .join(', ');
  const partial = index.partial ? ` WHERE ${new WhereBuilder(true).build(index.partial)}` : '';
  return {
    name,
    sql: `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX "${name}" ON "${def.name}" (${columns})${partial}`,
  };
}

/** A filter with `_id` as its only key. */
const isOnlyId = (filter: Filter): boolean => {
  for (const key in filter) if (key !== '_id') return false;
  return true;
};

/** Statement texts kept per collection, by shape; bounded, since shapes may come from outside. */
const STATEMENT_CACHE = 256;

// biome-ignore lint/suspicious/noExplicitAny: rows differ by statement (documents, counts, none)
type AnyStatement = Statement<any, Param[]>;

/** No update values in front of the filter's. */
const NO_HEAD: { shape: string; params: Param[] } = { shape: '', params: [] };
/** A statement whose text depends on something without a shape: built every time. */
const UNCACHED: { shape: undefined; params: Param[] } = { shape: undefined, params: [] };

const sameParams = (a: Param[], b: Param[]): boolean =>
  a.length === b.length && a.every((p, i) => p === b[i]);

class SqliteCollection implements EngineCollection {
  private readonly revive;
  private readonly check;
  private readonly resultChecks: ResultChecks;
  /** Paths whose bound values SQLite plans with: those this collection's partial indexes name. */
  private readonly peeked: ReadonlySet<string>;
  private byId: Statement<Row, [string]> | undefined;
  private insert: Statement<never, [string, string]> | undefined;
  /**
   * Prepared statements by the shape of what built them (`filterShape`), so each shape's SQL is built and
   * prepared once, and found again without hashing its text as `db.query`'s own cache would.
   */
  private readonly statements = new Map<string, AnyStatement>();

  constructor(
    private readonly db: Database,
    private readonly def: CollectionDef,
    private readonly gate: Gate | null,
  ) {
    this.peeked = partialFilterPaths(def.indexes);
    this.revive = buildDateReviver(def.schema);
    this.check = checkerFor(def.schema);
    this.resultChecks = new ResultChecks(def.schema);
  }

  private get table(): string {
    return `"${this.def.name}"`;
  }

  private toDoc(row: Row | null, stored = false): BaseDoc | null {
    if (!row) return null;
    // `_id` is assigned after parsing rather than spread in front: copying every field costs more than
    // the parse. Stored documents never hold `_id` themselves (insertMany strips it).
    const doc = JSON.parse(row.doc) as BaseDoc;
    doc._id = row.id;
    return this.revive && !stored ? (this.revive(doc) as BaseDoc) : doc;
  }

  private translateError(error: unknown): never {
    if (error instanceof SQLiteError && /UNIQUE|PRIMARYKEY/.test(error.code ?? '')) {
      const index =
        /index '([^']+)'/.exec(error.message)?.[1] ??
        (error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? '_id' : undefined);
      throw new DuplicateKeyError(this.def.name, index);
    }
    throw error;
  }

  async insertMany(docs: BaseDoc[]): Promise<void> {
    if (this.gate?.busy) await this.gate.wait();
    this.insert ??= this.db.query<never, [string, string]>(
      `INSERT INTO ${this.table} (id, doc) VALUES (?, ?)`,
    );
    const insert = this.insert;
    const rows = docs.map((doc) => [doc._id, storedDocJson(doc)] as const);
    try {
      if (rows.length === 1) insert.run(rows[0]![0], rows[0]![1]);
      else
        this.db.transaction(() => {
          for (const [id, json] of rows) insert.run(id, json);
        })();
    } catch (error) {
      this.translateError(error);
    }
  }

  /**
   * The statement `sql` builds for `filter` (and `params` to run it with), its text built once per shape:
   * the same kind of statement, sort, limit, update shape and filter shape always build the same SQL.
   * `head` holds the update's values, bound before the filter's.
   */
  private prepared(
    kind: string,
    filter: Filter,
    head: { shape: string | undefined; params: Param[] },
    sql: (where: WhereBuilder, headParams: Param[]) => string,
  ): { statement: AnyStatement; params: Param[] } {
    const params = head.params.slice();
    const shape = head.shape === undefined ? undefined : filterShape(filter, params);
    const key = shape === undefined ? undefined : `${kind}|${head.shape}|${shape}`;
    const cached = key === undefined ? undefined : this.statements.get(key);
    if (cached !== undefined) return { statement: cached, params };
    const where = new WhereBuilder(false, this.peeked);
    const headParams: Param[] = [];
    const text = sql(where, headParams);
    const built = headParams.length ? [...headParams, ...where.params] : where.params;
    const statement: AnyStatement = this.db.query(text);
    // Kept only when the shape bound exactly what the builder did (always, unless the two ever part).
    if (key !== undefined && this.statements.size < STATEMENT_CACHE && sameParams(params, built)) {
      this.statements.set(key, statement);
    }
    return { statement, params: built };
  }

  private select(
    filter: Filter,
    sort: SortSpec | undefined,
    limit: number | undefined,
  ): { statement: AnyStatement; params: Param[] } {
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0))
      throw new QueryError('limit must be a whole number');
    // The sort and the limit are part of the statement's text, so of its key; an unknown sort path is built.
    const order = sortShape(sort);
    return this.prepared(
      `select ${order} ${limit ?? ''}`,
      filter,
      order === undefined ? UNCACHED : NO_HEAD,
      (where) => {
        // LIMIT is written into the SQL: a bound LIMIT makes SQLite re-prepare the statement on every run.
        const clause = where.build(filter);
        return `SELECT id, doc FROM ${this.table} WHERE ${clause}${sort ? orderBy(sort) : ''}${limit === undefined ? '' : ` LIMIT ${limit}`}`;
      },
    );
  }

  async findOne(filter: Filter, sort?: SortSpec, stored = false): Promise<BaseDoc | null> {
    if (this.gate?.busy) await this.gate.wait();
    const id = filter._id;
    // The commonest read, a bare `{ _id }`, skips building its SQL (and the statement cache lookup).
    if (typeof id === 'string' && sort === undefined && isOnlyId(filter)) {
      this.byId ??= this.db.query<Row, [string]>(`SELECT id, doc FROM ${this.table} WHERE id = ? LIMIT 1`);
      return this.toDoc(this.byId.get(id), stored);
    }
    const { statement, params } = this.select(filter, sort, 1);
    return this.toDoc(statement.get(...params), stored);
  }

  async find(filter: Filter, sort: SortSpec, limit?: number): Promise<BaseDoc[]> {
    if (this.gate?.busy) await this.gate.wait();
    const { statement, params } = this.select(filter, sort, limit);
    return (statement.all(...params) as Row[]).map((row) => this.toDoc(row)!);
  }

  async findPage(
    filter: Filter,
    sort: SortSpec,
    limit: number,
    stored = false,
  ): Promise<{ docs: BaseDoc[]; hasMore: boolean }> {
    if (this.gate?.busy) await this.gate.wait();
    // One row past the page says whether another page follows; it is read but never parsed.
    const { statement, params } = this.select(filter, sort, limit + 1);
    const rows = statement.all(...params) as Row[];
    const count = Math.min(rows.length, limit);
    const docs: BaseDoc[] = new Array(count);
    for (let i = 0; i < count; i++) docs[i] = this.toDoc(rows[i]!, stored)!;
    return { docs, hasMore: rows.length > limit };
  }

  async count(filter: Filter): Promise<number> {
    if (this.gate?.busy) await this.gate.wait();
    const { statement, params } = this.prepared(
      'count',
      filter,
      NO_HEAD,
      (where) => `SELECT COUNT(*) AS n FROM ${this.table} WHERE ${where.build(filter)}`,
    );
    return (statement.get(...params) as { n: number } | null)?.n ?? 0;
  }

  async updateOne(
    filter: Filter,
    update: Update,
    returnDocument: boolean,
  ): Promise<BaseDoc | boolean | null> {
    if (this.gate?.busy) await this.gate.wait();
    // Some updates can break the schema in ways the operands alone cannot show (a bound passed by $inc,
    // maxItems by $push, a parent object created without its required fields by a dotted path), as
    // Mongo's validator would see; those check the result and roll back.
    const verify = this.resultChecks.needed(update);
    // Without a document to return or check, the statement returns none: a row's text is not copied out.
    const returning = returnDocument || verify;
    const head: Param[] = [];
    const byId = typeof filter._id === 'string';
    const { statement, params } = this.prepared(
      `${byId ? 'update one' : 'update first'}${returning ? '' : ' bare'}`,
      filter,
      { shape: updateShape(update, head), params: head },
      (where, headParams) => {
        const expr = updateExpr(update, headParams);
        // An `_id` equality already names at most one row; anything else picks the first match.
        const target = byId
          ? where.build(filter)
          : `id = (SELECT id FROM ${this.table} WHERE ${where.build(filter)} LIMIT 1)`;
        return `UPDATE ${this.table} SET doc = ${expr} WHERE ${target}${returning ? ' RETURNING id, doc' : ''}`;
      },
    );
    try {
      if (!returning) return statement.run(...params).changes > 0;
      const run = (): Row | null => {
        // `all`, not `get`: a `get` leaves UPDATE ... RETURNING un-reset, its transaction open, and the WAL
        // can then never restart, growing by a page per update and slowing every later read.
        const row = (statement.all(...params)[0] as Row | undefined) ?? null;
        if (row && verify) {
          const doc = this.toDoc(row);
          if (!this.check.Check(doc))
            throw new DocumentValidationError(this.def.name, issuesOf(this.check, doc));
        }
        return row;
      };
      const row = verify ? this.db.transaction(run)() : run();
      if (!returnDocument) return row !== null;
      return this.toDoc(row);
    } catch (error) {
      this.translateError(error);
    }
  }

  async deleteOne(filter: Filter): Promise<boolean> {
    if (this.gate?.busy) await this.gate.wait();
    const byId = typeof filter._id === 'string';
    const { statement, params } = this.prepared(
      byId ? 'delete one' : 'delete first',
      filter,
      NO_HEAD,
      (where) => {
        const clause = where.build(filter);
        const target = byId ? clause : `id = (SELECT id FROM ${this.table} WHERE ${clause} LIMIT 1)`;
        return `DELETE FROM ${this.table} WHERE ${target}`;
      },
    );
    return statement.run(...params).changes > 0;
  }

  async deleteMany(filter: Filter): Promise<number> {
    if (this.gate?.busy) await this.gate.wait();
    const { statement, params } = this.prepared(
      'delete all',
      filter,
      NO_HEAD,
      (where) => `DELETE FROM ${this.table} WHERE ${where.build(filter)}`,
    );
    return statement.run(...params).changes;
  }
}

/** The embedded engine: one table per collection holding JSON documents, indexes on JSON expressions. */
export class SqliteEngine implements Engine {
  readonly kind = 'sqlite' as const;
  readonly db: Database;
  /** The database file and the WAL and shared-memory files beside it; none for an in-memory store. */
  readonly files: readonly string[];
  private readonly gate = new Gate();
  private readonly collections = new Map<string, SqliteCollection>();
  /** One view for every transaction (the gate lets one run at a time), so its collections are built once. */
  private txEngine: SqliteTxEngine | undefined;
  /** A transaction's own statements, prepared once: `db.run(text)` prepares its statement on every call. */
  private readonly control: { begin: Statement; commit: Statement; rollback: Statement };

  constructor(url: string) {
    const filename = sqliteFilename(url);
    this.files = filename === ':memory:' ? [] : [filename, `${filename}-wal`, `${filename}-shm`];
    // Made 0600 before SQLite opens it: SQLite then gives the -wal and -shm files the same mode.
    if (filename !== ':memory:') ensurePrivateFile(filename);
    this.db = new Database(filename, { create: true, strict: false });
    this.db.run('PRAGMA journal_mode = WAL');
    this.db.run('PRAGMA busy_timeout = 5000');
    this.db.run('PRAGMA synchronous = NORMAL');
    this.control = {
      begin: this.db.prepare('BEGIN IMMEDIATE'),
      commit: this.db.prepare('COMMIT'),
      rollback: this.db.prepare('ROLLBACK'),
    };
  }

  /** Creates missing tables; reconciles our indexes (changed ones rebuilt, removed ones dropped). */
  async init(defs: CollectionDef[]): Promise<void> {
    const existingIndexes = this.db.query<{ name: string; sql: string }, [string]>(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    );
    this.db.transaction(() => {
      for (const def of defs) {
        this.db.run(
          `CREATE TABLE IF NOT EXISTS "${def.name}" (id TEXT PRIMARY KEY NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID`,
        );
        const declared = def.indexes.map((index) => indexStatement(def, index));
        const plan = planIndexes(
          def.name,
          existingIndexes.all(def.name),
          declared,
          (a, b) => a.sql === b.sql,
        );
        for (const name of plan.drop) this.db.run(`DROP INDEX "${name}"`);
        for (const index of plan.create) this.db.run(index.sql);
      }
    })();
  }

  collection(def: CollectionDef): EngineCollection {
    let collection = this.collections.get(def.name);
    if (!collection) {
      collection = new SqliteCollection(this.db, def, this.gate);
      this.collections.set(def.name, collection);
    }
    return collection;
  }

  async transaction<R>(fn: (tx: Engine) => Promise<R>): Promise<R> {
    const release = await this.gate.acquire();
    const { control } = this;
    try {
      control.begin.run();
      try {
        this.txEngine ??= new SqliteTxEngine(this.db);
        const result = await fn(this.txEngine);
        control.commit.run();
        return result;
      } catch (error) {
        control.rollback.run();
        throw error;
      }
    } finally {
      release();
    }
  }

  async ping(): Promise<void> {
    this.db.query('SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.gate.idle();
    this.db.close();
  }
}

/** The view of the engine inside a transaction: same connection, no gate (it holds it). */
class SqliteTxEngine implements Engine {
  readonly kind = 'sqlite' as const;
  private readonly collections = new Map<string, SqliteCollection>();
  constructor(private readonly db: Database) {}
  async init(): Promise<void> {}
  collection(def: CollectionDef): EngineCollection {
    let collection = this.collections.get(def.name);
    if (!collection) {
      collection = new SqliteCollection(this.db, def, null);
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
