import { describe, expect, test } from 'bun:test';
import { parseIsoDate } from '../../src/db/schema.ts';

const same = (text: string) => {
  const expected = new Date(text).getTime();
  const actual = parseIsoDate(text).getTime();
  return Number.isNaN(expected) ? Number.isNaN(actual) : actual === expected;
};

describe('parseIsoDate reads stored dates exactly as new Date does', () => {
  test('random instants across years 0000-9999 round-trip', () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const min = new Date('0000-01-01T00:00:00.000Z').getTime();
    const max = new Date('9999-12-31T23:59:59.999Z').getTime();
    for (let i = 0; i < 20_000; i++) {
      const date = new Date(Math.floor(min + next() * (max - min)));
      const text = date.toISOString();
      expect(parseIsoDate(text).getTime()).toBe(date.getTime());
    }
  });

  test('edge days and near misses agree with new Date (including invalid ones)', () => {
    const cases = [
      '2024-02-29T00:00:00.000Z',
      '2023-02-29T00:00:00.000Z',
      '2100-02-29T12:00:00.000Z',
      '2000-02-29T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '0099-12-31T23:59:59.999Z',
      '2030-13-01T00:00:00.000Z',
      '2030-04-31T00:00:00.000Z',
      '2030-01-01T24:00:00.000Z',
      '2030-01-01T00:60:00.000Z',
      '2030-01-01T00:00:60.000Z',
      '2030-01-01T00:00:00.000+01:00',
      '2030-01-01T00:00:00Z',
      '2030-01-01 00:00:00.000Z',
      '2030-1-01T00:00:00.000Z',
      'garbage-that-is-24-chars!',
      '',
    ];
    for (const text of cases) expect({ text, same: same(text) }).toEqual({ text, same: true });
  });
});
