import { t } from 'elysia';

/** The one error envelope every 4xx/5xx answer uses, for the OpenAPI document. */
export const ErrorEnvelope = t.Object(
  {
    error: t.Object({
      code: t.String({ description: 'Stable SNAKE_CASE code', examples: ['VALIDATION_FAILED'] }),
      message: t.String(),
      details: t.Optional(t.Unknown()),
    }),
  },
  { title: 'Error' },
);
