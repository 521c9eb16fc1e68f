import { QueryError } from '../errors.ts';
import type { FieldOps, Filter, Scalar, SortSpec, Update } from '../types.ts';

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

/**
 * Compiles a filter to a WHERE clause. With `inline`, literals are written into the SQL (for partial
 * index definitions, which cannot take parameters); otherwise they become bound parameters.
 */
export class WhereBuilder {
  readonly params: Param[] = [];
  constructor(private readonly inline = false) {}

  private bind(value: Scalar): string {
    const param = toParam(value);
    if (!this.inline) {
      this.params.push(param);
      return '?';
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
        return operand === null ? `${field} IS NULL` : `${field} = ${this.bind(operand as Scalar)}`;
      case '$ne':
        return operand === null
          ? `${field} IS NOT NULL`
          : `(${field} IS NULL OR ${field} != ${this.bind(operand as Scalar)})`;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const sql = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
        return `${field} ${sql} ${this.bind(operand as Scalar)}`;
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand)) throw new QueryError(`${op} takes an array`);
        const values = (operand as Scalar[]).filter((v) => v !== null);
        const hasNull = values.length !== operand.length;
        const list = values.map((v) => this.bind(v)).join(', ');
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
      params.push(JSON.stringify(value));
      return `${jsonPath(path)}, json(?)`;
    });
    expr = `json_set(${expr}, ${args.join(', ')})`;
  }
  for (const [path, amount] of Object.entries(update.$inc ?? {})) {
    params.push(amount);
    expr = `json_set(${expr}, ${jsonPath(path)}, COALESCE(${fieldExpr(path)}, 0) + ?)`;
  }
  for (const [path, value] of Object.entries(update.$push ?? {})) {
    params.push(JSON.stringify(value));
    expr = `json_set(${expr}, ${jsonPath(path)}, json_insert(COALESCE(json_extract(doc, ${jsonPath(path)}), '[]'), '$[#]', json(?)))`;
  }
  const unset = Object.keys(update.$unset ?? {});
  if (unset.length) expr = `json_remove(${expr}, ${unset.map(jsonPath).join(', ')})`;
  return expr;
}
