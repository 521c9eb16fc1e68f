import { DEFAULT_RANGES_SOURCE, LAB_TESTS, type LabTest } from './lab-tests.ts';
import type { AnalysisResult, Finding, Flag } from './port.ts';

export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const normalizeUnit = (unit: string): string => unit.toLowerCase().replace(/[µμ]/g, 'u').replace(/\s+/g, '');

/** Words a lab prints around a test's name that do not change which test it is. */
const FILLERS = new Set([
  's',
  'serum',
  'plasma',
  'total',
  'direct',
  'ultrasensitive',
  'level',
  'value',
  'test',
]);

/** A label as words: lower case, British spellings folded, punctuation as spaces, fillers dropped. */
const wordsOf = (label: string): string[] =>
  label
    .toLowerCase()
    .replace(/haem/g, 'hem')
    .replace(/leuco/g, 'leuko')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((word) => word !== '' && !FILLERS.has(word));

/** Each test's aliases as word lists, and every word any of its aliases uses. */
const VOCABULARY = LAB_TESTS.map((test) => {
  const aliases = [...test.aliases, test.name].map(wordsOf).filter((words) => words.length > 0);
  return { test, aliases, words: new Set(aliases.flat()) };
});

/**
 * The test a printed label names: every word of the label belongs to that test's aliases (so prose such
 * as "hemoglobin is discussed below" names none), and the alias matched with the most words wins
 * ("HDL cholesterol" is HDL, not total cholesterol; "glycated haemoglobin" is HbA1c).
 */
export function testNamed(label: string): LabTest | null {
  const words = wordsOf(label);
  if (words.length === 0 || words.length > 8) return null;
  let best: { test: LabTest; score: number } | null = null;
  for (const { test, aliases, words: vocabulary } of VOCABULARY) {
    if (!words.every((word) => vocabulary.has(word))) continue;
    const score = Math.max(
      0,
      ...aliases.filter((alias) => alias.every((word) => words.includes(word))).map((a) => a.length),
    );
    if (score > 0 && (!best || score > best.score)) best = { test, score };
  }
  return best?.test ?? null;
}

const NUMBER = '(\\d+(?:[.,]\\d+)?)';
/** The value: the first number standing alone (a label's own digits, as in HbA1c or T4, do not). */
const VALUE = new RegExp(`(?:^|[\\s:*])${NUMBER}(?=\\s|$)`);
const BETWEEN = new RegExp(`${NUMBER}\\s*(?:-|–|—|to)\\s*${NUMBER}`, 'i');
const BELOW = new RegExp(`(?:<=?|≤|up to|below|less than)\\s*${NUMBER}`, 'i');
const ABOVE = new RegExp(`(?:>=?|≥|above|more than|greater than)\\s*${NUMBER}`, 'i');
const UNIT_TOKEN = /^\s*([a-zA-Zµμ%^/0-9.]+(?:\/[a-zA-Z0-9.^]+)*)/;

const toNumber = (text: string): number => Number(text.replace(',', '.'));

/** The unit printed after the value: the test's own (shown as its first unit), none, or a foreign one. */
function unitOf(rest: string, test: LabTest): { unit: string; length: number } | 'foreign' {
  const token = UNIT_TOKEN.exec(rest);
  if (!token) return { unit: test.units[0]!, length: 0 };
  const printed = normalizeUnit(token[1]!);
  if (test.units.some((unit) => normalizeUnit(unit) === printed)) {
    return { unit: test.units[0]!, length: token[0].length };
  }
  // A word that is no unit (a flag letter, "Normal") leaves the unit as the test's own.
  if (/^[a-z]+$/i.test(token[1]!) && !/^(iu|u|pg|fl|mg|g)$/i.test(token[1]!)) {
    return { unit: test.units[0]!, length: 0 };
  }
  return 'foreign';
}

function rangeOf(rest: string, test: LabTest): Finding['referenceRange'] {
  const between = BETWEEN.exec(rest);
  if (between) return { low: toNumber(between[1]!), high: toNumber(between[2]!), source: 'report' };
  const below = BELOW.exec(rest);
  if (below) return { low: null, high: toNumber(below[1]!), source: 'report' };
  const above = ABOVE.exec(rest);
  if (above) return { low: toNumber(above[1]!), high: null, source: 'report' };
  return { low: test.low, high: test.high, source: DEFAULT_RANGES_SOURCE };
}

export function flagOf(value: number, range: Finding['referenceRange'], test: LabTest): Flag {
  if (test.criticalLow !== undefined && value < test.criticalLow) return 'critical';
  if (test.criticalHigh !== undefined && value > test.criticalHigh) return 'critical';
  if (range.low !== null && value < range.low) return 'low';
  if (range.high !== null && value > range.high) return 'high';
  return 'normal';
}

/** One row of text as a finding, if it starts with a known test followed by its value. */
/** A row's serial number ("1.", "12)") before its label. */
const SERIAL = /^\d{1,3}[.)]?\s+(?=\D)/;

export function findingOf(row: string): Finding | null {
  const line = row.trim().replace(SERIAL, '');
  const value = VALUE.exec(line);
  if (!value) return null;
  const test = testNamed(line.slice(0, value.index));
  if (!test) return null;
  const rest = line.slice(value.index + value[0].length);
  const unit = unitOf(rest, test);
  if (unit === 'foreign') return null;
  const referenceRange = rangeOf(rest.slice(unit.length), test);
  const amount = toNumber(value[1]!);
  return {
    name: test.name,
    value: amount,
    unit: unit.unit,
    referenceRange,
    flag: flagOf(amount, referenceRange, test),
  };
}

/** The recognised findings of a report's rows (the first of each test), and a summary in plain words. */
export function analyzeRows(rows: string[]): AnalysisResult {
  const findings: Finding[] = [];
  for (const row of rows) {
    const finding = findingOf(row);
    if (finding && !findings.some((seen) => seen.name === finding.name)) findings.push(finding);
  }
  return { summary: summarize(findings), findings };
}

const describeRange = (finding: Finding): string => {
  const { low, high } = finding.referenceRange;
  if (low !== null && high !== null) return `${low}-${high} ${finding.unit}`;
  if (high !== null) return `below ${high} ${finding.unit}`;
  if (low !== null) return `above ${low} ${finding.unit}`;
  return 'no range';
};

const FLAG_WORDS: Record<Flag, string> = {
  low: 'below its reference range',
  normal: 'within its reference range',
  high: 'above its reference range',
  critical: 'far outside its reference range (a critical value)',
};

export const describeFinding = (finding: Finding): string =>
  `${finding.name} is ${finding.value} ${finding.unit}, ${FLAG_WORDS[finding.flag]} (${describeRange(finding)})`;

function summarize(findings: Finding[]): string {
  if (findings.length === 0) {
    return 'No common lab values (blood count, lipids, glucose, thyroid, kidney or liver tests) were recognised in this report.';
  }
  const outside = findings.filter((finding) => finding.flag !== 'normal');
  const head = `${findings.length} lab value${findings.length === 1 ? ' was' : 's were'} read from this report.`;
  if (outside.length === 0) return `${head} All of them are within their reference ranges.`;
  const critical = outside.some((finding) => finding.flag === 'critical')
    ? ' A critical value should be discussed with a doctor promptly.'
    : '';
  return `${head} ${outside.length} ${outside.length === 1 ? 'is' : 'are'} outside the reference range: ${outside.map(describeFinding).join('; ')}.${critical} The others are within range.`;
}
