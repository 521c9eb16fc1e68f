import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection, isoOf, type Stored } from '../../db/index.ts';
import { ID_PATTERN } from '../../shared/ids.ts';
import { literalUnion } from '../../shared/literal-union.ts';
import { Text } from '../../shared/text.ts';

/**
 * Appointment states, each change one conditional write on `pending_payment`:
 *   pending_payment -> confirmed   paid while the hold lasts (the slot moves held -> booked in the same transaction)
 *   expired         -> confirmed   a late payment whose slot could still be claimed (payments.service.ts)
 *   pending_payment -> expired     the hold lapsed: by the sweeper, or by the patient who claims the slot next
 *   pending_payment -> cancelled   the patient cancels the unpaid hold; the slot reopens at once
 *   confirmed       -> cancelled   its patient (refund per the policy), its doctor or an admin (100%) cancels
 *                                  it; the slot goes booked -> open in the same transaction (cancellations.service.ts)
 *   confirmed       -> confirmed   the move: rescheduled to another open slot of the same doctor, conditional
 *                                  on its current slot; `sequence` and `reschedules` grow by one
 * The other states are final. At most one appointment per slot is active (pending_payment or confirmed):
 * a partial unique index in the store guarantees it, on `active`, which the repository's writes keep equal
 * to "the status is active" (an equality filter works on every MongoDB-compatible server; `$in` in a
 * partial filter needs featureCompatibilityVersion 6.0).
 */
export const APPOINTMENT_STATUSES = ['pending_payment', 'confirmed', 'expired', 'cancelled'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];
export const APPOINTMENT_TRANSITIONS: Readonly<Record<AppointmentStatus, readonly AppointmentStatus[]>> = {
  pending_payment: ['confirmed', 'expired', 'cancelled'],
  confirmed: ['confirmed', 'cancelled'],
  expired: ['confirmed'],
  cancelled: [],
};
export const ACTIVE_APPOINTMENT_STATUSES = ['pending_payment', 'confirmed'] as const;
export const canAppointmentMove = (from: AppointmentStatus, to: AppointmentStatus): boolean =>
  APPOINTMENT_TRANSITIONS[from].includes(to);
export const isActiveAppointmentStatus = (status: AppointmentStatus): boolean =>
  (ACTIVE_APPOINTMENT_STATUSES as readonly AppointmentStatus[]).includes(status);

export const APPOINTMENT_PAGE_DEFAULT = 20;
export const APPOINTMENT_PAGE_MAX = 100;

const AppointmentStatusSchema = literalUnion(APPOINTMENT_STATUSES);

export const AppointmentDoc = Type.Object(
  {
    _id: Type.String(),
    patientId: Type.String(),
    doctorId: Type.String(),
    slotId: Type.String(),
    /** Copied from the slot at hold time; a slot's times never change. */
    startsAt: Type.Date(),
    endsAt: Type.Date(),
    status: AppointmentStatusSchema,
    /** Present (true) exactly while the status is active; the one-active-per-slot index selects on it. */
    active: Type.Optional(Type.Literal(true)),
    /** The doctor's fee when the hold was made; the client never sets it. */
    feePaise: Type.Integer({ minimum: 0 }),
    holdExpiresAt: Type.Date(),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
    expiredAt: Type.Optional(Type.Date()),
    cancelledAt: Type.Optional(Type.Date()),
    confirmedAt: Type.Optional(Type.Date()),
    /** The calendar invite's SEQUENCE: 0 when booked, +1 per move or cancellation (absent reads as 0). */
    sequence: Type.Optional(Type.Integer({ minimum: 0 })),
    /** How many times it was moved (absent reads as 0). */
    reschedules: Type.Optional(Type.Integer({ minimum: 0 })),
    cancelledBy: Type.Optional(literalUnion(['patient', 'doctor', 'admin'] as const)),
    cancelReason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type AppointmentDoc = Static<typeof AppointmentDoc>;

/**
 * An unpaid hold past `holdExpiresAt`: expired, whether or not the sweeper has written it yet. Read in
 * either form; the stored form's instant compares as the ISO string it is kept as.
 */
export const isLapsedHold = (
  appointment: { status: AppointmentDoc['status']; holdExpiresAt: Date | string },
  now: Date,
): boolean =>
  appointment.status === 'pending_payment' &&
  (typeof appointment.holdExpiresAt === 'string'
    ? appointment.holdExpiresAt <= now.toISOString()
    : appointment.holdExpiresAt <= now);

/** An appointment (in either form) as a reader sees it now: a lapsed hold reads as expired before the sweeper writes it. */
export const asSeenAt = <A extends AppointmentDoc | Stored<AppointmentDoc>>(appointment: A, now: Date): A =>
  isLapsedHold(appointment, now)
    ? { ...appointment, status: 'expired', expiredAt: appointment.holdExpiresAt }
    : appointment;

export const Appointments = defineCollection({
  name: 'appointments',
  schema: AppointmentDoc,
  indexes: [
    // No double booking, by the store: one active appointment per slot.
    {
      keys: { slotId: 1 },
      unique: true,
      partial: { active: true },
      name: 'appointments__active_slot',
    },
    // A slot's appointments (the partial index above cannot serve queries with bound parameters on SQLite).
    { keys: { slotId: 1 } },
    // A patient's unpaid holds, and their listing.
    { keys: { patientId: 1, status: 1, holdExpiresAt: 1 } },
    { keys: { doctorId: 1, status: 1 } },
    // The sweeper's scan for lapsed holds.
    { keys: { status: 1, holdExpiresAt: 1 } },
  ],
});

/** Instants the server writes (always `toISOString()`): described, not format-checked on every response. */
const Instant = t.String({ description: 'ISO 8601 instant, UTC', examples: ['2030-01-07T09:00:00.000Z'] });

/** The doctor as the patient's (and an admin's) appointment shows them: a list needs no request per row. */
export const DoctorSummary = t.Object(
  {
    id: t.String(),
    name: t.String(),
    specialty: t.String(),
    avatarUrl: t.Optional(t.String({ description: 'Absolute URL of the profile picture' })),
  },
  { title: 'DoctorSummary' },
);
export type DoctorSummary = Static<typeof DoctorSummary>;

/** The patient as the doctor's (and an admin's) appointment shows them. */
export const PatientSummary = t.Object({ id: t.String(), name: t.String() }, { title: 'PatientSummary' });
export type PatientSummary = Static<typeof PatientSummary>;

export const Appointment = t.Object(
  {
    id: t.String(),
    patientId: t.String(),
    doctorId: t.String(),
    slotId: t.String(),
    startsAt: Instant,
    endsAt: Instant,
    status: AppointmentStatusSchema,
    // TypeBox's own Integer: Elysia's `t.Integer` is `numeric text | integer`, documented as `string | number`.
    feePaise: Type.Integer({ description: "The doctor's fee at hold time, in paise" }),
    holdExpiresAt: t.String({ description: 'ISO 8601 instant, UTC: pay before it or the hold lapses' }),
    reason: t.Optional(t.String()),
    createdAt: Instant,
    updatedAt: Instant,
    expiredAt: t.Optional(Instant),
    cancelledAt: t.Optional(Instant),
    cancelledBy: t.Optional(literalUnion(['patient', 'doctor', 'admin'] as const)),
    reschedules: t.Optional(Type.Integer({ description: 'How many times it was moved' })),
    /** Shown to the patient and admins. */
    doctor: t.Optional(DoctorSummary),
    /** Shown to the doctor and admins. */
    patient: t.Optional(PatientSummary),
  },
  { title: 'Appointment' },
);
export type Appointment = Static<typeof Appointment>;

export const AppointmentEnvelope = t.Object({ appointment: Appointment });
export const AppointmentPage = t.Object({
  items: t.Array(Appointment),
  nextCursor: t.Union([t.String(), t.Null()]),
});

export const AppointmentIdParams = t.Object({ id: t.String({ pattern: ID_PATTERN }) });

/** Only these fields are read; price, status and anything else a client sends are dropped. */
export const HoldBody = t.Object({
  slotId: t.String({ pattern: ID_PATTERN }),
  reason: t.Optional(Text({ maxLength: 500, multiline: true })),
});
export type HoldBody = Static<typeof HoldBody>;

export const AppointmentsQuery = t.Object({
  status: t.Optional(AppointmentStatusSchema),
  limit: t.Optional(
    t.Integer({ minimum: 1, maximum: APPOINTMENT_PAGE_MAX, default: APPOINTMENT_PAGE_DEFAULT }),
  ),
  cursor: t.Optional(t.String({ maxLength: 2048 })),
});
export type AppointmentsQuery = Static<typeof AppointmentsQuery>;

/** The public view; optional fields are set only when present (no spread of a temporary object each). */
export const toAppointment = (doc: AppointmentDoc | Stored<AppointmentDoc>): Appointment => {
  // Built in the order it is shown (reason before the times); the times are set just below.
  const appointment = {
    id: doc._id,
    patientId: doc.patientId,
    doctorId: doc.doctorId,
    slotId: doc.slotId,
    startsAt: isoOf(doc.startsAt),
    endsAt: isoOf(doc.endsAt),
    status: doc.status,
    feePaise: doc.feePaise,
    holdExpiresAt: isoOf(doc.holdExpiresAt),
  } as Appointment;
  if (doc.reason !== undefined) appointment.reason = doc.reason;
  appointment.createdAt = isoOf(doc.createdAt);
  appointment.updatedAt = isoOf(doc.updatedAt);
  if (doc.expiredAt) appointment.expiredAt = isoOf(doc.expiredAt);
  if (doc.cancelledAt) appointment.cancelledAt = isoOf(doc.cancelledAt);
  if (doc.cancelledBy) appointment.cancelledBy = doc.cancelledBy;
  if (doc.reschedules) appointment.reschedules = doc.reschedules;
  return appointment;
};

export const REFUND_DESTINATIONS = ['source', 'wallet'] as const;
export const CancelBody = t.Object({
  reason: t.Optional(Text({ maxLength: 500, multiline: true })),
  refundTo: t.Optional(
    literalUnion(REFUND_DESTINATIONS, {
      description:
        '`wallet`: the whole refund credited to the wallet at once; `source` (default): the paid-by-gateway part back through Razorpay',
    }),
  ),
});
export type CancelBody = Static<typeof CancelBody>;

export const RescheduleBody = t.Object({ slotId: t.String({ pattern: ID_PATTERN }) });
export type RescheduleBody = Static<typeof RescheduleBody>;
