import { describe, expect, test } from 'bun:test';
import { expandSchedule, isTimeZone } from '../../src/modules/slots/schedule.ts';
import type { ScheduleInput } from '../../src/modules/slots/slots.model.ts';
import { ValidationError } from '../../src/shared/errors.ts';

const limits = { maxDays: 91, maxSlots: 500 };
const expand = (schedule: Partial<ScheduleInput> & { timezone?: string }) =>
  expandSchedule(
    {
      from: '2030-01-07',
      to: '2030-01-07',
      weekdays: [1, 2, 3, 4, 5, 6, 7],
      start: '09:00',
      end: '10:00',
      slotMinutes: 30,
      timezone: 'Europe/London',
      ...schedule,
    },
    limits,
  );
const starts = (result: ReturnType<typeof expand>) => result.slots.map((s) => s.startsAt.toISOString());

const issuesOf = (fn: () => unknown): { path: string; message: string }[] => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return ((error as ValidationError).details as { issues: { path: string; message: string }[] }).issues;
  }
  throw new Error('expected a ValidationError');
};

describe('local times stay put across daylight saving', () => {
  test('09:00 in London is 09:00Z in winter and 08:00Z in summer', () => {
    expect(starts(expand({ from: '2030-01-07', to: '2030-01-07', end: '09:30' }))).toEqual([
      '2030-01-07T09:00:00.000Z',
    ]);
    expect(starts(expand({ from: '2030-07-01', to: '2030-07-01', end: '09:30' }))).toEqual([
      '2030-07-01T08:00:00.000Z',
    ]);
  });

  test('a schedule across the spring change keeps 09:00 local on both sides', () => {
    // Clocks go forward on Sunday 2030-03-31 in the UK.
    const result = expand({ from: '2030-03-29', to: '2030-04-01', end: '09:30' });
    expect(starts(result)).toEqual([
      '2030-03-29T09:00:00.000Z',
      '2030-03-30T09:00:00.000Z',
      '2030-03-31T08:00:00.000Z',
      '2030-04-01T08:00:00.000Z',
    ]);
    for (const slot of result.slots)
      expect(slot.endsAt.getTime() - slot.startsAt.getTime()).toBe(30 * 60_000);
  });

  test('a start the clocks skip is reported, not created, and slots around it do not overlap', () => {
    const result = expand({ from: '2030-03-31', to: '2030-03-31', start: '00:30', end: '03:00' });
    expect(result.dstGaps.map((s) => s.startsAt.toISOString())).toEqual([
      // 01:00 and 01:30 local do not exist that day; Temporal would move them an hour on.
      '2030-03-31T01:00:00.000Z',
      '2030-03-31T01:30:00.000Z',
    ]);
    expect(starts(result)).toEqual([
      '2030-03-31T00:30:00.000Z', // 00:30 GMT
      '2030-03-31T01:00:00.000Z', // 02:00 BST
      '2030-03-31T01:30:00.000Z', // 02:30 BST
    ]);
  });

  test('a start in the repeated autumn hour takes its first occurrence', () => {
    // Clocks go back at 02:00 BST on 2030-10-27: 01:00-02:00 local happens twice.
    const result = expand({ from: '2030-10-27', to: '2030-10-27', start: '00:30', end: '02:30' });
    expect(starts(result)).toEqual([
      '2030-10-26T23:30:00.000Z', // 00:30 BST
      '2030-10-27T00:00:00.000Z', // 01:00 BST (first)
      '2030-10-27T00:30:00.000Z', // 01:30 BST (first)
      '2030-10-27T02:00:00.000Z', // 02:00 GMT
    ]);
    expect(result.dstGaps).toEqual([]);
  });

  test('New York and a zone without DST', () => {
    expect(starts(expand({ timezone: 'America/New_York', from: '2030-01-07', end: '09:30' }))).toEqual([
      '2030-01-07T14:00:00.000Z',
    ]);
    expect(
      starts(expand({ timezone: 'America/New_York', from: '2030-07-01', to: '2030-07-01', end: '09:30' })),
    ).toEqual(['2030-07-01T13:00:00.000Z']);
    expect(starts(expand({ timezone: 'Asia/Kolkata', end: '09:30' }))).toEqual(['2030-01-07T03:30:00.000Z']);
  });
});

describe('the weekly pattern', () => {
  test('from and to are inclusive and only the given ISO weekdays count (1 = Monday, 7 = Sunday)', () => {
    // 2030-01-07 is a Monday; the range covers two weeks.
    const result = expand({ from: '2030-01-07', to: '2030-01-20', weekdays: [1, 7], end: '09:30' });
    expect(starts(result)).toEqual([
      '2030-01-07T09:00:00.000Z',
      '2030-01-13T09:00:00.000Z',
      '2030-01-14T09:00:00.000Z',
      '2030-01-20T09:00:00.000Z',
    ]);
  });

  test('breaks separate slots and a slot that would run past the end is not made', () => {
    const result = expand({ start: '09:00', end: '11:00', slotMinutes: 30, breakMinutes: 15 });
    expect(starts(result)).toEqual([
      '2030-01-07T09:00:00.000Z',
      '2030-01-07T09:45:00.000Z',
      '2030-01-07T10:30:00.000Z',
    ]);
    expect(result.slots.at(-1)!.endsAt.toISOString()).toBe('2030-01-07T11:00:00.000Z');
  });
});

describe('a malformed schedule is refused whole', () => {
  test('to before from', () => {
    expect(issuesOf(() => expand({ from: '2030-01-08', to: '2030-01-07' }))[0]!.path).toBe('schedule.to');
  });
  test('a date that does not exist', () => {
    expect(issuesOf(() => expand({ from: '2030-02-30', to: '2030-03-01' }))[0]!.path).toBe('schedule.from');
  });
  test('a span longer than the horizon', () => {
    expect(issuesOf(() => expand({ from: '2030-01-01', to: '2030-04-02' }))[0]!.message).toContain('91 days');
  });
  test('an unknown time zone, or a bare offset', () => {
    expect(issuesOf(() => expand({ timezone: 'Mars/Olympus' }))[0]!.path).toBe('schedule.timezone');
    expect(issuesOf(() => expand({ timezone: '+05:30' }))[0]!.path).toBe('schedule.timezone');
    expect(isTimeZone('Asia/Kolkata')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
  });
  test('an end that leaves no room for one slot', () => {
    expect(issuesOf(() => expand({ start: '09:00', end: '09:20', slotMinutes: 30 }))[0]!.path).toBe(
      'schedule.end',
    );
  });
  test('more slots than one request may make', () => {
    const issues = issuesOf(() =>
      expand({ from: '2030-01-01', to: '2030-03-01', start: '00:00', end: '23:55', slotMinutes: 5 }),
    );
    expect(issues[0]!.message).toContain('more than 500');
  });
});
