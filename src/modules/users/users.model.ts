import { type Static, Type } from '@sinclair/typebox';
import { defineCollection } from '../../db/index.ts';

export const ROLES = ['patient', 'doctor', 'admin'] as const;
export const Role = Type.Union([Type.Literal('patient'), Type.Literal('doctor'), Type.Literal('admin')]);
export type Role = Static<typeof Role>;

/**
 * Doctor approval: `pending` -> `approved` | `rejected` (an admin decides; each sends an email).
 * Only approved doctors are listed or bookable.
 */
export const ApprovalStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('approved'),
  Type.Literal('rejected'),
]);
export type ApprovalStatus = Static<typeof ApprovalStatus>;

export const DoctorProfile = Type.Object(
  {
    specialty: Type.String({ minLength: 2, maxLength: 80 }),
    /** `specialtyKeyOf(specialty)`, written with it, so the directory filter matches any case by index. */
    specialtyKey: Type.Optional(Type.String({ maxLength: 160 })),
    registrationNumber: Type.String({ minLength: 3, maxLength: 40 }),
    consultationFeePaise: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    timezone: Type.String({ minLength: 1, maxLength: 64 }),
    bio: Type.Optional(Type.String({ maxLength: 2000 })),
    languages: Type.Optional(Type.Array(Type.String({ minLength: 2, maxLength: 40 }), { maxItems: 20 })),
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
    name: Type.String({ minLength: 1, maxLength: 120 }),
    phone: Type.Optional(Type.String({ maxLength: 20 })),
    role: Role,
    passwordHash: Type.String(),
    emailVerified: Type.Boolean(),
    avatarUrl: Type.Optional(Type.String()),
    /** A patient's IANA zone for the times in their emails (a doctor's is `doctor.timezone`). */
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** The avatar provider's handle for the stored file, so a replaced avatar can be removed. */
    avatarFileId: Type.Optional(Type.String()),
    doctor: Type.Optional(DoctorProfile),
    /** Bumped by every slot-publishing transaction of a doctor, so concurrent ones conflict (never shown). */
    scheduleRevision: Type.Optional(Type.Integer({ minimum: 0 })),
    walletBalancePaise: Type.Integer({ minimum: 0 }),
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
    walletBalancePaise: Type.Integer(),
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
    walletBalancePaise: doc.walletBalancePaise,
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
