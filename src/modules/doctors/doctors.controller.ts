import { Elysia } from 'elysia';
import { described, errors } from '../../shared/route-docs.ts';
import { DoctorEnvelope, DoctorIdParams, DoctorPage, DoctorsQuery, SpecialtyList } from './doctors.model.ts';
import type { DoctorsService } from './doctors.service.ts';

const tags = ['Doctors'];

/** The doctor directory (public). */
export function doctorsController({ doctors }: { doctors: DoctorsService }) {
  return new Elysia({ name: 'doctors-controller', prefix: '/doctors' })
    .get('', ({ query }) => doctors.list(query), {
      query: DoctorsQuery,
      response: {
        200: described(DoctorPage, 'A page of approved doctors; pass `nextCursor` as `cursor` for the next'),
        ...errors('VALIDATION_FAILED'),
      },
      detail: {
        tags,
        summary: 'Approved doctors by name; filter by specialty (any case) or part of the name',
        description: 'Public. Only approved doctors are listed; up to 100 a page (default 20).',
      },
    })
    .get('/:id', async ({ params }) => ({ doctor: await doctors.profile(params.id) }), {
      params: DoctorIdParams,
      response: {
        200: described(DoctorEnvelope, "The doctor's public profile"),
        ...errors('VALIDATION_FAILED', 'DOCTOR_NOT_FOUND'),
      },
      detail: {
        tags,
        summary: 'Public profile of an approved doctor',
        description:
          'Public: name, picture, specialty, fee, time zone, bio and languages; no contact details.',
      },
    });
}

/** The specialties a patient can filter the directory by (public). */
export function specialtiesController({ doctors }: { doctors: DoctorsService }) {
  return new Elysia({ name: 'specialties-controller' }).get('/specialties', () => doctors.specialties(), {
    response: {
      200: described(SpecialtyList, 'Specialties of approved doctors with how many offer each, by name'),
    },
    detail: {
      tags,
      summary: 'Specialties of approved doctors, by name, with how many practise each',
      description:
        'Spellings that differ only in case are one specialty, shown as most of its doctors write it; ' +
        '`GET /doctors?specialty=` matches any of them.',
    },
  });
}
