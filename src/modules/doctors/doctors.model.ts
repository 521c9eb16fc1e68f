import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { ID_PATTERN } from '../../shared/ids.ts';
import { type DoctorProfile, PROFILE_LIMITS, type UserDoc } from '../users/users.model.ts';

export const DOCTOR_PAGE_DEFAULT = 20;
export const DOCTOR_PAGE_MAX = 100;

/** What anyone may read about an approved doctor: no email, phone, registration or review data. */
export const PublicDoctor = t.Object(
  {
    id: t.String(),
    name: t.String(),
    avatarUrl: t.Optional(t.String()),
    specialty: t.String(),
    // TypeBox's own Integer: Elysia's `t.Integer` is `numeric text | integer`, documented as `string | number`.
    consultationFeePaise: Type.Integer({ description: 'Fee per consultation, in paise' }),
    timezone: t.String({ description: 'IANA zone the doctor works in' }),
    bio: t.Optional(t.String()),
    languages: t.Optional(t.Array(t.String())),
  },
  { title: 'Doctor' },
);
export type PublicDoctor = Static<typeof PublicDoctor>;

export const DoctorEnvelope = t.Object({ doctor: PublicDoctor });
export const DoctorPage = t.Object({
  items: t.Array(PublicDoctor),
  nextCursor: t.Union([t.String(), t.Null()]),
});

export const Specialty = t.Object(
  {
    specialty: t.String({ description: 'As most of its doctors write it' }),
    count: t.Integer({ minimum: 1, description: 'Approved doctors of this specialty' }),
  },
  { title: 'Specialty' },
);
export const SpecialtyList = t.Object({ items: t.Array(Specialty) });
export type SpecialtyList = Static<typeof SpecialtyList>;

/** A doctor's id wherever a path names one (public and admin routes alike): anything else is 422. */
export const DoctorIdParams = t.Object({ id: t.String({ pattern: ID_PATTERN, description: 'UUID' }) });

export const DoctorsQuery = t.Object({
  specialty: t.Optional(
    t.String({
      minLength: 1,
      maxLength: PROFILE_LIMITS.specialty.maxLength,
      description: 'Specialty, any case (`cardiology` finds `Cardiology`)',
    }),
  ),
  q: t.Optional(t.String({ minLength: 1, maxLength: 80, description: 'Part of the name, any case' })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: DOCTOR_PAGE_MAX, default: DOCTOR_PAGE_DEFAULT })),
  cursor: t.Optional(t.String({ maxLength: 2048 })),
});
export type DoctorsQuery = Static<typeof DoctorsQuery>;

export type ApprovedDoctor = UserDoc & { doctor: DoctorProfile & { approvalStatus: 'approved' } };

export const isApprovedDoctor = (user: UserDoc | null): user is ApprovedDoctor =>
  user?.role === 'doctor' && user.doctor?.approvalStatus === 'approved';

export const toPublicDoctor = (user: ApprovedDoctor): PublicDoctor => ({
  id: user._id,
  name: user.name,
  ...(user.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
  specialty: user.doctor.specialty,
  consultationFeePaise: user.doctor.consultationFeePaise,
  timezone: user.doctor.timezone,
  ...(user.doctor.bio ? { bio: user.doctor.bio } : {}),
  ...(user.doctor.languages ? { languages: user.doctor.languages } : {}),
});
