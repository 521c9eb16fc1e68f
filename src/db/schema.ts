import { Kind, OptionalKind, type TObject, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { DocumentIssue } from './errors.ts';

export const kindOf = (schema: TSchema): string => (schema as unknown as Record<symbol, string>)[Kind] ?? '';

export const isOptional = (schema: TSchema): boolean =>
  (schema as unknown as Record<symbol, unknown>)[OptionalKind] === 'Optional';

/** TypeBox reports `/a/0/b`; people and the error envelope read `a.0.b`. */
export const pointerToPath = (pointer: string): string =>
  pointer.replace(/^\//, '').replaceAll('/', '.').replaceAll('~1', '/').replaceAll('~0', '~');

export function issuesOf(check: TypeCheck<TSchema>, value: unknown, prefix = ''): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  for (const error of check.Errors(value)) {
    const path = [prefix, pointerToPath(error.path)].filter(Boolean).join('.');
    issues.push({ path: path || '(root)', message: error.message });
    if (issues.length >= 20) break;
  }
  return issues;
}

/** The schemas a dotted path can denote; several when it passes through a union of objects. */
export function schemasAt(root: TSchema, path: string): { schema: TSchema; optional: boolean }[] {
  let current: { schema: TSchema; optional: boolean }[] = [{ schema: root, optional: false }];
  for (const segment of path.split('.')) {
    const next: { schema: TSchema; optional: boolean }[] = [];
    const visit = (schema: TSchema): void => {
      const kind = kindOf(schema);
      if (kind === 'Union') for (const variant of schema.anyOf as TSchema[]) visit(variant);
      else if (kind === 'Object') {
        const child = (schema as TObject).properties[segment];
        if (child) next.push({ schema: child, optional: isOptional(child) });
      } else if (kind === 'Record') {
        const child = Object.values(schema.patternProperties as Record<string, TSchema>)[0];
        if (child) next.push({ schema: child, optional: true });
      }
    };
    for (const { schema } of current) visit(schema);
    if (next.length === 0) return [];
    current = next;
  }
  return current;
}

const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>();
export function checkerFor(schema: TSchema): TypeCheck<TSchema> {
  let check = checkers.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    checkers.set(schema, check);
  }
  return check;
}

type Reviver = (value: unknown) => unknown;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The decimal value of the two digits at `at`, or NaN unless both are ASCII digits. */
const twoDigits = (text: string, at: number): number => {
  const tens = text.charCodeAt(at) - 48;
  const units = text.charCodeAt(at + 1) - 48;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : Number.NaN;
};

/**
 * `new Date(text)`, faster for the one form dates are stored in: `Date#toISOString()` of years 0000-9999
 * (`YYYY-MM-DDTHH:mm:ss.sssZ`). That form is checked in full (every digit and separator, each field in
 * its range, the day within its month) and computed in integer arithmetic; anything else, even a near miss,
 * goes to `new Date(text)`, so the result is always the same as `new Date(text)`.
 */
export function parseIsoDate(text: string): Date {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 || // -
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 || // :
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(23) !== 90 // Z
  ) {
    return new Date(text);
  }
  const century = twoDigits(text, 0);
  const yy = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  const msHigh = twoDigits(text, 20);
  const msLow = text.charCodeAt(22) - 48;
  const year = century * 100 + yy;
  // Every comparison below is false for NaN (a non-digit), so those fall through to the slow path too.
  if (
    !(year >= 0) ||
    !(month >= 1 && month <= 12) ||
    !(day >= 1 && day <= 31) ||
    !(hour <= 23) ||
    !(minute <= 59) ||
    !(second <= 59) ||
    !(msHigh >= 0) ||
    !(msLow >= 0 && msLow <= 9)
  ) {
    return new Date(text);
  }
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return new Date(text);
  return new Date(
    daysFromCivil(year, month, day) * 86_400_000 +
      hour * 3_600_000 +
      minute * 60_000 +
      second * 1000 +
      msHigh * 10 +
      msLow,
  );
}

/** Days since 1970-01-01 of a valid proleptic Gregorian date (H. Hinnant's days_from_civil), in integers. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const reviveDate: Reviver = (v) => (typeof v === 'string' ? parseIsoDate(v) : v);

/**
 * Engines that keep documents as JSON store dates as ISO strings; the schema says where they were
 * dates, so reads turn them back into `Date`s. Returns null when the schema holds no dates.
 */
export function buildDateReviver(schema: TSchema): Reviver | null {
  const kind = kindOf(schema);
  if (kind === 'Date') return reviveDate;
  if (kind === 'Object') {
    const keys: string[] = [];
    const revivers: Reviver[] = [];
    for (const [key, child] of Object.entries((schema as TObject).properties)) {
      const revive = buildDateReviver(child);
      if (revive) {
        keys.push(key);
        revivers.push(revive);
      }
    }
    if (keys.length === 0) return null;
    const count = keys.length;
    return (v) => {
      if (v && typeof v === 'object') {
        const record = v as Record<string, unknown>;
        for (let i = 0; i < count; i++) {
          const key = keys[i]!;
          const value = record[key];
          if (value !== undefined) record[key] = revivers[i]!(value);
        }
      }
      return v;
    };
  }
  if (kind === 'Array') {
    const revive = buildDateReviver(schema.items as TSchema);
    if (!revive) return null;
    return (v) => (Array.isArray(v) ? v.map(revive) : v);
  }
  if (kind === 'Record') {
    const child = Object.values(schema.patternProperties as Record<string, TSchema>)[0];
    const revive = child ? buildDateReviver(child) : null;
    if (!revive) return null;
    return (v) => {
      if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = revive(x);
      return v;
    };
  }
  if (kind === 'Union') {
    const variants = (schema.anyOf as TSchema[]).map((variant) => ({
      variant,
      revive: buildDateReviver(variant),
    }));
    if (variants.every((x) => !x.revive)) return null;
    // A date stored as a string is revived only where the union allows a date and no plain string.
    const hasDate = variants.some((x) => kindOf(x.variant) === 'Date');
    const hasString = variants.some((x) => kindOf(x.variant) === 'String');
    const objectRevivers = variants.filter((x) => x.revive && kindOf(x.variant) !== 'Date');
    return (v) => {
      if (typeof v === 'string') return hasDate && !hasString ? parseIsoDate(v) : v;
      for (const { revive } of objectRevivers) revive!(v);
      return v;
    };
  }
  return null;
}

/** What an `$inc` on a path can pass: a lower bound going down, an upper bound going up, a step either way. */
interface IncLimits {
  lower: boolean;
  upper: boolean;
  step: boolean;
}

const ARRAY_LIMITS = ['maxItems', 'uniqueItems', 'contains', 'maxContains'] as const;

/** A union's variants, or the schema itself. */
const variantsOf = (schema: TSchema): TSchema[] =>
  kindOf(schema) === 'Union' ? (schema.anyOf as TSchema[]) : [schema];

/**
 * Whether a document must be checked against its schema after an update is applied, for an engine that
 * applies updates itself (MongoDB's validator sees every result). The operands are checked before the
 * update, and the document before it was valid, so only what the operands cannot show needs the result:
 * an `$inc` that can pass a bound (towards a maximum, or a minimum, or off a `multipleOf`), a `$push` onto
 * an array with a limit (maxItems, uniqueItems, contains), and any dotted path (it may create a parent
 * object without its required fields). What each path allows is read from the schema once.
 */
export class ResultChecks {
  private readonly inc = new Map<string, IncLimits>();
  private readonly push = new Map<string, boolean>();

  constructor(private readonly schema: TSchema) {}

  needed(update: {
    $set?: Record<string, unknown>;
    $inc?: Record<string, number>;
    $push?: Record<string, unknown>;
  }): boolean {
    for (const path in update.$set) if (path.includes('.')) return true;
    for (const path in update.$inc) {
      if (path.includes('.')) return true;
      const amount = update.$inc[path]!;
      const limits = this.incLimits(path);
      if (limits.step || (amount > 0 && limits.upper) || (amount < 0 && limits.lower)) return true;
    }
    for (const path in update.$push) if (path.includes('.') || this.pushLimited(path)) return true;
    return false;
  }

  private incLimits(path: string): IncLimits {
    let limits = this.inc.get(path);
    if (!limits) {
      limits = { lower: false, upper: false, step: false };
      for (const { schema } of schemasAt(this.schema, path)) {
        for (const variant of variantsOf(schema)) {
          if (variant.minimum !== undefined || variant.exclusiveMinimum !== undefined) limits.lower = true;
          if (variant.maximum !== undefined || variant.exclusiveMaximum !== undefined) limits.upper = true;
          if (variant.multipleOf !== undefined) limits.step = true;
        }
      }
      // Only top-level paths get here (dotted ones return above), so the map stays as small as the schema.
      this.inc.set(path, limits);
    }
    return limits;
  }

  private pushLimited(path: string): boolean {
    let limited = this.push.get(path);
    if (limited === undefined) {
      limited = schemasAt(this.schema, path).some(({ schema }) =>
        variantsOf(schema).some((variant) => ARRAY_LIMITS.some((limit) => variant[limit] !== undefined)),
      );
      this.push.set(path, limited);
    }
    return limited;
  }
}
