import { expect, test } from 'bun:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const base = { DATA_DIR: '/tmp/hv-booking-config', JWT_SECRET: 'x'.repeat(40) };

test('booking settings have their documented defaults', () => {
  const config = loadConfig(base);
  expect({
    BOOKING_HOLD_SECONDS: config.BOOKING_HOLD_SECONDS,
    HOLD_SWEEP_SECONDS: config.HOLD_SWEEP_SECONDS,
    SLOT_HORIZON_DAYS: config.SLOT_HORIZON_DAYS,
    MAX_SLOTS_PER_REQUEST: config.MAX_SLOTS_PER_REQUEST,
    MAX_HOLDS_PER_PATIENT: config.MAX_HOLDS_PER_PATIENT,
  }).toEqual({
    BOOKING_HOLD_SECONDS: 900,
    HOLD_SWEEP_SECONDS: 30,
    SLOT_HORIZON_DAYS: 90,
    MAX_SLOTS_PER_REQUEST: 500,
    MAX_HOLDS_PER_PATIENT: 3,
  });
  expect(loadConfig({ ...base, MAX_HOLDS_PER_PATIENT: '5', HOLD_SWEEP_SECONDS: '10' })).toMatchObject({
    MAX_HOLDS_PER_PATIENT: 5,
    HOLD_SWEEP_SECONDS: 10,
  });
});

test.each([
  ['HOLD_SWEEP_SECONDS', '86401'],
  ['HOLD_SWEEP_SECONDS', '0'],
  ['BOOKING_HOLD_SECONDS', 'soon'],
  ['MAX_HOLDS_PER_PATIENT', '0'],
  ['MAX_SLOTS_PER_REQUEST', '5001'],
  ['SLOT_HORIZON_DAYS', '731'],
])('%s=%s stops the boot with a message naming it', (name, value) => {
  expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
  expect(() => loadConfig({ ...base, [name]: value })).toThrow(name);
});

test('cancellation, rescheduling and reminder settings have their documented defaults and bounds', () => {
  const config = loadConfig(base);
  expect({
    REFUND_FULL_HOURS: config.REFUND_FULL_HOURS,
    REFUND_LATE_PERCENT: config.REFUND_LATE_PERCENT,
    RESCHEDULE_CUTOFF_HOURS: config.RESCHEDULE_CUTOFF_HOURS,
    MAX_RESCHEDULES: config.MAX_RESCHEDULES,
    REMINDER_OFFSETS_MINUTES: config.REMINDER_OFFSETS_MINUTES,
  }).toEqual({
    REFUND_FULL_HOURS: 24,
    REFUND_LATE_PERCENT: 50,
    RESCHEDULE_CUTOFF_HOURS: 2,
    MAX_RESCHEDULES: 2,
    REMINDER_OFFSETS_MINUTES: '1440,60',
  });
  expect(loadConfig({ ...base, REMINDER_OFFSETS_MINUTES: '120' }).REMINDER_OFFSETS_MINUTES).toBe('120');
  for (const [name, value] of [
    ['REFUND_LATE_PERCENT', '101'],
    ['REFUND_FULL_HOURS', '-1'],
    ['MAX_RESCHEDULES', 'many'],
    ['REMINDER_OFFSETS_MINUTES', '1440, soon'],
    ['REMINDER_OFFSETS_MINUTES', '60,'],
  ] as const) {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(name);
  }
});
