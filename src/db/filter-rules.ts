import type { TSchema } from '@sinclair/typebox';
import { QueryError } from './errors.ts';
import { kindOf, schemasAt } from './schema.ts';
import type { Filter } from './types.ts';

/** What values a field can hold, as far as comparing it with a string or a Date goes. */
interface FieldKinds {
  known: boolean;
  date: boolean;
  string: boolean;
}

const OPEN_KINDS = new Set(['Any', 'Unknown']);

function collectKinds(schema: TSchema, into: FieldKinds): void {
  const kind = kindOf(schema);
  if (kind === 'Union') for (const variant of schema.anyOf as TSchema[]) collectKinds(variant, into);
  else if (kind === 'Array') collectKinds(schema.items as TSchema, into);
  else if (OPEN_KINDS.has(kind)) {
    into.date = true;
    into.string = true;
  } else if (kind === 'Date') into.date = true;
  else if (kind === 'String' || (kind === 'Literal' && typeof schema.const === 'string')) into.string = true;
}

const isOps = (value: unknown): value is Record<string, unknown> =>
  !!value &&
  typeof value === 'object' &&
  !(value instanceof Date) &&
  !Array.isArray(value) &&
  Object.keys(value).length > 0 &&
  Object.keys(value).every((k) => k.startsWith('$'));

/**
 * Refuses, for every engine alike, the filters the engines would answer differently: an empty `$and` or
 * `$or` (true or false on SQLite, an error on MongoDB), and a string compared with a Date field or a Date
 * with a field that holds no dates (SQLite stores dates as ISO strings and would match; MongoDB compares
 * BSON types and never does). These are programmer errors, so they throw `QueryError`s.
 */
export class FilterRules {
  private readonly kinds = new Map<string, FieldKinds>();

  constructor(
    private readonly collection: string,
    private readonly schema: TSchema,
  ) {}

  check(filter: Filter): void {
    for (const key in filter) {
      const value = filter[key];
      if (value === undefined) continue;
      if (key === '$and' || key === '$or') {
        if (!Array.isArray(value) || value.length === 0) {
          throw new QueryError(
            `Filter on ${this.collection}: ${key} needs a non-empty array of filters (an empty one means different things on SQLite and MongoDB)`,
          );
        }
        for (const part of value as Filter[]) this.check(part);
      } else if (key.startsWith('$')) {
        // Unknown operators are the engine's to refuse.
      } else if (isOps(value)) {
        for (const op in value) {
          const operand = value[op];
          if (op === '$exists') continue;
          if ((op === '$in' || op === '$nin') && Array.isArray(operand)) {
            for (const item of operand) this.checkValue(key, item);
          } else this.checkValue(key, operand);
        }
      } else this.checkValue(key, value);
    }
  }

  private checkValue(path: string, value: unknown): void {
    if (typeof value !== 'string' && !(value instanceof Date)) return;
    const kinds = this.kindsAt(path);
    if (!kinds.known) return;
    if (typeof value === 'string' && kinds.date && !kinds.string) {
      throw new QueryError(
        `Filter on ${this.collection}.${path} compares a Date field with a string; pass a Date (MongoDB never matches a string against a date)`,
      );
    }
    if (value instanceof Date && !kinds.date) {
      throw new QueryError(
        `Filter on ${this.collection}.${path} compares a field that holds no dates with a Date (SQLite would match its ISO string, MongoDB never)`,
      );
    }
  }

  private kindsAt(path: string): FieldKinds {
    let kinds = this.kinds.get(path);
    if (!kinds) {
      const targets = schemasAt(this.schema, path);
      kinds = { known: targets.length > 0, date: false, string: false };
      for (const { schema } of targets) collectKinds(schema, kinds);
      // Filters may carry paths from outside; only remember those the schema has.
      if (kinds.known) this.kinds.set(path, kinds);
    }
    return kinds;
  }
}

/** Each path that lies inside another of the paths, with that other (`doctor.city` inside `doctor`). */
export function nestedPaths(paths: Iterable<string>): { path: string; inside: string }[] {
  const all = new Set(paths);
  const nested: { path: string; inside: string }[] = [];
  for (const path of all) {
    const segments = path.split('.');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('.');
      if (all.has(prefix)) nested.push({ path, inside: prefix });
    }
  }
  return nested;
}
