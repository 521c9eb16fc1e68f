import { Elysia, t } from 'elysia';
import type { Container } from '../../container.ts';
import { ErrorEnvelope } from '../../shared/error-schema.ts';
import { mediaTypeOf, unsupportedMediaType } from '../../shared/http.ts';
import { Text } from '../../shared/text.ts';
import { authErrorResponses, authPlugin } from '../auth/auth.plugin.ts';
import { DoctorIdParams } from '../doctors/doctors.model.ts';
import { ApprovalStatus, PublicUser } from '../users/users.model.ts';

const RejectBody = t.Object(
  { reason: t.Optional(Text({ maxLength: 1000, multiline: true })) },
  { additionalProperties: false },
);
/**
 * The body of a route whose fields are all optional: no body reads as `{}`, anything but a JSON object
 * throws (Elysia answers 422 MALFORMED_BODY). Elysia's own parsing would let a failed parse through as
 * undefined and clean a non-object into `{}`, so garbage would act like a valid empty request.
 */
async function optionalJsonObject(request: Request): Promise<object> {
  const text = await request.text();
  if (text.trim() === '') return {};
  if (mediaTypeOf(request) !== 'application/json') throw unsupportedMediaType(['application/json']);
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('expected a JSON object');
  }
  return value;
}

const ReviewedDoctor = t.Object({ user: PublicUser });
const tags = ['Admin'];

/** Doctor review for admins. */
export function adminController(container: Container) {
  const { doctorReview } = container;
  return new Elysia({ name: 'admin-controller', prefix: '/admin' })
    .use(authPlugin(container))
    .get(
      '/doctors',
      ({ query }) =>
        doctorReview.list(query.status ?? 'pending', {
          limit: query.limit ?? 50,
          cursor: query.cursor ?? null,
        }),
      {
        auth: ['admin'],
        query: t.Object(
          {
            status: t.Optional(ApprovalStatus),
            limit: t.Optional(t.Numeric({ minimum: 1, maximum: 100, multipleOf: 1 })),
            cursor: t.Optional(t.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: t.Object({ items: t.Array(PublicUser), nextCursor: t.Union([t.String(), t.Null()]) }),
          ...authErrorResponses,
          422: ErrorEnvelope,
        },
        detail: { tags, summary: 'Doctors by approval status (default pending), oldest first' },
      },
    )
    .post(
      '/doctors/:id/approve',
      async ({ params, user }) => ({ user: await doctorReview.decide(params.id, 'approved', user.id) }),
      {
        auth: ['admin'],
        params: DoctorIdParams,
        response: {
          200: ReviewedDoctor,
          ...authErrorResponses,
          404: ErrorEnvelope,
          409: ErrorEnvelope,
          422: ErrorEnvelope,
        },
        detail: { tags, summary: 'Approve a pending doctor (emails them)' },
      },
    )
    .post(
      '/doctors/:id/reject',
      async ({ params, user, body }) => ({
        user: await doctorReview.decide(params.id, 'rejected', user.id, body.reason),
      }),
      {
        auth: ['admin'],
        params: DoctorIdParams,
        parse: ({ request }) => optionalJsonObject(request),
        body: RejectBody,
        response: {
          200: ReviewedDoctor,
          ...authErrorResponses,
          404: ErrorEnvelope,
          409: ErrorEnvelope,
          422: ErrorEnvelope,
        },
        detail: { tags, summary: 'Reject a pending doctor, with an optional reason (emails them)' },
      },
    );
}
