import { QueryError } from '../errors.ts';
import type { FieldOps, Filter, IndexSpec, Scalar, SortSpec, Update } from '../types.ts';

export type Param = string | number | null;

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists']);

/** Valid paths seen so far and their expressions; bounded, since filters may carry paths from outside. */
const fieldExprs = new Map<string, string>();
const FIELD_EXPR_CACHE = 1024;

/** `a.b` -> the SQL expression of that field; the exact text is shared by indexes and queries. */
export function fieldExpr(path: string): string {
  if (path === '_id') return 'id';
  const cached = fieldExprs.get(path);
  if (cached !== undefined) return cached;
  if (!path.split('.').every((segment) => SEGMENT.test(segment))) {
    throw new QueryError(`Invalid field path "${path}"`);
  }
  const expr = `json_extract(doc, '$.${path}')`;
  if (fieldExprs.size < FIELD_EXPR_CACHE) fieldExprs.set(path, expr);
  return expr;
}

export const jsonPath = (path: string): string => {
  fieldExpr(path);
  return `'$.${path}'`;
};

/**
 * What `Date#toJSON` gives (the ISO string, or null for an invalid date), without its detour through
 * `ToPrimitive`: 130 against 210 ns a date.
 */
const dateJson = (date: Date): string | null => (Number.isNaN(date.getTime()) ? null : date.toISOString());

/**
 * `JSON.stringify` of a value as the store keeps it, the same text: a `Date` is written as its
 * `toJSON()` by hand, which costs a third of what the stringifier's own call of `toJSON` does.
 */
export const storedJson = (value: unknown): string =>
  value instanceof Date ? JSON.stringify(dateJson(value)) : JSON.stringify(value);

/**
 * A document's stored JSON, without its `_id` (the row's key holds it): its top-level dates turned into
 * their text first, as `storedJson` does for one value; dates deeper down are left to the stringifier.
 */
export function storedDocJson(doc: Record<string, unknown>): string {
  const fields: Record<string, unknown> = {};
  for (const key in doc) {
    if (key === '_id') continue;
    const value = doc[key];
    fields[key] = value instanceof Date ? dateJson(value) : value;
  }
  return JSON.stringify(fields);
}

const toParam = (value: Scalar): Param => {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' || typeof value === 'number' || value === null) return value;
  throw new QueryError('Filters compare fields with scalar values only');
};

const isOps = (value: unknown): value is FieldOps =>
  !!value &&
  typeof value === 'object' &&
  !(value instanceof Date) &&
  !Array.isArray(value) &&
  Object.keys(value).length > 0 &&
  Object.keys(value).every((k) => k.startsWith('$'));

const NO_PATHS: ReadonlySet<string> = new Set();

/**
 * The paths a collection's partial index filters compare with a value (inside `$and` / `$or` too): a query
 * binding such a path's value can be planned onto the partial index. An `$exists` condition is left out:
 * no bound value implies `json_type(...) IS NOT NULL`.
 */
export function partialFilterPaths(indexes: readonly IndexSpec[]): Set<string> {
  const paths = new Set<string>();
  const visit = (filter: Filter): void => {
    for (const [key, value] of Object.entries(filter)) {
      if (key === '$and' || key === '$or') for (const part of value as Filter[]) visit(part);
      else if (!(isOps(value) && Object.keys(value).every((op) => op === '$exists'))) paths.add(key);
    }
  };
  for (const index of indexes) if (index.partial) visit(index.partial);
  return paths;
}

/**
 * Compiles a filter to a WHERE clause. With `inline`, literals are written into the SQL (for partial
 * index definitions, which cannot take parameters); otherwise they become bound parameters.
 */
export class WhereBuilder {
  readonly params: Param[] = [];

  /**
   * `peeked`: the paths whose bound values SQLite should see while planning (those a partial index's filter
   * names, so a query with `status = 'held'` bound can still use an index made `WHERE status = 'held'`).
   */
  constructor(
    private readonly inline = false,
    private readonly peeked: ReadonlySet<string> = NO_PATHS,
  ) {}

  /**
   * A bound value is written `+?` unless its path is peeked: unary plus changes neither the value nor its
   * (lack of) affinity, and the index is still used, but SQLite no longer plans with the value. A statement
   * whose plan may depend on a bound value is compiled again after each new binding (sqlite3_prepare_v2),
   * and with a bare `?` compared with an indexed field in a sorted query SQLite 3.54 does that on every run:
   * `k = ? ORDER BY id LIMIT 1` costs about one prepare (3 µs) more than `k = +? ORDER BY id LIMIT 1`, on
   * the same plan (docs/benchmarks.md, "Fifth sitting"; test/db/bound-values.test.ts).
   */
  private bind(value: Scalar, path: string): string {
    const param = toParam(value);
    if (!this.inline) {
      this.params.push(param);
      return this.peeked.has(path) ? '?' : '+?';
    }
    if (param === null) return 'NULL';
    if (typeof param === 'number') return String(param);
    return `'${param.replaceAll("'", "''")}'`;
  }

  build(filter: Filter): string {
    const parts: string[] = [];
    for (const [key, value] of Object.entries(filter)) {
      if (value === undefined) continue;
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(value)) throw new QueryError(`${key} takes an array of filters`);
        if (value.length === 0) {
          parts.push(key === '$and' ? '1' : '0');
          continue;
        }
        const joined = (value as Filter[])
          .map((f) => `(${this.build(f)})`)
          .join(key === '$and' ? ' AND ' : ' OR ');
        parts.push(`(${joined})`);
      } else if (key.startsWith('$')) {
        throw new QueryError(`Unsupported filter operator ${key}`);
      } else if (isOps(value)) {
        for (const [op, operand] of Object.entries(value)) parts.push(this.operator(key, op, operand));
      } else {
        parts.push(this.operator(key, '$eq', value));
      }
    }
    return parts.length ? parts.join(' AND ') : '1';
  }

  private operator(path: string, op: string, operand: unknown): string {
    if (!OPERATORS.has(op)) throw new QueryError(`Unsupported filter operator ${op}`);
    const field = fieldExpr(path);
    switch (op) {
      case '$eq':
        return operand === null ? `${field} IS NULL` : `${field} = ${this.bind(operand as Scalar, path)}`;
      case '$ne':
        return operand === null
          ? `${field} IS NOT NULL`
          : `(${field} IS NULL OR ${field} != ${this.bind(operand as Scalar, path)})`;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const sql = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
        return `${field} ${sql} ${this.bind(operand as Scalar, path)}`;
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand)) throw new QueryError(`${op} takes an array`);
        const values = (operand as Scalar[]).filter((v) => v !== null);
        const hasNull = values.length !== operand.length;
        const list = values.map((v) => this.bind(v, path)).join(', ');
        if (op === '$in') {
          const within = values.length ? `${field} IN (${list})` : '0';
          return hasNull ? `(${within} OR ${field} IS NULL)` : within;
        }
        const outside = values.length ? `${field} NOT IN (${list})` : '1';
        return hasNull ? `(${field} IS NOT NULL AND ${outside})` : `(${field} IS NULL OR ${outside})`;
      }
      case '$exists': {
        const path2 = path === '_id' ? null : jsonPath(path);
        if (!path2) return operand ? '1' : '0';
        return `json_type(doc, ${path2}) IS ${operand ? 'NOT ' : ''}NULL`;
      }
    }
    throw new QueryError(`Unsupported filter operator ${op}`);
  }
}

export function orderBy(sort: SortSpec): string {
  const terms = Object.entries(sort).map(
    ([path, dir]) => `${fieldExpr(path)} ${dir === -1 ? 'DESC' : 'ASC'}`,
  );
  return terms.length ? ` ORDER BY ${terms.join(', ')}` : '';
}

/** An update as one SQL expression over `doc`, so a conditional update is one atomic statement. */
export function updateExpr(update: Update, params: Param[]): string {
  let expr = 'doc';
  const set = Object.entries(update.$set ?? {});
  if (set.length) {
    const args = set.map(([path, value]) => {
      params.push(storedJson(value));
      return `${jsonPath(path)}, json(?)`;
    });
    expr = `json_set(${expr}, ${args.join(', ')})`;
  }
  for (const [path, amount] of Object.entries(update.$inc ?? {})) {
    params.push(amount);
    expr = `json_set(${expr}, ${jsonPath(path)}, COALESCE(${fieldExpr(path)}, 0) + ?)`;
  }
  for (const [path, value] of Object.entries(update.$push ?? {})) {
    params.push(storedJson(value));
    expr = `json_set(${expr}, ${jsonPath(path)}, json_insert(COALESCE(json_extract(doc, ${jsonPath(path)}), '[]'), '$[#]', json(?)))`;
  }
  const unset = Object.keys(update.$unset ?? {});
  if (unset.length) expr = `json_remove(${expr}, ${unset.map(jsonPath).join(', ')})`;
  return expr;
}

/** A path the builder has accepted before (so the shape's text is unambiguous), or `_id`. */
const isKnownPath = (path: string): boolean => path === '_id' || fieldExprs.has(path);

/**
 * The shape of a filter: everything its WHERE clause depends on (paths, operators, which operands are
 * null, the length of each list), none of its values; those go into `params`, in the order
 * `WhereBuilder.build` binds them. Paths are ones the builder accepted before and operators start with
 * `$`, so two shapes are the same text only when their SQL is. Undefined for anything the builder must see itself (an unknown path
 * or operator, a malformed operand): it then builds, and refuses, as before.
 */
export function filterShape(filter: Filter, params: Param[]): string | undefined {
  try {
    return shapeOf(filter, params);
  } catch {
    return undefined;
  }
}

function shapeOf(filter: Filter, params: Param[]): string | undefined {
  let shape = '{';
  for (const key in filter) {
    const value = filter[key];
    if (value === undefined) continue;
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value)) return undefined;
      shape += ` ${key}[`;
      for (const part of value as Filter[]) {
        const inner = shapeOf(part, params);
        if (inner === undefined) return undefined;
        shape += inner;
      }
      shape += ']';
    } else if (!isKnownPath(key)) return undefined;
    else if (isOps(value)) {
      for (const op in value) {
        if (!OPERATORS.has(op)) return undefined;
        const operand = (value as Record<string, unknown>)[op];
        shape += ` ${key}${op}`;
        if (op === '$in' || op === '$nin') {
          if (!Array.isArray(operand)) return undefined;
          let count = 0;
          for (const item of operand as Scalar[]) {
            if (item === null) continue;
            params.push(toParam(item));
            count++;
          }
          shape += count === operand.length ? `${count}` : `${count}n`;
        } else if (op === '$exists') shape += operand ? '1' : '0';
        else if (operand === null && (op === '$eq' || op === '$ne')) shape += 'n';
        else params.push(toParam(operand as Scalar));
      }
    } else if (value === null) shape += ` ${key}=n`;
    else {
      shape += ` ${key}=`;
      params.push(toParam(value as Scalar));
    }
  }
  return `${shape}}`;
}

/** The shape of a sort (which paths, which directions); undefined for a path the builder has not accepted. */
export function sortShape(sort: SortSpec | undefined): string | undefined {
  if (sort === undefined) return '';
  let shape = '';
  for (const path in sort) {
    if (!isKnownPath(path)) return undefined;
    shape += `${path}${sort[path] === -1 ? '-' : '+'}`;
  }
  return shape;
}

/** The shape of an update (its operators' paths), binding its values as `updateExpr` does. */
export function updateShape(update: Update, params: Param[]): string | undefined {
  try {
    return updateShapeOf(update, params);
  } catch {
    return undefined;
  }
}

function updateShapeOf(update: Update, params: Param[]): string | undefined {
  let shape = '';
  const parts = [
    ['s', update.$set],
    ['i', update.$inc],
    ['p', update.$push],
    ['u', update.$unset],
  ] as const;
  for (const [tag, fields] of parts) {
    if (fields === undefined) continue;
    shape += tag;
    for (const path in fields) {
      if (!isKnownPath(path) || path === '_id') return undefined;
      shape += ` ${path}`;
      const value = (fields as Record<string, unknown>)[path];
      if (tag === 's' || tag === 'p') params.push(storedJson(value));
      else if (tag === 'i') params.push(value as number);
    }
    shape += ';';
  }
  return shape;
}
