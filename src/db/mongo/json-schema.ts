import type { TSchema } from '@sinclair/typebox';
import { isOptional, kindOf } from '../schema.ts';

type MongoSchema = Record<string, unknown>;

// The Node driver writes a JS integer outside int32 as a BSON double, so integers are "any numeric BSON type with no fraction".
const INTEGER_TYPES = ['int', 'long', 'double'];
const NUMBER_TYPES = ['int', 'long', 'double', 'decimal'];

const pick = (schema: TSchema, keys: string[]): MongoSchema => {
  const out: MongoSchema = {};
  for (const key of keys) if (schema[key] !== undefined) out[key] = schema[key];
  return out;
};

const annotations = (schema: TSchema): MongoSchema => pick(schema, ['title', 'description']);

/** Mongo speaks draft 4: `exclusiveMinimum` is a boolean flag on `minimum`, not a bound of its own. */
function bounds(schema: TSchema): MongoSchema {
  const out: MongoSchema = pick(schema, ['multipleOf']);
  const side = (
    inclusiveKey: 'minimum' | 'maximum',
    exclusiveKey: 'exclusiveMinimum' | 'exclusiveMaximum',
  ) => {
    const inclusive = schema[inclusiveKey] as number | undefined;
    const exclusive = schema[exclusiveKey] as number | undefined;
    if (exclusive === undefined) {
      if (inclusive !== undefined) out[inclusiveKey] = inclusive;
      return;
    }
    const exclusiveIsStricter =
      inclusive === undefined ||
      (inclusiveKey === 'minimum' ? exclusive >= inclusive : exclusive <= inclusive);
    out[inclusiveKey] = exclusiveIsStricter ? exclusive : inclusive;
    if (exclusiveIsStricter) out[exclusiveKey] = true;
  };
  side('minimum', 'exclusiveMinimum');
  side('maximum', 'exclusiveMaximum');
  return out;
}

const literalBsonType = (value: unknown): string | string[] => {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? INTEGER_TYPES : NUMBER_TYPES;
  throw new Error(`Cannot map the literal ${JSON.stringify(value)} to MongoDB $jsonSchema`);
};

function convert(schema: TSchema, at: string): MongoSchema {
  const kind = kindOf(schema);
  const base = annotations(schema);
  switch (kind) {
    case 'Object': {
      const properties: MongoSchema = {};
      const required: string[] = [];
      for (const [key, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
        properties[key] = convert(child, `${at}.${key}`);
        if (!isOptional(child)) required.push(key);
      }
      const out: MongoSchema = { ...base, bsonType: 'object' };
      // Mongo refuses an empty `required` array.
      if (required.length) out.required = required;
      out.properties = properties;
      const additional = schema.additionalProperties as boolean | TSchema | undefined;
      if (typeof additional === 'boolean') out.additionalProperties = additional;
      else if (additional) out.additionalProperties = convert(additional, `${at}.*`);
      return { ...out, ...pick(schema, ['minProperties', 'maxProperties']) };
    }
    case 'Record': {
      const patternProperties: MongoSchema = {};
      for (const [pattern, child] of Object.entries(schema.patternProperties as Record<string, TSchema>)) {
        patternProperties[pattern] = convert(child, `${at}.*`);
      }
      const out: MongoSchema = { ...base, bsonType: 'object', patternProperties };
      const additional = schema.additionalProperties as boolean | TSchema | undefined;
      if (typeof additional === 'boolean') out.additionalProperties = additional;
      else if (additional) out.additionalProperties = convert(additional, `${at}.*`);
      return { ...out, ...pick(schema, ['minProperties', 'maxProperties']) };
    }
    case 'String':
      return { ...base, bsonType: 'string', ...pick(schema, ['minLength', 'maxLength', 'pattern']) };
    case 'Integer':
      return { ...base, bsonType: INTEGER_TYPES, ...bounds(schema), multipleOf: schema.multipleOf ?? 1 };
    case 'Number':
      return { ...base, bsonType: NUMBER_TYPES, ...bounds(schema) };
    case 'Boolean':
      return { ...base, bsonType: 'bool' };
    case 'Date':
      // Date bounds (minimumTimestamp...) have no $jsonSchema form; the collection's own check enforces them.
      return { ...base, bsonType: 'date' };
    case 'Null':
      return { ...base, bsonType: 'null' };
    case 'Literal':
      return { ...base, bsonType: literalBsonType(schema.const), enum: [schema.const] };
    case 'Union': {
      const variants = schema.anyOf as TSchema[];
      if (variants.length === 0)
        throw new Error(`Cannot map the empty union at ${at} to MongoDB $jsonSchema`);
      if (variants.every((variant) => kindOf(variant) === 'Literal')) {
        const values = variants.map((variant) => variant.const);
        for (const value of values) literalBsonType(value);
        return { ...base, enum: values };
      }
      return { ...base, anyOf: variants.map((variant, i) => convert(variant, `${at}|${i}`)) };
    }
    case 'Array': {
      const out: MongoSchema = {
        ...base,
        bsonType: 'array',
        items: convert(schema.items as TSchema, `${at}[]`),
      };
      return { ...out, ...pick(schema, ['minItems', 'maxItems', 'uniqueItems']) };
    }
    case 'Tuple': {
      const items = ((schema.items as TSchema[] | undefined) ?? []).map((item, i) =>
        convert(item, `${at}[${i}]`),
      );
      const out: MongoSchema = { ...base, bsonType: 'array', additionalItems: false };
      if (items.length) out.items = items;
      return { ...out, ...pick(schema, ['minItems', 'maxItems']) };
    }
    case 'Any':
    case 'Unknown':
      return { ...base };
    default:
      throw new Error(`Cannot map the TypeBox kind "${kind || 'unknown'}" at ${at} to MongoDB $jsonSchema`);
  }
}

/**
 * A TypeBox schema in MongoDB's `$jsonSchema` dialect (draft 4 with `bsonType`; no `type`, `format`,
 * `$ref`, `$id`, `default` or `const`). Pure: the same schema always gives the same object.
 */
export function toMongoJsonSchema(schema: TSchema): Record<string, unknown> {
  return convert(schema, '(root)');
}
