import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked as plain JSON
type Json = Record<string, any>;

/** An answer as a client saw it: `body` is the parsed JSON, a string for other text, undefined when empty. */
export interface ObservedResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Headers of ours a response may only carry when its operation declares them. */
const OWN_HEADERS = ['x-request-id', 'retry-after', 'idempotent-replayed', 'www-authenticate'];
/** The app's own string formats (request-side text rules); any value passes them here. */
const APP_FORMATS = ['single-line-text', 'multi-line-text', 'visible-text', 'binary'];

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  params: number;
  operation: Json;
}

const mediaType = (headers: Headers): string =>
  headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * Checks answers against an OpenAPI 3.1 document the way a generated client relies on it: the operation
 * and status are documented, the body has a documented media type and matches its schema (Ajv, JSON
 * Schema 2020-12), an empty answer is documented without content, required headers are there, and every
 * header of ours that is there is declared and valid. Returns the problems found (none: an empty list).
 */
export function responseContract(doc: Json) {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  for (const format of APP_FORMATS) ajv.addFormat(format, true);
  const compiled = new Map<object, ValidateFunction>();
  const validatorOf = (schema: object): ValidateFunction => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    return validate;
  };

  const routes: Route[] = [];
  for (const [template, item] of Object.entries(doc.paths as Json)) {
    for (const [method, operation] of Object.entries(item as Json)) {
      const params = template.match(/\{[^}]+\}/g)?.length ?? 0;
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+');
      routes.push({ method, template, pattern: new RegExp(`^${source}$`), params, operation });
    }
  }
  // A literal segment wins over a parameter: /doctors/me/slots before /doctors/{id}/slots.
  routes.sort((a, b) => a.params - b.params);

  return function check(method: string, url: string, response: ObservedResponse): string[] {
    const path = url.split('?')[0]!;
    const route = routes.find((r) => r.method === method.toLowerCase() && r.pattern.test(path));
    const where = `${method.toUpperCase()} ${path} -> ${response.status}`;
    if (!route) return [`${where}: the operation is not documented`];
    const documented: Json | undefined = route.operation.responses?.[String(response.status)];
    if (!documented) return [`${where}: status ${response.status} is not documented for ${route.template}`];
    const problems: string[] = [];

    const type = mediaType(response.headers);
    const content: Json = documented.content ?? {};
    if (response.body === undefined || response.body === '') {
      if (Object.keys(content).length > 0) problems.push(`${where}: empty, but content is documented`);
    } else if (!content[type]) {
      problems.push(
        `${where}: content type "${type}" is not documented (${Object.keys(content).join(', ')})`,
      );
    } else {
      const schema = content[type].schema;
      if (schema && schema.format !== 'binary') {
        const validate = validatorOf(schema);
        if (!validate(response.body)) {
          problems.push(`${where}: body does not match: ${ajv.errorsText(validate.errors)}`);
        }
      }
    }

    const declared = new Map<string, Json>(
      Object.entries((documented.headers ?? {}) as Json).map(([name, h]) => [name.toLowerCase(), h]),
    );
    for (const [name, headerDoc] of declared) {
      const value = response.headers.get(name);
      if (value === null) {
        if (headerDoc.required) problems.push(`${where}: required header ${name} is missing`);
        continue;
      }
      if (headerDoc.schema && !validatorOf(headerDoc.schema)(value)) {
        problems.push(`${where}: header ${name}: "${value}" does not match its schema`);
      }
    }
    for (const name of OWN_HEADERS) {
      if (response.headers.has(name) && !declared.has(name)) {
        problems.push(`${where}: header ${name} is sent but not declared`);
      }
    }
    return problems;
  };
}
