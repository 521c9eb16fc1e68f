import { Elysia, t } from 'elysia';
import type { Container } from '../../container.ts';
import { ErrorEnvelope } from '../../shared/error-schema.ts';
import { accepts } from '../../shared/http.ts';
import { authErrorResponses, authPlugin } from '../auth/auth.plugin.ts';
import { DoctorEnvelope, DoctorIdParams, DoctorPage, DoctorsQuery, SpecialtyList } from './doctors.model.ts';
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

const tags = ['Doctors'];

/** The doctor directory (public) and a doctor's own slots. */
export function doctorsController(container: Container) {
  const { doctors, slots, clock } = container;
  return new Elysia({ name: 'doctors-controller', prefix: '/doctors' })
    .use(authPlugin(container))
    .get('', ({ query }) => doctors.list(query), {
      query: DoctorsQuery,
      response: { 200: DoctorPage, 422: ErrorEnvelope },
      detail: { tags, summary: 'Approved doctors by name; filter by exact specialty or part of the name' },
    })
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
          200: CreateSlotsResponse,
          201: CreateSlotsResponse,
          ...authErrorResponses,
          409: ErrorEnvelope,
          422: ErrorEnvelope,
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
        response: { 200: OwnSlotPage, ...authErrorResponses, 422: ErrorEnvelope },
        detail: {
          tags,
          summary: 'My slots in a time range (default: the next 30 days), with their state',
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
          204: t.Void(),
          ...authErrorResponses,
          404: ErrorEnvelope,
          409: ErrorEnvelope,
          422: ErrorEnvelope,
        },
        detail: { tags, summary: 'Delete one of my open slots (409 when held or booked)' },
      },
    )
    .get('/:id', async ({ params }) => ({ doctor: await doctors.profile(params.id) }), {
      params: DoctorIdParams,
      response: { 200: DoctorEnvelope, 404: ErrorEnvelope, 422: ErrorEnvelope },
      detail: { tags, summary: 'Public profile of an approved doctor' },
    })
    .get(
      '/:id/slots',
      async ({ params, query }) => {
        const page = await slots.listBookable(params.id, query);
        return { items: page.items.map(toPublicSlot), nextCursor: page.nextCursor };
      },
      {
        params: DoctorIdParams,
        query: PublicSlotsQuery,
        response: { 200: PublicSlotPage, 404: ErrorEnvelope, 422: ErrorEnvelope },
        detail: {
          tags,
          summary: 'Bookable slots of an approved doctor, ascending (default: the next 30 days)',
        },
      },
    );
}

/** The specialties a patient can filter the directory by (public). */
export function specialtiesController(container: Container) {
  const { doctors } = container;
  return new Elysia({ name: 'specialties-controller' }).get('/specialties', () => doctors.specialties(), {
    response: { 200: SpecialtyList },
    detail: {
      tags,
      summary: 'Specialties of approved doctors, by name, with how many practise each',
      description:
        'Spellings that differ only in case are one specialty, shown as most of its doctors write it; ' +
        '`GET /doctors?specialty=` matches any of them.',
    },
  });
}
