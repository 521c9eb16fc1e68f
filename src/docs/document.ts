import { toOpenAPISchema } from '@elysiajs/openapi';
import type { AnyElysia } from 'elysia';

// biome-ignore lint/suspicious/noExplicitAny: the generated document is walked as plain JSON
type Json = Record<string, any>;

interface RouteEntry {
  method: string;
  path: string;
  hooks?: { detail?: Json };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** No route's contract is a URL-encoded form: JSON, or multipart where a file travels. */
const URLENCODED = 'application/x-www-form-urlencoded';

const header = (description: string, required: boolean, schema: Json = { type: 'string' }): Json => ({
  description,
  required,
  schema,
});
const REQUEST_ID = header(
  'The request id (the one sent, if well formed, else a new one); the log line of the request has it',
  true,
);
const RETRY_AFTER = (required: boolean) =>
  header('Seconds to wait before retrying', required, { type: 'string', pattern: '^[0-9]+$' });
const WWW_AUTHENTICATE = header('`Bearer` when the access token is missing or refused', false);
const IDEMPOTENT_REPLAYED = header(
  '`true` when this is the stored response of an earlier request with the same Idempotency-Key',
  false,
  { type: 'string', enum: ['true'] },
);

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Elysia's `t.Integer`/`t.Numeric` also accept numeric text (queries arrive as text); the generator shows
 * them as `string | number`. The contract is the number, so the text branch goes.
 */
function withoutNumericText(schema: Json): Json | undefined {
  const branches = schema.anyOf;
  if (!Array.isArray(branches) || branches.length !== 2) return undefined;
  const text = branches.find(
    (b: Json) => b?.type === 'string' && (b.format === 'integer' || b.format === 'numeric'),
  );
  const number = branches.find((b: Json) => b?.type === 'integer' || b?.type === 'number');
  if (!text || !number) return undefined;
  const { anyOf: _anyOf, ...outer } = schema;
  return { ...number, ...outer };
}

/** Fixes what the generator gets wrong in any schema, all the way down. */
function cleanSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cleanSchema);
  if (!isObject(value)) return value;
  let schema = withoutNumericText(value) ?? value;
  // `t.File()` carries `default: "File"`, which is no file.
  if (schema.format === 'binary' && schema.default === 'File') {
    const { default: _default, ...rest } = schema;
    schema = rest;
  }
  const out: Json = {};
  for (const [key, item] of Object.entries(schema)) out[key] = cleanSchema(item);
  return out;
}

const binaryProperties = (schema: Json): string[] =>
  Object.entries((schema.properties ?? {}) as Json)
    .filter(([, property]) => isObject(property) && property.format === 'binary')
    .map(([name]) => name);

/**
 * A body carrying a required file is multipart only; one with an optional file is JSON (without the
 * file fields) or multipart. URL-encoded forms are never documented.
 */
function cleanRequestBody(body: Json): void {
  const content: Json = body.content ?? {};
  delete content[URLENCODED];
  const multipart = content['multipart/form-data']?.schema;
  if (!isObject(multipart)) return;
  const files = binaryProperties(multipart);
  if (files.length === 0) return;
  const required: string[] = multipart.required ?? [];
  if (files.some((name) => required.includes(name))) {
    delete content['application/json'];
    return;
  }
  const json = content['application/json']?.schema;
  if (!isObject(json)) return;
  const properties = { ...json.properties };
  for (const name of files) delete properties[name];
  content['application/json'] = { schema: { ...json, properties } };
}

function addHeaders(operation: Json): void {
  const idempotent = (operation.parameters ?? []).some(
    (p: Json) => p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key',
  );
  for (const [status, response] of Object.entries((operation.responses ?? {}) as Json)) {
    // A 204 comes out with `content: { type: 'void' }`; an empty answer has no content at all.
    if (isObject(response.content) && typeof response.content.type === 'string') delete response.content;
    const codes: string[] =
      response.content?.['application/json']?.schema?.properties?.error?.properties?.code?.enum ?? [];
    const headers: Json = { ...response.headers, 'X-Request-Id': REQUEST_ID };
    if (status === '429') headers['Retry-After'] = RETRY_AFTER(true);
    else if (codes.includes('IDEMPOTENCY_KEY_IN_PROGRESS')) headers['Retry-After'] = RETRY_AFTER(false);
    if (status === '401') headers['WWW-Authenticate'] = WWW_AUTHENTICATE;
    if (idempotent && status.startsWith('2')) headers['Idempotent-Replayed'] = IDEMPOTENT_REPLAYED;
    response.headers = headers;
  }
}

/**
 * What a route says in `detail` that the generator overwrites: its `requestBody` (for a body it parses
 * itself) and, per status, the `content` of a response that is not JSON (a file).
 */
function ownDetails(app: AnyElysia): Map<string, Json> {
  const details = new Map<string, Json>();
  // The same (protected) list of every route of the app that the generator reads.
  const routes = (app as unknown as { getGlobalRoutes(): RouteEntry[] }).getGlobalRoutes();
  for (const route of routes) {
    const { requestBody, responses } = route.hooks?.detail ?? {};
    if (!requestBody && !responses) continue;
    const path = route.path.replace(/:([^/]+)/g, '{$1}');
    // TypeBox schemas are JSON Schema; the round trip drops their symbol keys.
    details.set(
      `${route.method.toLowerCase()} ${path}`,
      JSON.parse(JSON.stringify({ requestBody, responses })),
    );
  }
  return details;
}

/**
 * The OpenAPI 3.1 document of every route `app` holds: generated by @elysiajs/openapi from the routes'
 * schemas and `detail`, then corrected where the generator is wrong and given the headers the HTTP layer
 * adds (X-Request-Id on every answer, Retry-After, WWW-Authenticate, Idempotent-Replayed).
 */
export function buildDocument(app: AnyElysia, base: Json, exclude: string[]): Json {
  // A dot in a path is not a static file here (`/appointments/:id/calendar.ics`).
  const generated = toOpenAPISchema(app, { paths: exclude, staticFile: false }) as Json;
  const paths = cleanSchema(generated.paths) as Json;
  const own = ownDetails(app);
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const operation: Json | undefined = item[method];
      if (!operation) continue;
      const given = own.get(`${method} ${path}`);
      if (given?.requestBody) operation.requestBody = given.requestBody;
      operation.responses ??= {};
      for (const [status, response] of Object.entries((given?.responses ?? {}) as Json)) {
        operation.responses[status] = { ...operation.responses[status], ...response };
      }
      if (operation.requestBody) cleanRequestBody(operation.requestBody);
      addHeaders(operation);
      // Public operations say so (`[]`), rather than leaving a client to guess.
      operation.security ??= [];
    }
  }
  return { openapi: '3.1.1', ...base, paths };
}
