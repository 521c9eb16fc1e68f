import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection } from '../../db/index.ts';
import { EMAIL_ADDRESS } from '../../shared/email-address.ts';
import { ValidationError } from '../../shared/errors.ts';
import { Text } from '../../shared/text.ts';
import { DoctorFields, Name, Phone, PublicUser } from '../users/users.model.ts';

/**
 * A sign-in. Live while `revokedAt` is absent and `expiresAt` is ahead; each refresh moves `expiresAt`.
 * Access tokens carry the session id, so revoking the session stops them at once.
 */
export const SessionDoc = Type.Object(
  {
    _id: Type.String(),
    userId: Type.String(),
    createdAt: Type.Date(),
    refreshedAt: Type.Date(),
    expiresAt: Type.Date(),
    revokedAt: Type.Optional(Type.Date()),
    revokedReason: Type.Optional(
      Type.Union([Type.Literal('logout'), Type.Literal('refresh_reuse'), Type.Literal('password_reset')]),
    ),
  },
  { additionalProperties: false },
);
export type SessionDoc = Static<typeof SessionDoc>;
export type RevokeReason = NonNullable<SessionDoc['revokedReason']>;

export const Sessions = defineCollection({
  name: 'sessions',
  schema: SessionDoc,
  indexes: [{ keys: { userId: 1, createdAt: 1 } }, { keys: { expiresAt: 1 } }],
});

/**
 * One issued refresh token, keyed by the SHA-256 of the token. `usedAt` marks it spent by rotation;
 * presenting a spent token again is reuse and revokes the session.
 */
export const RefreshTokenDoc = Type.Object(
  {
    _id: Type.String({ description: 'hex SHA-256 of the token' }),
    sessionId: Type.String(),
    userId: Type.String(),
    createdAt: Type.Date(),
    expiresAt: Type.Date(),
    usedAt: Type.Optional(Type.Date()),
  },
  { additionalProperties: false },
);
export type RefreshTokenDoc = Static<typeof RefreshTokenDoc>;

export const RefreshTokens = defineCollection({
  name: 'refresh_tokens',
  schema: RefreshTokenDoc,
  indexes: [{ keys: { sessionId: 1 } }, { keys: { expiresAt: 1 } }],
});

/**
 * The pair a rotation issued, kept for REFRESH_REUSE_GRACE_SECONDS so that a second refresh with the
 * same token (two tabs at once) answers the same pair instead of revoking the session. Sealed with
 * AES-256-GCM under a key derived from the spent refresh token, which is never stored: only a holder
 * of that token can open it. Deleted once the grace is over.
 */
export const RefreshSuccessorDoc = Type.Object(
  {
    _id: Type.String({ description: 'hex SHA-256 of the spent refresh token' }),
    iv: Type.String({ description: 'base64url, 12 bytes' }),
    sealed: Type.String({ description: 'base64url AES-GCM ciphertext and tag of the pair' }),
    expiresAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type RefreshSuccessorDoc = Static<typeof RefreshSuccessorDoc>;

export const RefreshSuccessors = defineCollection({
  name: 'refresh_successors',
  schema: RefreshSuccessorDoc,
  indexes: [{ keys: { expiresAt: 1 } }],
});

export const OTP_PURPOSES = ['verify_email', 'reset_password'] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];

/**
 * The one live code of an email for a purpose: a new code replaces the old (only the newest counts).
 * Any address may have one, account or not (a decoy code where no email goes out). `sentAt` keeps the
 * counted sends of the last hour for the resend limits; `version` makes each send and each counted
 * wrong guess a conditional write. A document without `codeHash` counts the wrong guesses made for an
 * address no code was issued for.
 */
export const OtpDoc = Type.Object(
  {
    _id: Type.String(),
    email: Type.String(),
    purpose: Type.Union([Type.Literal('verify_email'), Type.Literal('reset_password')]),
    codeHash: Type.Optional(Type.String()),
    expiresAt: Type.Optional(Type.Date()),
    attempts: Type.Integer({ minimum: 0 }),
    consumedAt: Type.Optional(Type.Date()),
    sentAt: Type.Array(Type.Date(), { maxItems: 10 }),
    version: Type.Integer({ minimum: 0 }),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type OtpDoc = Static<typeof OtpDoc>;

export const Otps = defineCollection({
  name: 'otps',
  schema: OtpDoc,
  indexes: [{ keys: { email: 1, purpose: 1 }, unique: true }, { keys: { updatedAt: 1 } }],
});

export const Email = t.String({
  format: EMAIL_ADDRESS,
  minLength: 3,
  maxLength: 254,
  description:
    'One address is one account: the domain is normalized by IDNA (case, full-width forms, Unicode as xn--), ' +
    'the local part is lower-cased and must be at most 64 octets with no full-width or other compatibility ' +
    'characters (see docs/email-addresses.md).',
  examples: ['asha@example.com'],
});
export const Password = t.String({ minLength: 8, maxLength: 128 });
export const NewPassword = Password;
export const OtpCode = t.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code from the email' });

/** Multipart sends numbers as text: the fee must be 1-9 plain digits there before it becomes a number. */
const FEE_DIGITS = /^\d{1,9}$/;

/**
 * The multipart text of `consultationFeePaise` as a number; anything but plain digits is refused here,
 * so `0x10`, `1e3` or a blank never reach `Number()`.
 */
export function feePaiseFromFormText(text: string): number {
  if (!FEE_DIGITS.test(text)) {
    throw new ValidationError('The request is invalid', [
      { path: 'consultationFeePaise', message: 'whole paise as 1-9 digits, e.g. 50000' },
    ]);
  }
  return Number(text);
}

/**
 * Signup as JSON, or as multipart with an `avatar` file. Multipart sends a list as repeated fields or a
 * comma-separated value, so `languages` accepts both forms; the fee's text is converted before validation.
 */
export const SignupBody = t.Object(
  {
    name: Name,
    email: Email,
    password: Password,
    role: t.Union([t.Literal('patient'), t.Literal('doctor')]),
    phone: t.Optional(Phone),
    specialty: t.Optional(DoctorFields.specialty),
    registrationNumber: t.Optional(DoctorFields.registrationNumber),
    consultationFeePaise: t.Optional(DoctorFields.consultationFeePaise),
    timezone: t.Optional(DoctorFields.timezone),
    bio: t.Optional(DoctorFields.bio),
    languages: t.Optional(t.Union([DoctorFields.languages, Text({ minLength: 0, maxLength: 1000 })])),
    avatar: t.Optional(t.File({ description: 'JPEG, PNG or WebP (multipart only)' })),
  },
  { additionalProperties: false },
);
export type SignupBody = Static<typeof SignupBody>;

export const EmailBody = t.Object({ email: Email }, { additionalProperties: false });
export const VerifyOtpBody = t.Object({ email: Email, code: OtpCode }, { additionalProperties: false });
export const LoginBody = t.Object(
  { email: Email, password: t.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);
export const RefreshBody = t.Object(
  { refreshToken: t.String({ minLength: 1, maxLength: 2048 }) },
  { additionalProperties: false },
);
export const ResetPasswordBody = t.Object(
  { email: Email, code: OtpCode, newPassword: NewPassword },
  { additionalProperties: false },
);

export const UserResponse = t.Object({ user: PublicUser });
export const TokenPairResponse = t.Object(
  {
    accessToken: t.String({ description: 'JWT (HS256), send as `Authorization: Bearer <token>`' }),
    refreshToken: t.String({ description: 'Opaque; exchange at /auth/refresh, each one works once' }),
    tokenType: t.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Access token lifetime in seconds' }),
    user: PublicUser,
  },
  { title: 'TokenPair' },
);
export const AcceptedResponse = t.Object({ status: t.Literal('accepted') });
