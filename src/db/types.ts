import type { TObject } from '@sinclair/typebox';

/** Every stored document has a string id (UUIDv7 by default) under `_id`. */
export type BaseDoc = { _id: string };

export type Scalar = string | number | boolean | Date | null;

export interface FieldOps {
  $eq?: Scalar;
  $ne?: Scalar;
  $gt?: Scalar;
  $gte?: Scalar;
  $lt?: Scalar;
  $lte?: Scalar;
  $in?: Scalar[];
  $nin?: Scalar[];
  $exists?: boolean;
}

/** The filter language: a subset of MongoDB's, passed through unchanged to the Mongo engine. */
export type Filter = {
  $and?: Filter[];
  $or?: Filter[];
} & { [path: string]: Scalar | FieldOps | Filter[] | undefined };

export interface Update {
  $set?: Record<string, unknown>;
  $unset?: Record<string, true | 1 | ''>;
  $inc?: Record<string, number>;
  $push?: Record<string, unknown>;
}

export type SortSpec = Record<string, 1 | -1>;

export interface IndexSpec {
  keys: Record<string, 1 | -1>;
  unique?: boolean;
  /** Only documents matching this filter are indexed (and constrained, for unique indexes). */
  partial?: Filter;
  name?: string;
}

export interface CollectionDef<S extends TObject = TObject> {
  name: string;
  schema: S;
  indexes: IndexSpec[];
}

export interface FindOptions {
  sort?: SortSpec;
  limit?: number;
  /** Opaque cursor returned as `nextCursor` by the previous page. */
  cursor?: string | null;
}

/** An instant of a document read in either form, as the ISO string the stored form holds. */
export const isoOf = (instant: Date | string): string =>
  typeof instant === 'string' ? instant : instant.toISOString();

/** A document in its JSON form, as SQLite stores it: every `Date` an ISO string (`toISOString`). */
export type Stored<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Stored<U>[]
    : T extends object
      ? { [K in keyof T]: Stored<T[K]> }
      : T;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The per-engine primitives. Validation, ids and cursors live above this, once, in `Collection`. */
export interface EngineCollection {
  insertMany(docs: BaseDoc[]): Promise<void>;
  /** The first match; with `stored`, in its JSON form (dates as ISO strings, no `Date` built). */
  findOne(filter: Filter, sort?: SortSpec, stored?: boolean): Promise<BaseDoc | null>;
  find(filter: Filter, sort: SortSpec, limit?: number): Promise<BaseDoc[]>;
  /**
   * Up to `limit` matches, and whether at least one more follows them; with `stored`, in their JSON form
   * (dates as ISO strings, no `Date` built).
   */
  findPage(
    filter: Filter,
    sort: SortSpec,
    limit: number,
    stored?: boolean,
  ): Promise<{ docs: BaseDoc[]; hasMore: boolean }>;
  count(filter: Filter): Promise<number>;
  updateOne(filter: Filter, update: Update, returnDocument: boolean): Promise<BaseDoc | boolean | null>;
  deleteOne(filter: Filter): Promise<boolean>;
  deleteMany(filter: Filter): Promise<number>;
}

export interface Engine {
  readonly kind: 'sqlite' | 'mongodb';
  /**
   * Creates what is missing and reconciles what changed, touching nothing that already matches: boot
   * runs it every time. Indexes named `<collection>__...` are ours (rebuilt when changed, dropped when
   * no longer declared); any other index is left alone.
   */
  init(defs: CollectionDef[]): Promise<void>;
  collection(def: CollectionDef): EngineCollection;
  /** `fn` may run more than once (a retried transient error); see `Store.transaction`. */
  transaction<R>(fn: (tx: Engine) => Promise<R>): Promise<R>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
