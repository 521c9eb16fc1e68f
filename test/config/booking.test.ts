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
