import { Kind, OptionalKind, type TObject, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import type { FieldIssue } from '../shared/errors.ts';

export const kindOf = (schema: TSchema): string => (schema as unknown as Record<symbol, string>)[Kind] ?? '';

export const isOptional = (schema: TSchema): boolean =>
  (schema as unknown as Record<symbol, unknown>)[OptionalKind] === 'Optional';

/** TypeBox reports `/a/0/b`; people and the error envelope read `a.0.b`. */
export const pointerToPath = (pointer: string): string =>
  pointer.replace(/^\//, '').replaceAll('/', '.').replaceAll('~1', '/').replaceAll('~0', '~');

export function issuesOf(check: TypeCheck<TSchema>, value: unknown, prefix = ''): FieldIssue[] {
  const issues: FieldIssue[] = [];
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

/**
 * Engines that keep documents as JSON store dates as ISO strings; the schema says where they were
 * dates, so reads turn them back into `Date`s. Returns null when the schema holds no dates.
 */
export function buildDateReviver(schema: TSchema): Reviver | null {
  const kind = kindOf(schema);
  if (kind === 'Date') return (v) => (typeof v === 'string' ? new Date(v) : v);
  if (kind === 'Object') {
    const fields: [string, Reviver][] = [];
    for (const [key, child] of Object.entries((schema as TObject).properties)) {
      const revive = buildDateReviver(child);
      if (revive) fields.push([key, revive]);
    }
    if (fields.length === 0) return null;
    return (v) => {
      if (v && typeof v === 'object') {
        const record = v as Record<string, unknown>;
        for (const [key, revive] of fields) if (record[key] !== undefined) record[key] = revive(record[key]);
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
      if (typeof v === 'string') return hasDate && !hasString ? new Date(v) : v;
      for (const { revive } of objectRevivers) revive!(v);
      return v;
    };
  }
  return null;
}
