import { AppError } from '../errors.ts';

/** The request body types a route may declare with `accepts`. */
export type MediaType = 'application/json' | 'multipart/form-data';

/** A request's media type without parameters, lower-cased (media types are case-insensitive). */
export const mediaTypeOf = (request: Request): string =>
  request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';

/** 415 naming the body types the route accepts, for every route that refuses a type. */
export const unsupportedMediaType = (accepted: readonly MediaType[]): AppError =>
  new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `This route accepts ${accepted.join(' or ')}`, {
    accepted: [...accepted],
  });

const DANGEROUS_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A multipart form as a plain object: one value per field, repeated fields as an array. */
function formToObject(form: Awaited<ReturnType<Request['formData']>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of new Set(form.keys())) {
    if (DANGEROUS_KEYS.has(key)) continue;
    const values = form.getAll(key);
    body[key] = values.length === 1 ? values[0] : values;
  }
  return body;
}

/**
 * Route options declaring the request body types a route accepts, enforced here for every route alike:
 * any other type (media types compared case-insensitively) is 415 `UNSUPPORTED_MEDIA_TYPE` naming the
 * accepted ones.
 */
export function accepts<const Types extends readonly [MediaType, ...MediaType[]]>(...types: Types) {
  const parseAccepted = async ({ request }: { request: Request }): Promise<unknown> => {
    const type = mediaTypeOf(request);
    if (!(types as readonly string[]).includes(type)) {
      // No body at all is not a wrong type: the body schema answers 422 for what is missing.
      if (type === '' && (request.body === null || (await request.text()) === '')) return undefined;
      throw unsupportedMediaType(types);
    }
    return type === 'application/json' ? request.json() : formToObject(await request.formData());
  };
  // The names after the parser tell the OpenAPI generator the route's request types; the parser above
  // answers every request first, so Elysia's own parsers for those names never run.
  return { parse: [parseAccepted, ...types] };
}
