import type { Clock } from '../../shared/clock.ts';
import {
  ConflictError,
  type FieldIssue,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { parseInstant } from '../../shared/instants.ts';
import { isApprovedDoctor } from '../doctors/doctors.model.ts';
import type { UsersRepository } from '../users/users.repository.ts';
import { expandSchedule, type PlannedSlot } from './schedule.ts';
import {
  type CreateSlotsBody,
  type OwnSlotsQuery,
  type PublicSlotsQuery,
  type SkippedSlot,
  type SkipReason,
  SLOT_LIST_DEFAULT_DAYS,
  SLOT_MAX_MINUTES,
  SLOT_MIN_MINUTES,
  SLOT_PAGE_DEFAULT,
  type SlotDoc,
} from './slots.model.ts';
import type { SlotsRepository } from './slots.repository.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface SlotRules {
  /** Slots may start at most this many days ahead (`SLOT_HORIZON_DAYS`). */
  horizonDays: number;
  /** Slots one request may ask for, explicitly or through a schedule (`MAX_SLOTS_PER_REQUEST`). */
  maxPerRequest: number;
}

export interface CreatedSlots {
  created: SlotDoc[];
  skipped: SkippedSlot[];
}

const skip = (slot: PlannedSlot, reason: SkipReason, conflictsWith?: string): SkippedSlot => ({
  startsAt: slot.startsAt.toISOString(),
  endsAt: slot.endsAt.toISOString(),
  reason,
  ...(conflictsWith ? { conflictsWith } : {}),
});

/** Index of the first interval starting at or after `at` in a list sorted by start. */
const firstStartingFrom = (sorted: { startsAt: Date }[], at: Date): number => {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.startsAt < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isCalendarDate = (value: string): boolean => CALENDAR_DATE.test(value);

/**
 * An instant, or the start of a calendar date `daysAfter` days after the given one in `timeZone` (the
 * zone's own start of day, which a DST change can move off midnight). Invalid Date for anything else.
 */
function parseBound(value: string, timeZone: string, daysAfter: number): Date {
  if (!isCalendarDate(value)) return parseInstant(value);
  try {
    const day = Temporal.PlainDate.from(value, { overflow: 'reject' }).add({ days: daysAfter });
    return new Date(day.toZonedDateTime({ timeZone }).epochMilliseconds);
  } catch {
    return new Date(Number.NaN);
  }
}

/** A doctor's time slots: creating them (explicitly or from a weekly schedule), listing, deleting. */
export class SlotsService {
  constructor(
    private readonly slots: SlotsRepository,
    private readonly users: UsersRepository,
    private readonly clock: Clock,
    private readonly rules: SlotRules,
  ) {}

  /**
   * Creates what it can and says why it skipped the rest: a start in the past or beyond the horizon, an
   * overlap with another slot (stored or earlier in the same request), or a local time that does not
   * exist (DST). A malformed request is refused whole with 422.
   */
  async create(doctorId: string, body: CreateSlotsBody): Promise<CreatedSlots> {
    const doctor = await this.users.findById(doctorId);
    if (!isApprovedDoctor(doctor)) {
      throw new ForbiddenError(
        'Slots can be published once an admin has approved you',
        'DOCTOR_NOT_APPROVED',
      );
    }
    const now = this.clock.now();
    const skipped: SkippedSlot[] = [];
    let planned: PlannedSlot[];
    if (body.slots && body.schedule) {
      throw new ValidationError('Send either slots or schedule, not both', [
        { path: 'schedule', message: 'not allowed together with slots' },
      ]);
    }
    if (body.slots) {
      planned = this.parseSlots(body.slots);
    } else if (body.schedule) {
      const expanded = expandSchedule(
        { ...body.schedule, timezone: body.schedule.timezone ?? doctor.doctor.timezone },
        { maxDays: this.rules.horizonDays + 1, maxSlots: this.rules.maxPerRequest },
      );
      planned = expanded.slots;
      skipped.push(...expanded.dstGaps.map((gap) => skip(gap, 'DST_GAP')));
    } else {
      throw new ValidationError('Send slots or a schedule', [{ path: 'slots', message: 'required' }]);
    }

    const horizon = new Date(now.getTime() + this.rules.horizonDays * DAY_MS);
    const candidates: PlannedSlot[] = [];
    for (const slot of planned) {
      if (slot.startsAt <= now) skipped.push(skip(slot, 'IN_PAST'));
      else if (slot.startsAt > horizon) skipped.push(skip(slot, 'BEYOND_HORIZON'));
      else candidates.push(slot);
    }
    candidates.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
    if (candidates.length === 0) return { created: [], skipped };

    // Reading the neighbours and inserting in one transaction keeps two requests from interleaving. The
    // transaction may run its function more than once, so everything it finds stays inside until it returns.
    const { created, overlaps } = await this.slots.transaction(async (slots) => {
      await slots.lockSchedule(doctorId);
      const first = candidates[0]!;
      const last = candidates.at(-1)!;
      const taken: { _id: string; startsAt: Date; endsAt: Date }[] = await slots.findStartingBetween(
        doctorId,
        new Date(first.startsAt.getTime() - SLOT_MAX_MINUTES * MINUTE_MS),
        last.endsAt,
      );
      const accepted: SlotDoc[] = [];
      const overlaps: SkippedSlot[] = [];
      for (const candidate of candidates) {
        const at = firstStartingFrom(taken, candidate.startsAt);
        const before = taken[at - 1];
        const after = taken[at];
        const conflict =
          before && before.endsAt > candidate.startsAt
            ? before
            : after && after.startsAt < candidate.endsAt
              ? after
              : undefined;
        if (conflict) {
          overlaps.push(skip(candidate, 'OVERLAP', conflict._id));
          continue;
        }
        const doc: SlotDoc = {
          _id: newId(),
          doctorId,
          startsAt: candidate.startsAt,
          endsAt: candidate.endsAt,
          status: 'open',
          createdAt: now,
          updatedAt: now,
        };
        taken.splice(at, 0, doc);
        accepted.push(doc);
      }
      return { created: await slots.insertMany(accepted), overlaps };
    });
    return { created, skipped: [...skipped, ...overlaps] };
  }

  /** Bookable slots of an approved doctor in [from, to), ascending. */
  async listBookable(doctorId: string, query: PublicSlotsQuery) {
    // By primary key, checked here: the same answer as a filtered read, without building its SQL.
    const doctor = await this.users.findById(doctorId);
    if (!isApprovedDoctor(doctor)) throw new NotFoundError('No such doctor', 'DOCTOR_NOT_FOUND');
    const now = this.clock.now();
    return this.slots.pageBookable(doctorId, this.window(query, now, doctor.doctor.timezone), now, {
      limit: query.limit ?? SLOT_PAGE_DEFAULT,
      cursor: query.cursor,
    });
  }

  /** The doctor's own slots in [from, to), with their state. */
  async listOwn(doctorId: string, query: OwnSlotsQuery) {
    const now = this.clock.now();
    const datesGiven = [query.from, query.to].some((bound) => bound !== undefined && isCalendarDate(bound));
    const timeZone = datesGiven ? (await this.users.findById(doctorId))?.doctor?.timezone : undefined;
    return this.slots.pageOwn(doctorId, this.window(query, now, timeZone ?? 'UTC'), query.status, now, {
      limit: query.limit ?? SLOT_PAGE_DEFAULT,
      cursor: query.cursor,
    });
  }

  /** Deletes an open slot; a held or booked one is a 409, someone else's or a missing one a 404. */
  async delete(doctorId: string, slotId: string): Promise<void> {
    const now = this.clock.now();
    if (await this.slots.deleteIfFree(doctorId, slotId, now)) return;
    const slot = await this.slots.findById(slotId);
    if (!slot || slot.doctorId !== doctorId) throw new NotFoundError('No such slot', 'SLOT_NOT_FOUND');
    throw new ConflictError('SLOT_NOT_FREE', `The slot is ${slot.status} and cannot be deleted`, {
      status: slot.status,
    });
  }

  /**
   * The listing's [from, to). A calendar date is a day in the doctor's time zone: `from` is its first
   * instant, `to` the first instant of the next day, so the `to` day is included whole.
   */
  private window(query: { from?: string | undefined; to?: string | undefined }, now: Date, timeZone: string) {
    const from = query.from ? parseBound(query.from, timeZone, 0) : now;
    const to = query.to
      ? parseBound(query.to, timeZone, 1)
      : new Date(from.getTime() + SLOT_LIST_DEFAULT_DAYS * DAY_MS);
    const maxDays = this.rules.horizonDays + 1;
    const issues: FieldIssue[] = [];
    const notABound = 'not an instant or a calendar date (YYYY-MM-DD)';
    if (Number.isNaN(from.getTime())) issues.push({ path: 'from', message: notABound });
    if (Number.isNaN(to.getTime())) issues.push({ path: 'to', message: notABound });
    else if (to <= from) issues.push({ path: 'to', message: 'must be after from' });
    else if (to.getTime() - from.getTime() > maxDays * DAY_MS)
      issues.push({ path: 'to', message: `the range may span at most ${maxDays} days` });
    if (issues.length) throw new ValidationError('The time range is invalid', issues);
    return { from, to };
  }

  private parseSlots(inputs: NonNullable<CreateSlotsBody['slots']>): PlannedSlot[] {
    if (inputs.length > this.rules.maxPerRequest) {
      throw new ValidationError('Too many slots in one request', [
        { path: 'slots', message: `at most ${this.rules.maxPerRequest} slots per request` },
      ]);
    }
    const issues: FieldIssue[] = [];
    const planned = inputs.map((input, i) => {
      const startsAt = parseInstant(input.startsAt);
      const endsAt = parseInstant(input.endsAt);
      const minutes = (endsAt.getTime() - startsAt.getTime()) / MINUTE_MS;
      if (Number.isNaN(startsAt.getTime()))
        issues.push({ path: `slots.${i}.startsAt`, message: 'not an instant' });
      else if (startsAt.getTime() % MINUTE_MS !== 0)
        issues.push({ path: `slots.${i}.startsAt`, message: 'must be a whole minute' });
      if (Number.isNaN(endsAt.getTime()))
        issues.push({ path: `slots.${i}.endsAt`, message: 'not an instant' });
      else if (endsAt.getTime() % MINUTE_MS !== 0)
        issues.push({ path: `slots.${i}.endsAt`, message: 'must be a whole minute' });
      else if (!(minutes >= SLOT_MIN_MINUTES && minutes <= SLOT_MAX_MINUTES))
        issues.push({
          path: `slots.${i}.endsAt`,
          message: `a slot lasts ${SLOT_MIN_MINUTES} to ${SLOT_MAX_MINUTES} minutes`,
        });
      return { startsAt, endsAt };
    });
    if (issues.length) throw new ValidationError('Some slots are invalid', issues.slice(0, 20));
    return planned;
  }
}
