import { type Document, type IndexDescription, MongoServerError } from 'mongodb';

/** The collection options `init` sets, as `createCollection` and `collMod` take them. */
export interface Validation {
  validator: Document;
  validationLevel: 'strict';
  validationAction: 'error';
}

const UNAUTHORIZED = 13;

/** Deep equality of BSON-decoded values; object keys in any order, arrays in order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]))
    );
  }
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((k) => left[k] !== undefined);
  const otherKeys = Object.keys(right).filter((k) => right[k] !== undefined);
  return keys.length === otherKeys.length && keys.every((k) => k in right && sameValue(left[k], right[k]));
}

/**
 * Whether `collMod` is needed: the `options` of a `listCollections` entry against the validation we want.
 * The server leaves `validationLevel`/`validationAction` out unless they were set, and their defaults are
 * `strict`/`error`.
 */
export function validatorChanged(stored: Document | undefined, wanted: Validation): boolean {
  return !(
    sameValue(stored?.validator, wanted.validator) &&
    (stored?.validationLevel ?? 'strict') === wanted.validationLevel &&
    (stored?.validationAction ?? 'error') === wanted.validationAction
  );
}

const isOperatorDoc = (value: unknown): boolean =>
  !!value &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  !(value instanceof Date) &&
  Object.keys(value).length > 0 &&
  Object.keys(value).every((key) => key.startsWith('$'));

/** `{ a: v }` and `{ a: { $eq: v } }` are one filter; the server may report either. */
function normalisePartial(filter: unknown): unknown {
  if (!filter || typeof filter !== 'object') return filter;
  return Object.fromEntries(
    Object.entries(filter as Document).map(([key, value]) => {
      if (key === '$and' && Array.isArray(value)) return [key, value.map(normalisePartial)];
      return [key, isOperatorDoc(value) ? value : { $eq: value }];
    }),
  );
}

/**
 * Whether an index as `listIndexes` describes it is the declared one: the same keys in the same order
 * (order is part of a compound index), the same uniqueness, the same partial filter. Options we never set
 * (sparse, TTL, collation, hidden) make it another index.
 */
export function sameIndex(existing: Document, declared: IndexDescription): boolean {
  const keys = Object.entries((existing.key ?? {}) as Document);
  const wantedKeys = Object.entries((declared.key ?? {}) as Document);
  return (
    keys.length === wantedKeys.length &&
    keys.every(([path, dir], i) => wantedKeys[i]![0] === path && Number(wantedKeys[i]![1]) === Number(dir)) &&
    Boolean(existing.unique) === Boolean(declared.unique) &&
    sameValue(
      normalisePartial(existing.partialFilterExpression),
      normalisePartial(declared.partialFilterExpression),
    ) &&
    !existing.sparse &&
    existing.expireAfterSeconds === undefined &&
    existing.collation === undefined &&
    !existing.hidden
  );
}

/**
 * A refusal for lack of privileges becomes an error naming the role that allows the step: `readWrite`
 * (Atlas: "Read and write to any database") covers everything boot does except changing a collection's
 * validator, which needs `collMod`.
 */
export function explainPrivilegeError(error: unknown, database: string, step: string): unknown {
  if (
    !(error instanceof MongoServerError && (error.code === UNAUTHORIZED || error.codeName === 'Unauthorized'))
  )
    return error;
  return new Error(
    `MongoDB refused to ${step} in database "${database}" for lack of privileges (${error.errmsg ?? error.message}). ` +
      "Boot sets each collection's validator when it is created or when its schema has changed, which needs the collMod action: " +
      `grant the user the dbAdmin role on "${database}" (on Atlas, the dbAdmin specific privilege) or a custom role with collMod and createCollection on it, ` +
      'or run this version once with such a user; boots with unchanged schemas need only readWrite.',
    { cause: error },
  );
}
