import { Elysia, t } from 'elysia';
import { ValidationError } from '../../shared/errors.ts';
import { mediaTypeOf, unsupportedMediaType } from '../../shared/http.ts';
import { BODY_ERRORS, described, errors, JSON_BODY_ERRORS } from '../../shared/route-docs.ts';
import { Text } from '../../shared/text.ts';
import { type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { DoctorIdParams } from '../doctors/doctors.model.ts';
import { ApprovalStatus, PublicUser } from '../users/users.model.ts';
import type { DoctorReviewService } from './doctor-review.service.ts';

const RejectBody = t.Object(
  { reason: t.Optional(Text({ maxLength: 1000, multiline: true })) },
  { additionalProperties: false },
);
/**
 * The body of a route whose fields are all optional: no body reads as `{}`; text that is not JSON is 422
 * MALFORMED_BODY and JSON that is not an object 422 VALIDATION_FAILED. Elysia's own parsing would let a failed parse through as
 * undefined and clean a non-object into `{}`, so garbage would act like a valid empty request.
 */
async function optionalJsonBody(request: Request): Promise<object> {
  const text = await request.text();
  if (text.trim() === '') return {};
  if (mediaTypeOf(request) !== 'application/json') throw unsupportedMediaType(['application/json']);
  const value: unknown = JSON.parse(text);
  // Valid JSON that is not an object is an invalid body, as on every other JSON route.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError('The request is invalid', [{ path: '(root)', message: 'Expected object' }]);
  }
  return value;
}

const ReviewedDoctor = t.Object({ user: PublicUser });
const tags = ['Admin'];

/** Doctor review for admins. */
export function adminController({
  doctorReview,
  auth,
}: {
  doctorReview: DoctorReviewService;
  auth: AuthPlugin;
}) {
  return new Elysia({ name: 'admin-controller', prefix: '/admin' })
    .use(auth)
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
          200: t.Object(
            { items: t.Array(PublicUser), nextCursor: t.Union([t.String(), t.Null()]) },
            { description: 'A page of doctors; pass `nextCursor` as `cursor` for the next (null: no more)' },
          ),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: {
          tags,
          summary: 'Doctors by approval status (default pending), oldest first',
          description:
            'Admins review doctors from here: every account field but the password, up to 100 a page.',
        },
      },
    )
    .post(
      '/doctors/:id/approve',
      async ({ params, user }) => ({ user: await doctorReview.decide(params.id, 'approved', user.id) }),
      {
        auth: ['admin'],
        params: DoctorIdParams,
        response: {
          200: described(ReviewedDoctor, 'The doctor, now approved: listed and bookable'),
          ...errors(
            ...ROLE_ERRORS,
            ...BODY_ERRORS,
            'VALIDATION_FAILED',
            'DOCTOR_NOT_FOUND',
            'ALREADY_REVIEWED',
            'DOCTOR_EMAIL_NOT_VERIFIED',
          ),
        },
        detail: {
          tags,
          summary: 'Approve a pending doctor (emails them)',
          description:
            'Each doctor is decided once; a second decision is 409 `ALREADY_REVIEWED`. A doctor whose email is ' +
            'not verified yet cannot be approved (409 `DOCTOR_EMAIL_NOT_VERIFIED`), so only proven addresses are listed.',
        },
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
        parse: ({ request }) => optionalJsonBody(request),
        body: RejectBody,
        response: {
          200: described(ReviewedDoctor, 'The doctor, now rejected'),
          ...errors(...ROLE_ERRORS, ...JSON_BODY_ERRORS, 'DOCTOR_NOT_FOUND', 'ALREADY_REVIEWED'),
        },
        detail: {
          tags,
          summary: 'Reject a pending doctor, with an optional reason (emails them)',
          description:
            'No body, or a JSON object with an optional `reason` (sent in the email). Each doctor is decided ' +
            'once; a second decision is 409 `ALREADY_REVIEWED`.',
          // The route parses its own (optional) body, so the generator cannot see its type.
          requestBody: { required: false, content: { 'application/json': { schema: RejectBody } } },
        },
      },
    );
}
