import { describe, expect, test } from 'bun:test';
import { formatIsoDate } from '../../src/db/schema.ts';

describe('formatIsoDate writes what toISOString writes', () => {
  test('across the four-digit years, every month end, leap days and the millisecond', () => {
    const instants = [
      Date.parse('1900-02-28T23:59:59.999Z'),
      Date.parse('0000-01-01T00:00:00.000Z'),
      Date.parse('1969-12-31T23:59:59.999Z'),
      0,
      Date.parse('2000-02-29T12:34:56.789Z'),
      Date.parse('2024-02-29T23:59:59.999Z'),
      Date.parse('2100-03-01T00:00:00.001Z'),
      Date.parse('9999-12-31T23:59:59.999Z'),
    ];
    for (
      let t = Date.parse('0000-01-01T00:00:00.000Z');
      t < Date.parse('9999-12-31T00:00:00Z');
      t += 86_399_999_937
    )
      instants.push(t);
    for (let t = Date.parse('2026-01-01T00:00:00Z'); t < Date.parse('2029-01-01T00:00:00Z'); t += 3_601_001)
      instants.push(t);
    for (const t of instants) expect(formatIsoDate(new Date(t))).toBe(new Date(t).toISOString());
  });

  test('years outside 0000-9999 and invalid dates behave as toISOString does', () => {
    for (const text of ['-000001-12-31T23:59:59.999Z', '+010000-01-01T00:00:00.000Z']) {
      expect(formatIsoDate(new Date(text))).toBe(text);
    }
    expect(() => formatIsoDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});
