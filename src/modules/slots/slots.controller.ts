import { Elysia } from 'elysia';
import type { Clock } from '../../shared/clock.ts';
import { accepts } from '../../shared/http.ts';
import { BODY_ERRORS, described, errors, JSON_BODY_ERRORS, noContent } from '../../shared/route-docs.ts';
import { type AuthPlugin, ROLE_ERRORS } from '../auth/auth.plugin.ts';
import { DoctorIdParams } from '../doctors/doctors.model.ts';
import {
  CreateSlotsBody,
  CreateSlotsResponse,
  OwnSlotPage,
  OwnSlotsQuery,
  PublicSlotPage,
  PublicSlotsQuery,
  SlotIdParams,
  toOwnSlot,
  toPublicSlot,
} from './slots.model.ts';
import type { SlotsService } from './slots.service.ts';

const tags = ['Doctors'];

/** A doctor's own slots under /doctors/me/slots, and an approved doctor's bookable slots (public). */
export function slotsController({
  slots,
  clock,
  auth,
}: {
  slots: SlotsService;
  clock: Clock;
  auth: AuthPlugin;
}) {
  return new Elysia({ name: 'slots-controller', prefix: '/doctors' })
    .use(auth)
    .post(
      '/me/slots',
      async ({ user, body, status }) => {
        const result = await slots.create(user.id, body);
        const now = clock.now();
        const answer = {
          created: result.created.map((slot) => toOwnSlot(slot, now)),
          skipped: result.skipped,
        };
        // 201 only when something was created; the reasons for what was not come back either way.
        return answer.created.length ? status(201, answer) : status(200, answer);
      },
      {
        auth: ['doctor'],
        ...accepts('application/json'),
        body: CreateSlotsBody,
        response: {
          200: described(CreateSlotsResponse, 'Nothing was created: each slot skipped, with its reason'),
          201: described(
            CreateSlotsResponse,
            'Slots were created: those, and each one skipped with its reason (IN_PAST, BEYOND_HORIZON, OVERLAP, DST_GAP)',
          ),
          ...errors(...ROLE_ERRORS, ...JSON_BODY_ERRORS, 'DOCTOR_NOT_APPROVED'),
        },
        detail: {
          tags,
          summary: 'Publish slots, listed or from a weekly schedule in local time',
          description:
            'Send `slots` (UTC instants) or `schedule` (inclusive local dates, ISO weekdays 1-7, local HH:MM, in ' +
            "the schedule's or the doctor's time zone). Slots in the past, beyond the horizon, overlapping " +
            'another slot or starting at a local time skipped by a DST change come back in `skipped` with a reason.',
        },
      },
    )
    .get(
      '/me/slots',
      async ({ user, query }) => {
        const page = await slots.listOwn(user.id, query);
        const now = clock.now();
        return { items: page.items.map((slot) => toOwnSlot(slot, now)), nextCursor: page.nextCursor };
      },
      {
        auth: ['doctor'],
        query: OwnSlotsQuery,
        response: {
          200: described(
            OwnSlotPage,
            'A page of my slots, ascending; pass `nextCursor` as `cursor` for the next',
          ),
          ...errors(...ROLE_ERRORS, 'VALIDATION_FAILED'),
        },
        detail: {
          tags,
          summary: 'My slots in a time range (default: the next 30 days), with their state',
          description:
            'Open, held and booked slots, optionally of one `status`; up to 500 a page. `from`/`to` are UTC ' +
            "instants or calendar dates (that whole day in the doctor's time zone).",
        },
      },
    )
    .delete(
      '/me/slots/:slotId',
      async ({ user, params, status }) => {
        await slots.delete(user.id, params.slotId);
        return status(204, undefined);
      },
      {
        auth: ['doctor'],
        params: SlotIdParams,
        response: {
          204: noContent('The slot is deleted'),
          ...errors(...ROLE_ERRORS, ...BODY_ERRORS, 'VALIDATION_FAILED', 'SLOT_NOT_FOUND', 'SLOT_NOT_FREE'),
        },
        detail: {
          tags,
          summary: 'Delete one of my open slots (409 when held or booked)',
          description: "Only an open slot can go; someone else's slot is 404 like a missing one.",
        },
      },
    )
    .get(
      '/:id/slots',
      async ({ params, query }) => {
        const page = await slots.listBookable(params.id, query);
        return { items: page.items.map(toPublicSlot), nextCursor: page.nextCursor };
      },
      {
        params: DoctorIdParams,
        query: PublicSlotsQuery,
        response: {
          200: described(
            PublicSlotPage,
            'A page of bookable slots; pass `nextCursor` as `cursor` for the next',
          ),
          ...errors('VALIDATION_FAILED', 'DOCTOR_NOT_FOUND'),
        },
        detail: {
          tags,
          summary: 'Bookable slots of an approved doctor, ascending (default: the next 30 days)',
          description:
            'Public. Open slots, and held ones whose hold has lapsed, starting in `[from, to)`; up to 500 a page. ' +
            '`from`/`to` are UTC instants or calendar dates (`YYYY-MM-DD`): a date is that whole day in the ' +
            "doctor's time zone, the `to` day included.",
        },
      },
    );
}
