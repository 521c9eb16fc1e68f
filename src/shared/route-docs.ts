import { CloneType, type TSchema } from '@sinclair/typebox';
import { t } from 'elysia';
import { ERROR_CODES, type ErrorCode, type ErrorStatus } from './error-codes.ts';
import type { ErrorEnvelope } from './error-schema.ts';

/** What the HTTP layer answers for any request with a body (http.ts guards size and type first). */
export const BODY_ERRORS = ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const satisfies ErrorCode[];
/** A route with a JSON body: the guards, unparseable JSON, and the schema. */
export const JSON_BODY_ERRORS = [
  ...BODY_ERRORS,
  'MALFORMED_BODY',
  'VALIDATION_FAILED',
] as const satisfies ErrorCode[];

/** A copy of a response schema with the description the OpenAPI document shows for that response. */
export const described = <T extends TSchema>(schema: T, description: string): T =>
  CloneType(schema, { description });

/** An empty answer (204) with its meaning. */
export const noContent = (description: string) => t.Void({ description });

/** The error envelope of one status, its `code` limited (in the document) to the codes given. */
function envelopeOf(codes: ErrorCode[]): typeof ErrorEnvelope {
  const lines = codes.map((code) => `- \`${code}\`: ${ERROR_CODES[code].meaning}`);
  return t.Object(
    {
      error: t.Object({
        // `enum` documents the codes; it is not enforced, so a route never fails on a code it forgot.
        code: t.String({ enum: codes, description: 'Stable SNAKE_CASE code' }),
        message: t.String({ description: 'For people; may change' }),
        details: t.Optional(t.Unknown({ description: 'Machine-readable facts, per code' })),
      }),
    },
    { description: lines.join('\n') },
  );
}

/**
 * The error responses of a route, from the codes it can answer: `errors(...AUTH_ERRORS, 'EMAIL_TAKEN')`
 * gives `{ 401: ..., 409: ... }`, each status's envelope listing its codes and what they mean.
 */
export function errors<const C extends readonly ErrorCode[]>(
  ...codes: C
): { [S in ErrorStatus<C[number]>]: typeof ErrorEnvelope } {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, typeof ErrorEnvelope> = {};
  for (const [status, list] of byStatus) responses[status] = envelopeOf(list);
  return responses as { [S in ErrorStatus<C[number]>]: typeof ErrorEnvelope };
}
