import { type SchemaOptions, type TLiteral, type TSchema, type TUnion, Type } from '@sinclair/typebox';

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/**
 * The schema of one of a state list's values, from the list itself (`literalUnion(SLOT_STATUSES)`), so
 * a state is named once. Explicit literals rather than an enum: a union enum would give an optional
 * query parameter a default.
 */
export const literalUnion = <const T extends readonly [string, string, ...string[]]>(
  values: T,
  options?: SchemaOptions,
): TUnion<Literals<T>> =>
  // Two values or more: TypeBox would make a single value its bare literal, not a union.
  Type.Union(
    values.map((value) => Type.Literal(value)),
    options,
  ) as TSchema as TUnion<Literals<T>>;
