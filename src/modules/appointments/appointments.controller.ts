import { Elysia, t } from 'elysia';
import { accepts } from '../../shared/http.ts';
import { described, errors, JSON_BODY_ERRORS } from '../../shared/route-docs.ts';
import { AUTH_ERRORS, type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { IdempotencyHeaders } from '../idempotency/idempotency.model.ts';
import { IDEMPOTENCY_ERRORS, type IdempotencyPlugin } from '../idempotency/idempotency.plugin.ts';
import type { CancellationsService } from '../payments/cancellations.service.ts';
import { Refund, toRefund } from '../payments/refunds.model.ts';
import {
  AppointmentEnvelope,
  AppointmentIdParams,
  AppointmentPage,
  AppointmentsQuery,
  CancelBody,
  HoldBody,
  RescheduleBody,
} from './appointments.model.ts';
import type { AppointmentsService } from './appointments.service.ts';
import type { PartySummaries } from './party-summaries.ts';
import type { ReschedulesService } from './reschedules.service.ts';

const tags = ['Appointments'];

/** Booking holds: a patient holds a slot while paying, reads and cancels; a doctor reads theirs. */
export function appointmentsController({
  appointments,
  partySummaries,
  cancellations,
  reschedules,
  auth,
  idempotent,
}: {
  appointments: AppointmentsService;
  partySummaries: PartySummaries;
  cancellations: CancellationsService;
  reschedules: ReschedulesService;
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
      async ({ user, params, body }) => {
        const { appointment, refund } = await cancellations.cancel(user, params.id, body ?? {});
        return {
          appointment: await partySummaries.presentOne(user, appointment),
          ...(refund ? { refund: toRefund(refund) } : {}),
        };
      },
      {
        auth: true,
        params: AppointmentIdParams,
        ...accepts('application/json'),
        body: t.Optional(CancelBody),
        response: {
          200: described(
            t.Object({ appointment: AppointmentEnvelope.properties.appointment, refund: t.Optional(Refund) }),
            'The appointment, now `cancelled`, and for a paid one its refund (the rule that applied in `reason`)',
          ),
          ...errors(
            ...AUTH_ERRORS,
            ...JSON_BODY_ERRORS,
            'APPOINTMENT_NOT_FOUND',
            'APPOINTMENT_NOT_CANCELLABLE',
          ),
        },
        detail: {
          tags,
          summary:
            'Cancel: my unpaid hold, or a confirmed appointment (refund per the policy); the slot reopens',
          description:
            'Its patient cancels an unpaid hold or a confirmed appointment; its doctor (or an admin) a confirmed one. ' +
            'Refund of a confirmed one: the patient gets 100% at least `REFUND_FULL_HOURS` before the start, ' +
            '`REFUND_LATE_PERCENT`% later, 0 after the start; the doctor or an admin cancelling refunds 100%. ' +
            'The wallet part goes back to the wallet at once, the gateway part through Razorpay (`refund.status` ' +
            '`pending` until it is processed), unless `refundTo: "wallet"`. Anything else is 409 ' +
            '`APPOINTMENT_NOT_CANCELLABLE` with `details.status`; a second cancel refunds nothing more.',
        },
      },
    )
    .post(
      '/:id/reschedule',
      async ({ user, params, body }) => ({
        appointment: await partySummaries.presentOne(
          user,
          await reschedules.reschedule(user.id, params.id, body.slotId),
        ),
      }),
      {
        auth: ['patient'],
        idempotent: 'POST /appointments/:id/reschedule',
        params: AppointmentIdParams,
        ...accepts('application/json'),
        body: RescheduleBody,
        headers: IdempotencyHeaders,
        response: {
          200: described(
            AppointmentEnvelope,
            'The same appointment, now on the new slot; the payment stands',
          ),
          ...errors(
            ...ROLE_ERRORS,
            ...JSON_BODY_ERRORS,
            'APPOINTMENT_NOT_FOUND',
            'APPOINTMENT_NOT_RESCHEDULABLE',
            'SLOT_UNAVAILABLE',
            'SLOT_NOT_ELIGIBLE',
            ...IDEMPOTENCY_ERRORS,
          ),
        },
        detail: {
          tags,
          summary: 'Move my confirmed appointment to another open slot of the same doctor',
          description:
            'Until `RESCHEDULE_CUTOFF_HOURS` before the start, at most `MAX_RESCHEDULES` times (else 409 ' +
            '`APPOINTMENT_NOT_RESCHEDULABLE`). A held, booked or missing target is 409 `SLOT_UNAVAILABLE` and the ' +
            'booking stays as it was; a slot of another doctor, in the past or the current one is 422 ' +
            '`SLOT_NOT_ELIGIBLE`. Both parties get the updated invite (same UID, higher SEQUENCE); reminders follow.',
        },
      },
    )
    .get(
      '/:id/calendar.ics',
      async ({ user, params }) =>
        new Response(await reschedules.invite(user, params.id), {
          headers: { 'content-type': 'text/calendar; charset=UTF-8', 'cache-control': 'no-store' },
        }),
      {
        auth: true,
        params: AppointmentIdParams,
        response: {
          200: t.String({
            description: 'The current iCalendar invite (`text/calendar`): REQUEST, or CANCEL once cancelled',
          }),
          ...errors(...AUTH_ERRORS, 'VALIDATION_FAILED', 'APPOINTMENT_NOT_FOUND'),
        },
        detail: {
          tags,
          summary: 'The appointment as a calendar invite, for its patient or its doctor',
          description: 'Same UID in every version; SEQUENCE grows with each move or cancellation.',
          responses: {
            200: {
              description: 'The current invite: REQUEST, or CANCEL once cancelled',
              content: { 'text/calendar': { schema: { type: 'string' } } },
            },
          },
        },
      },
    );
}
