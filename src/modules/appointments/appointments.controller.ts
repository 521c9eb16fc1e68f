import { Elysia } from 'elysia';
import { accepts } from '../../shared/http.ts';
import { BODY_ERRORS, described, errors, JSON_BODY_ERRORS } from '../../shared/route-docs.ts';
import { AUTH_ERRORS, type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { IdempotencyHeaders } from '../idempotency/idempotency.model.ts';
import { IDEMPOTENCY_ERRORS, type IdempotencyPlugin } from '../idempotency/idempotency.plugin.ts';
import {
  AppointmentEnvelope,
  AppointmentIdParams,
  AppointmentPage,
  AppointmentsQuery,
  HoldBody,
} from './appointments.model.ts';
import type { AppointmentsService } from './appointments.service.ts';
import type { PartySummaries } from './party-summaries.ts';

const tags = ['Appointments'];

/** Booking holds: a patient holds a slot while paying, reads and cancels; a doctor reads theirs. */
export function appointmentsController({
  appointments,
  partySummaries,
  auth,
  idempotent,
}: {
  appointments: AppointmentsService;
  partySummaries: PartySummaries;
  auth: AuthPlugin;
  idempotent: IdempotencyPlugin;
}) {
  return new Elysia({ name: 'appointments-controller', prefix: '/appointments' })
    .use(auth)
    .use(idempotent)
    .post(
      '',
      async ({ user, body, status }) =>
        status(201, {
          appointment: await partySummaries.presentOne(user, await appointments.hold(user.id, body)),
        }),
      {
        auth: ['patient'],
        idempotent: 'POST /appointments',
        ...accepts('application/json'),
        body: HoldBody,
        headers: IdempotencyHeaders,
        response: {
          201: described(
            AppointmentEnvelope,
            'The hold: `pending_payment` until `holdExpiresAt` (or the first response again, on a replay)',
          ),
          ...errors(
            ...ROLE_ERRORS,
            ...JSON_BODY_ERRORS,
            'SLOT_NOT_FOUND',
            'SLOT_UNAVAILABLE',
            'TOO_MANY_HOLDS',
            ...IDEMPOTENCY_ERRORS,
          ),
        },
        detail: {
          tags,
          summary: 'Hold a slot while paying: 201 pending_payment until holdExpiresAt',
          description:
            "The fee is the doctor's at hold time. 409 `SLOT_UNAVAILABLE` when the slot is held or booked, " +
            '409 `TOO_MANY_HOLDS` beyond the unpaid-hold limit. With `Idempotency-Key`, a retry with the same body ' +
            'within 24 h returns the first response (header `Idempotent-Replayed: true`); another body under the ' +
            'same key is 422 `IDEMPOTENCY_KEY_REUSED`; a retry while the first still runs is 409 ' +
            '`IDEMPOTENCY_KEY_IN_PROGRESS`.',
        },
      },
    )
    .get(
      '',
      async ({ user, query }) => {
        const page = await appointments.list(user, query);
        return { items: await partySummaries.present(user, page.items), nextCursor: page.nextCursor };
      },
      {
        auth: ['patient', 'doctor'],
        query: AppointmentsQuery,
        response: {
          200: described(
            AppointmentPage,
            'A page of appointments; pass `nextCursor` as `cursor` for the next',
          ),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: {
          tags,
          summary: 'My appointments (a doctor: those with me), newest first',
          description: 'Optionally of one `status`; up to 100 a page (default 20). Admins are refused (403).',
        },
      },
    )
    .get(
      '/:id',
      async ({ user, params }) => ({
        appointment: await partySummaries.presentOne(user, await appointments.get(user, params.id)),
      }),
      {
        auth: true,
        params: AppointmentIdParams,
        response: {
          200: described(AppointmentEnvelope, 'The appointment'),
          ...errors(...AUTH_ERRORS, 'VALIDATION_FAILED', 'APPOINTMENT_NOT_FOUND'),
        },
        detail: {
          tags,
          summary: 'One appointment: its patient, its doctor or an admin',
          description: 'Anyone else gets 404, as for a missing one.',
        },
      },
    )
    .post(
      '/:id/cancel',
      async ({ user, params }) => ({
        appointment: await partySummaries.presentOne(user, await appointments.cancel(user.id, params.id)),
      }),
      {
        auth: ['patient'],
        params: AppointmentIdParams,
        response: {
          200: described(AppointmentEnvelope, 'The appointment, now `cancelled`'),
          ...errors(
            ...ROLE_ERRORS,
            ...BODY_ERRORS,
            'VALIDATION_FAILED',
            'APPOINTMENT_NOT_FOUND',
            'APPOINTMENT_NOT_CANCELLABLE',
          ),
        },
        detail: {
          tags,
          summary: 'Cancel my unpaid hold; the slot reopens at once',
          description:
            'Only a `pending_payment` hold can be cancelled; a lapsed, paid or cancelled one is 409 ' +
            '`APPOINTMENT_NOT_CANCELLABLE` with `details.status`.',
        },
      },
    );
}
