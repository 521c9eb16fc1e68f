import { ValidationError } from '../../shared/errors.ts';
import { isTimeZone } from '../../shared/time-zones.ts';
import type { ScheduleInput } from './slots.model.ts';

export interface PlannedSlot {
  startsAt: Date;
  endsAt: Date;
}

export interface ExpandedSchedule {
  slots: PlannedSlot[];
  /** Local start times that do not exist that day (clocks jumped over them); never created. */
  dstGaps: PlannedSlot[];
}

const MINUTE_MS = 60_000;

export { isTimeZone };

const parseDate = (value: string, path: string): Temporal.PlainDate => {
  try {
    return Temporal.PlainDate.from(value, { overflow: 'reject' });
  } catch {
    throw new ValidationError('The schedule is invalid', [
      { path, message: 'not a calendar date (YYYY-MM-DD)' },
    ]);
  }
};

const minutesOf = (hhmm: string): number => {
  const [hours = 0, minutes = 0] = hhmm.split(':').map(Number);
  return hours * 60 + minutes;
};

/**
 * Turns a weekly schedule into UTC slots. Local wall times stay put across daylight-saving changes:
 * 09:00 in London is 09:00Z in winter and 08:00Z in summer. A start in a repeated hour (clocks going
 * back) takes its first occurrence; a start in a skipped hour is reported in `dstGaps`. Each slot lasts
 * exactly `slotMinutes`.
 */
export function expandSchedule(
  schedule: ScheduleInput & { timezone: string },
  limits: { maxDays: number; maxSlots: number },
): ExpandedSchedule {
  const from = parseDate(schedule.from, 'schedule.from');
  const to = parseDate(schedule.to, 'schedule.to');
  if (Temporal.PlainDate.compare(from, to) > 0) {
    throw new ValidationError('The schedule is invalid', [{ path: 'schedule.to', message: 'before from' }]);
  }
  if (from.until(to).days + 1 > limits.maxDays) {
    throw new ValidationError('The schedule is invalid', [
      { path: 'schedule.to', message: `the schedule may span at most ${limits.maxDays} days` },
    ]);
  }
  if (!isTimeZone(schedule.timezone)) {
    throw new ValidationError('The schedule is invalid', [
      { path: 'schedule.timezone', message: 'not an IANA time zone' },
    ]);
  }
  const start = minutesOf(schedule.start);
  const end = minutesOf(schedule.end);
  const length = schedule.slotMinutes;
  const step = length + (schedule.breakMinutes ?? 0);
  if (end - start < length) {
    throw new ValidationError('The schedule is invalid', [
      { path: 'schedule.end', message: 'leaves no room for one slot after start' },
    ]);
  }

  const weekdays = new Set(schedule.weekdays);
  const slots: PlannedSlot[] = [];
  const dstGaps: PlannedSlot[] = [];
  for (let day = from; Temporal.PlainDate.compare(day, to) <= 0; day = day.add({ days: 1 })) {
    if (!weekdays.has(day.dayOfWeek)) continue;
    for (let minute = start; minute + length <= end; minute += step) {
      const local = day.toPlainDateTime({ hour: Math.floor(minute / 60), minute: minute % 60 });
      const zoned = local.toZonedDateTime(schedule.timezone, { disambiguation: 'compatible' });
      const startsAt = new Date(zoned.epochMilliseconds);
      const planned = { startsAt, endsAt: new Date(startsAt.getTime() + length * MINUTE_MS) };
      if (zoned.toPlainDateTime().equals(local)) slots.push(planned);
      else dstGaps.push(planned);
      if (slots.length + dstGaps.length > limits.maxSlots) {
        throw new ValidationError('Too many slots in one request', [
          { path: 'schedule', message: `the schedule yields more than ${limits.maxSlots} slots` },
        ]);
      }
    }
  }
  return { slots, dstGaps };
}
