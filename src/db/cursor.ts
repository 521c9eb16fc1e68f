import { ValidationError } from '../shared/errors.ts';
import type { BaseDoc, Filter, Scalar, SortSpec } from './types.ts';

export class InvalidCursorError extends ValidationError {
  constructor() {
    super('The pagination cursor is malformed or belongs to another query', [
      { path: 'cursor', message: 'invalid cursor' },
    ]);
  }
}

/** No sort given: `_id` order, one object for every such query (nothing changes a sort it is given). */
const BY_ID: SortSpec = Object.freeze({ _id: 1 });

/** The sort with `_id` appended as the tiebreak, so every order is total and pages never overlap. */
export function normalizeSort(sort?: SortSpec): SortSpec {
  if (sort === undefined) return BY_ID;
  if ('_id' in sort) return sort;
  const directions = Object.values(sort);
  return { ...sort, _id: directions.at(-1) ?? 1 };
}

const readPath = (doc: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], doc);

type Encoded = string | number | boolean | null | { $date: string };

const encodeValue = (value: unknown): Encoded => {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value === undefined) return null;
  if (['string', 'number', 'boolean'].includes(typeof value) || value === null) return value as Encoded;
  throw new Error('Only scalar fields can be sort keys');
};

const decodeValue = (value: unknown): Scalar => {
  if (value && typeof value === 'object' && typeof (value as { $date?: unknown }).$date === 'string') {
    const date = new Date((value as { $date: string }).$date);
    if (Number.isNaN(date.getTime())) throw new InvalidCursorError();
    return date;
  }
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value as Scalar;
  throw new InvalidCursorError();
};

const signature = (sort: SortSpec): string =>
  Object.entries(sort)
    .map(([k, d]) => `${k}:${d}`)
    .join(',');

export function encodeCursor(sort: SortSpec, last: BaseDoc): string {
  const values = Object.keys(sort).map((path) => encodeValue(readPath(last, path)));
  return Buffer.from(JSON.stringify({ s: signature(sort), v: values })).toString('base64url');
}

export function decodeCursor(cursor: string, sort: SortSpec): Scalar[] {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,2048}$/.test(cursor)) throw new InvalidCursorError();
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const { s, v } = (parsed ?? {}) as { s?: unknown; v?: unknown };
  if (s !== signature(sort) || !Array.isArray(v) || v.length !== Object.keys(sort).length) {
    throw new InvalidCursorError();
  }
  return v.map(decodeValue);
}

/** Documents strictly after `values` in the order `sort` (keyset pagination). */
export function keysetFilter(sort: SortSpec, values: Scalar[]): Filter {
  const keys = Object.entries(sort);
  const branches: Filter[] = keys.map(([path, direction], i) => {
    const branch: Filter = {};
    for (let j = 0; j < i; j++) branch[keys[j]![0]] = values[j]!;
    const value = values[i]!;
    // Nulls sort first on both engines; "after null" ascending is any non-null value.
    if (value === null) branch[path] = direction === 1 ? { $ne: null } : { $in: [] };
    else if (direction === 1) branch[path] = { $gt: value };
    else
      return {
        $or: [
          { ...branch, [path]: { $lt: value } },
          { ...branch, [path]: null },
        ],
      };
    return branch;
  });
  return { $or: branches };
}
