import { type Static, Type } from '@sinclair/typebox';
import { t } from 'elysia';
import { defineCollection, type Filter, isoOf, type Stored } from '../../db/index.ts';
import { ID_PATTERN } from '../../shared/ids.ts';
import { literalUnion } from '../../shared/literal-union.ts';

/**
 * Slot states, each change one conditional write on the expected state:
 *   open   -> held    a patient claims it (POST /appointments)
 *   held   -> held    a lapsed hold is claimed by another patient (same write: held with holdExpiresAt <= now)
 *   held   -> open    its appointment is cancelled or expires, and the slot is still held by that appointment
 *   held   -> booked  payment confirms the appointment
 *   open   -> booked  a late payment claims its slot again (the hold had lapsed, nobody took the slot)
 *   booked -> open    its confirmed appointment is cancelled or moved away, only by that appointment
 *   open   -> booked  a confirmed appointment is moved here (the same transaction reopens its old slot) A held slot whose hold has lapsed is bookable at once, before any job runs.
 */
export const SLOT_STATUSES = ['open', 'held', 'booked'] as const;
export type SlotStatus = (typeof SLOT_STATUSES)[number];
export const SLOT_TRANSITIONS: Readonly<Record<SlotStatus, readonly SlotStatus[]>> = {
  open: ['held', 'booked'],
  held: ['held', 'open', 'booked'],
  booked: ['open'],
};
export const canSlotMove = (from: SlotStatus, to: SlotStatus): boolean => SLOT_TRANSITIONS[from].includes(to);

export const SLOT_MIN_MINUTES = 5;
export const SLOT_MAX_MINUTES = 240;
export const SLOT_PAGE_DEFAULT = 100;
export const SLOT_PAGE_MAX = 500;
/** A listing without `to` covers this many days from `from`. */
export const SLOT_LIST_DEFAULT_DAYS = 30;

export const SlotDoc = Type.Object(
  {
    _id: Type.String(),
    doctorId: Type.String(),
    startsAt: Type.Date(),
    endsAt: Type.Date(),
    status: literalUnion(SLOT_STATUSES),
    /** The appointment holding (or, once booked, owning) the slot. */
    heldBy: Type.Optional(Type.String()),
    holdExpiresAt: Type.Optional(Type.Date()),
    createdAt: Type.Date(),
    updatedAt: Type.Date(),
  },
  { additionalProperties: false },
);
export type SlotDoc = Static<typeof SlotDoc>;

/** A held slot whose hold has lapsed: claimable again, and shown as open, before any job runs. */
export const isLapsed = (slot: Pick<SlotDoc, 'status' | 'holdExpiresAt'>, now: Date): boolean =>
  slot.status === 'held' && slot.holdExpiresAt !== undefined && slot.holdExpiresAt <= now;
/** `isLapsed` as a store filter. */
export const lapsedFilter = (now: Date): Filter => ({ status: 'held', holdExpiresAt: { $lte: now } });

export const Slots = defineCollection({
  name: 'slots',
  schema: SlotDoc,
  indexes: [
    // A doctor never has two slots starting at the same instant; also the listing index.
    { keys: { doctorId: 1, startsAt: 1 }, unique: true },
    // The sweeper's scan for lapsed holds.
    { keys: { status: 1, holdExpiresAt: 1 } },
  ],
});

/** Why a requested slot was not created. */
export const SKIP_REASONS = ['IN_PAST', 'BEYOND_HORIZON', 'OVERLAP', 'DST_GAP'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

const IsoInstant = t.String({ format: 'date-time', examples: ['2030-01-07T09:00:00Z'] });
/**
 * Instants the server writes (always `toISOString()`): described, not format-checked on every response,
 * which cost ~1 µs per field (200 µs on a 100-slot page).
 */
const Instant = t.String({ description: 'ISO 8601 instant, UTC', examples: ['2030-01-07T09:00:00.000Z'] });
const LocalDate = t.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', examples: ['2030-01-07'] });
const LocalTime = t.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', examples: ['09:00'] });

export const SlotIdParams = t.Object({ slotId: t.String({ pattern: ID_PATTERN }) });

export const SlotInput = t.Object({ startsAt: IsoInstant, endsAt: IsoInstant });
export type SlotInput = Static<typeof SlotInput>;

export const ScheduleInput = t.Object({
  from: LocalDate,
  to: LocalDate,
  weekdays: t.Array(t.Integer({ minimum: 1, maximum: 7 }), {
    minItems: 1,
    maxItems: 7,
    uniqueItems: true,
    description: 'ISO weekdays: 1 = Monday ... 7 = Sunday',
  }),
  start: LocalTime,
  end: LocalTime,
  slotMinutes: t.Integer({ minimum: SLOT_MIN_MINUTES, maximum: SLOT_MAX_MINUTES }),
  breakMinutes: t.Optional(t.Integer({ minimum: 0, maximum: 240 })),
  timezone: t.Optional(
    t.String({ minLength: 1, maxLength: 64, description: "IANA zone; default: the doctor's timezone" }),
  ),
});
export type ScheduleInput = Static<typeof ScheduleInput>;

/** Exactly one of `slots` or `schedule`; the service refuses both or neither with 422. */
export const CreateSlotsBody = t.Object({
  slots: t.Optional(t.Array(SlotInput, { minItems: 1 })),
  schedule: t.Optional(ScheduleInput),
});
export type CreateSlotsBody = Static<typeof CreateSlotsBody>;

export const PublicSlot = t.Object(
  { id: t.String(), doctorId: t.String(), startsAt: Instant, endsAt: Instant },
  { title: 'Slot' },
);
export type PublicSlot = Static<typeof PublicSlot>;

export const OwnSlot = t.Object(
  {
    id: t.String(),
    doctorId: t.String(),
    startsAt: Instant,
    endsAt: Instant,
    status: literalUnion(SLOT_STATUSES, {
      description: 'Effective state: a held slot whose hold has lapsed shows as open',
    }),
    appointmentId: t.Optional(t.String()),
    holdExpiresAt: t.Optional(Instant),
    createdAt: Instant,
  },
  { title: 'OwnSlot' },
);
export type OwnSlot = Static<typeof OwnSlot>;

export const SkippedSlot = t.Object({
  startsAt: Instant,
  endsAt: Instant,
  reason: literalUnion(SKIP_REASONS),
  conflictsWith: t.Optional(t.String({ description: 'The existing slot it overlaps' })),
});
export type SkippedSlot = Static<typeof SkippedSlot>;

export const CreateSlotsResponse = t.Object({ created: t.Array(OwnSlot), skipped: t.Array(SkippedSlot) });

const Cursor = t.String({ maxLength: 2048 });
const Limit = t.Integer({ minimum: 1, maximum: SLOT_PAGE_MAX, default: SLOT_PAGE_DEFAULT });

/** A listing bound: an instant, or a calendar date read in the doctor's time zone. */
const RangeBound = (which: 'from' | 'to') =>
  t.Union([IsoInstant, LocalDate], {
    description:
      which === 'from'
        ? "ISO 8601 instant, or a date YYYY-MM-DD: the start of that day in the doctor's time zone (default: now)"
        : "ISO 8601 instant (exclusive), or a date YYYY-MM-DD: the end of that day in the doctor's time zone, " +
          'so the whole day is included (default: 30 days after from)',
  });

export const PublicSlotsQuery = t.Object({
  from: t.Optional(RangeBound('from')),
  to: t.Optional(RangeBound('to')),
  limit: t.Optional(Limit),
  cursor: t.Optional(Cursor),
});
export type PublicSlotsQuery = Static<typeof PublicSlotsQuery>;

/** The public query plus the doctor's own filter by effective state. */
export const OwnSlotsQuery = t.Object({
  ...PublicSlotsQuery.properties,
  status: t.Optional(literalUnion(SLOT_STATUSES)),
});
export type OwnSlotsQuery = Static<typeof OwnSlotsQuery>;

export const PublicSlotPage = t.Object({
  items: t.Array(PublicSlot),
  nextCursor: t.Union([t.String(), t.Null()]),
});
export const OwnSlotPage = t.Object({ items: t.Array(OwnSlot), nextCursor: t.Union([t.String(), t.Null()]) });

/** The public view, of a slot as read or in its stored form (whose instants are already ISO strings). */
export const toPublicSlot = (slot: SlotDoc | Stored<SlotDoc>): PublicSlot => ({
  id: slot._id,
  doctorId: slot.doctorId,
  startsAt: isoOf(slot.startsAt),
  endsAt: isoOf(slot.endsAt),
});

/** The doctor's view, with the effective state at `now`. */
export const toOwnSlot = (slot: SlotDoc, now: Date): OwnSlot => {
  const lapsed = isLapsed(slot, now);
  return {
    id: slot._id,
    doctorId: slot.doctorId,
    startsAt: slot.startsAt.toISOString(),
    endsAt: slot.endsAt.toISOString(),
    status: lapsed ? 'open' : slot.status,
    ...(slot.heldBy && !lapsed ? { appointmentId: slot.heldBy } : {}),
    ...(slot.holdExpiresAt && !lapsed ? { holdExpiresAt: slot.holdExpiresAt.toISOString() } : {}),
    createdAt: slot.createdAt.toISOString(),
  };
};
