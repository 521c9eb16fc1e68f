import { describe, expect, test } from 'bun:test';
import { storedDocJson, storedJson } from '../../src/db/sqlite/sql.ts';

const at = new Date('2026-12-01T10:00:00.123Z');
const invalid = new Date('not a date');

describe('the stored JSON of documents and update values is exactly what JSON.stringify writes', () => {
  test('a document, without its _id, with dates at the top, deeper down and in arrays', () => {
    const docs: Record<string, unknown>[] = [
      { _id: 'a', at, nested: { at, deeper: [at] }, list: [at, 1], text: 'q"\\\u2028', n: 1.5, none: null },
      { _id: 'b' },
      { first: 1, _id: 'c', last: invalid },
      { _id: 'd', skipped: undefined, kept: false },
    ];
    for (const doc of docs) {
      const { _id, ...rest } = doc;
      expect(storedDocJson(doc)).toBe(JSON.stringify(rest));
    }
    expect(storedDocJson({ _id: 'x', at })).toBe('{"at":"2026-12-01T10:00:00.123Z"}');
  });

  test('one value: a date, an invalid date, objects with dates, and plain values', () => {
    for (const value of [at, invalid, { at }, [at], 'text', 3, null, true, { a: [1, { b: at }] }]) {
      expect(storedJson(value)).toBe(JSON.stringify(value));
    }
    expect(storedJson(invalid)).toBe('null');
  });
});
