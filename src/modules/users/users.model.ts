import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';
import { literalUnion } from '../../shared/literal-union.ts';
import { Text } from '../../shared/text.ts';

export const ROLES = ['patient', 'doctor', 'admin'] as const;
export const Role = literalUnion(ROLES);
export type Role = Static<typeof Role>;

/**
 * Doctor approval: `pending` -> `approved` | `rejected` (an admin decides; each sends an email).
 * Only approved doctors are listed or bookable.
 */
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export const ApprovalStatus = literalUnion(APPROVAL_STATUSES);
export type ApprovalStatus = Static<typeof ApprovalStatus>;

/**
 * The limits of the profile fields, written once: the stored document, the signup and PATCH /me bodies
 * and the cleaning in `profile-fields.ts` all read them.
 */
export const PROFILE_LIMITS = {
  name: { minLength: 1, maxLength: 120 },
  phone: { maxLength: 20 },
  timezone: { minLength: 1, maxLength: 64 },
  specialty: { minLength: 2, maxLength: 80 },
  registrationNumber: { minLength: 3, maxLength: 40 },
  consultationFeePaise: { minimum: 0, maximum: 100_000_000 },
  bio: { maxLength: 2000 },
  language: { minLength: 2, maxLength: 40 },
  languages: { maxItems: 20 },
} as const;

export const DoctorProfile = Type.Object(
  {
    specialty: Type.String(PROFILE_LIMITS.specialty),
    /** `specialtyKeyOf(specialty)`, written with it, so the directory filter matches any case by index. */
    specialtyKey: Type.Optional(Type.String({ maxLength: 160 })),
    registrationNumber: Type.String(PROFILE_LIMITS.registrationNumber),
    consultationFeePaise: Type.Integer(PROFILE_LIMITS.consultationFeePaise),
    timezone: Type.String(PROFILE_LIMITS.timezone),
    bio: Type.Optional(Type.String(PROFILE_LIMITS.bio)),
    languages: Type.Optional(Type.Array(Type.String(PROFILE_LIMITS.language), PROFILE_LIMITS.languages)),
    approvalStatus: ApprovalStatus,
    reviewedAt: Type.Optional(Type.Date()),
    reviewedBy: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type DoctorProfile = Static<typeof DoctorProfile>;

/** The stored user. Never returned as is: `toPublicUser` strips the hash and internal fields. */
export const UserDoc = Type.Object(
  {
    _id: Type.String(),
    email: Type.String({ minLength: 3, maxLength: 254 }),
    name: Type.String(PROFILE_LIMITS.name),
    phone: Type.Optional(Type.String(PROFILE_LIMITS.phone)),
    role: Role,
    passwordHash: Type.String(),
    emailVerified: Type.Boolean(),
    avatarUrl: Type.Optional(Type.String()),
    /** A patient's IANA zone for the times in their emails (a doctor's is `doctor.timezone`). */
    timezone: Type.Optional(Type.String(PROFILE_LIMITS.timezone)),
    /** The avatar provider's handle for the stored file, so a replaced avatar can be removed. */
    avatarFileId: Type.Optional(Type.String()),
    doctor: Type.Optional(DoctorProfile),
    /** Bumped by every slot-publishing transaction of a doctor, so concurrent ones conflict (never shown). */
    scheduleRevision: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Bumped by every hold transaction of a patient, so concurrent ones conflict (never shown). */
    holdRevision: Type.Optional(Type.Integer({ minimum: 0 })),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type UserDoc = Static<typeof UserDoc>;

export const Users = defineCollection({
  name: 'users',
  schema: UserDoc,
  indexes: [
    { keys: { email: 1 }, unique: true },
    { keys: { role: 1, 'doctor.approvalStatus': 1, 'doctor.specialtyKey': 1 } },
  ],
});

/** How specialties compare: `Cardiology`, ` cardiology ` and `CARDIOLOGY` are one specialty. */
export const specialtyKeyOf = (specialty: string): string => specialty.trim().normalize('NFKC').toLowerCase();

/** A user's name and phone as a request gives them (signup, PATCH /me). */
export const Name = Text(PROFILE_LIMITS.name);
export const Phone = t.String({ pattern: '^\\+?[0-9][0-9 ()-]{5,18}$', ...PROFILE_LIMITS.phone });

/** A doctor's practice details as a request gives them (signup, PATCH /me); `timezone` is everyone's. */
export const DoctorFields = {
  specialty: Text(PROFILE_LIMITS.specialty),
  registrationNumber: Text(PROFILE_LIMITS.registrationNumber),
  // TypeBox's own Integer: Elysia's `t.Integer`/`t.Numeric` also take numeric strings (" " -> 0, "1e3").
  consultationFeePaise: Type.Integer({
    ...PROFILE_LIMITS.consultationFeePaise,
    description: 'Integer paise',
  }),
  timezone: t.String({
    ...PROFILE_LIMITS.timezone,
    description:
      "IANA zone, e.g. Asia/Kolkata: a doctor's practice zone (required for doctors), or the zone a patient's emails show times in (optional; DEFAULT_TIMEZONE otherwise)",
  }),
  bio: Text({ minLength: 0, ...PROFILE_LIMITS.bio, multiline: true }),
  languages: t.Array(Text(PROFILE_LIMITS.language), PROFILE_LIMITS.languages),
};

/** Only these can change through the API; role, email, verification, approval, wallet and ids never. */
export const ProfilePatchBody = t.Object(
  {
    name: t.Optional(Name),
    phone: t.Optional(Phone),
    specialty: t.Optional(DoctorFields.specialty),
    consultationFeePaise: t.Optional(DoctorFields.consultationFeePaise),
    timezone: t.Optional(DoctorFields.timezone),
    bio: t.Optional(DoctorFields.bio),
    languages: t.Optional(DoctorFields.languages),
  },
  { additionalProperties: false },
);
/** What PATCH /me accepts: name and phone for everyone, practice details for doctors. */
export type ProfilePatch = Static<typeof ProfilePatchBody>;

/** What a client ever sees of a user: no hash, OTP data, tokens or provider handles. */
export const PublicDoctorProfile = Type.Object(
  {
    specialty: Type.String(),
    registrationNumber: Type.String(),
    consultationFeePaise: Type.Integer(),
    timezone: Type.String(),
    bio: Type.Optional(Type.String()),
    languages: Type.Optional(Type.Array(Type.String())),
    approvalStatus: ApprovalStatus,
    reviewedAt: Type.Optional(Type.String({ description: 'ISO instant' })),
  },
  { additionalProperties: false },
);

export const PublicUser = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    phone: Type.Optional(Type.String()),
    role: Role,
    emailVerified: Type.Boolean(),
    avatarUrl: Type.Optional(Type.String()),
    timezone: Type.Optional(Type.String({ description: "A patient's IANA time zone for email times" })),
    doctor: Type.Optional(PublicDoctorProfile),
    createdAt: Type.String({ description: 'ISO instant' }),
    updatedAt: Type.String({ description: 'ISO instant' }),
  },
  { additionalProperties: false, title: 'User' },
);
export type PublicUser = Static<typeof PublicUser>;

export function toPublicUser(doc: UserDoc): PublicUser {
  const user: PublicUser = {
    id: doc._id,
    email: doc.email,
    name: doc.name,
    role: doc.role,
    emailVerified: doc.emailVerified,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
  if (doc.phone !== undefined) user.phone = doc.phone;
  if (doc.avatarUrl !== undefined) user.avatarUrl = doc.avatarUrl;
  if (doc.timezone !== undefined) user.timezone = doc.timezone;
  if (doc.doctor) {
    const { reviewedBy: _reviewedBy, specialtyKey: _specialtyKey, reviewedAt, ...profile } = doc.doctor;
    user.doctor = { ...profile, ...(reviewedAt ? { reviewedAt: reviewedAt.toISOString() } : {}) };
  }
  return user;
}

/** The zone a user reads times in: a doctor's practice zone, a patient's own, else the platform default. */
export const readerTimeZone = (user: UserDoc, fallback: string): string =>
  user.doctor?.timezone ?? user.timezone ?? fallback;
