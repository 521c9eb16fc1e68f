import { Elysia } from 'elysia';
import type { Container } from '../../container.ts';
import { ErrorEnvelope } from '../../shared/error-schema.ts';
import { accepts } from '../../shared/http.ts';
import { authErrorResponses, authPlugin } from '../auth/auth.plugin.ts';
import {
  AppointmentEnvelope,
  AppointmentIdParams,
  AppointmentPage,
  AppointmentsQuery,
  HoldBody,
  IdempotencyHeaders,
} from './appointments.model.ts';

const tags = ['Appointments'];
const HOLD_SCOPE = 'POST /appointments';

/** Booking holds: a patient holds a slot while paying, reads and cancels; a doctor reads theirs. */
export function appointmentsController(container: Container) {
  const { appointments, idempotency, partySummaries } = container;
  return new Elysia({ name: 'appointments-controller', prefix: '/appointments' })
    .use(authPlugin(container))
    .post(
      '',
      async ({ user, body, headers, set, status }) => {
        const hold = async () => ({
          status: 201,
          body: {
            appointment: await partySummaries.presentOne(user, await appointments.hold(user.id, body)),
          },
        });
        const key = headers['idempotency-key'];
        const outcome = key
          ? await idempotency.run({ userId: user.id, key, scope: HOLD_SCOPE }, body, hold)
          : { ...(await hold()), replayed: false };
        if (outcome.replayed) set.headers['idempotent-replayed'] = 'true';
        return status(201, outcome.body);
      },
      {
        auth: ['patient'],
        ...accepts('application/json'),
        body: HoldBody,
        headers: IdempotencyHeaders,
        response: {
          201: AppointmentEnvelope,
          ...authErrorResponses,
          404: ErrorEnvelope,
          409: ErrorEnvelope,
          422: ErrorEnvelope,
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
        response: { 200: AppointmentPage, ...authErrorResponses, 422: ErrorEnvelope },
        detail: { tags, summary: 'My appointments (a doctor: those with me), newest first' },
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
        response: { 200: AppointmentEnvelope, ...authErrorResponses, 404: ErrorEnvelope, 422: ErrorEnvelope },
        detail: { tags, summary: 'One appointment: its patient, its doctor or an admin' },
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
          200: AppointmentEnvelope,
          ...authErrorResponses,
          404: ErrorEnvelope,
          409: ErrorEnvelope,
          422: ErrorEnvelope,
        },
        detail: { tags, summary: 'Cancel my unpaid hold; the slot reopens at once' },
      },
    );
}
