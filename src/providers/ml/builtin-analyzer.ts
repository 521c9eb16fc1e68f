import { DEFAULT_RANGES_SOURCE, LAB_TESTS, type LabTest } from './lab-tests.ts';
import type { AnalysisResult, Finding, Flag } from './port.ts';

export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const normalizeUnit = (unit: string): string => unit.toLowerCase().replace(/[µμ]/g, 'u').replace(/\s+/g, '');

/** Every alias with its test, longest first, so `hba1c` wins over `hb` and `ldl cholesterol` over `ldl`. */
const ALIASES = LAB_TESTS.flatMap((test) => test.aliases.map((alias) => ({ alias, test })))
  .sort((a, b) => b.alias.length - a.alias.length)
  .map(({ alias, test }) => ({ test, pattern: new RegExp(`^${escapeRegExp(alias)}(?![a-z0-9])`, 'i') }));

const NUMBER = '(\\d+(?:[.,]\\d+)?)';
const VALUE = new RegExp(`^[\\s:*-]*(?:\\([^)]*\\)[\\s:*-]*)?${NUMBER}(?![\\d/])`);
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
export function findingOf(row: string): Finding | null {
  const line = row.trim();
  for (const { test, pattern } of ALIASES) {
    const name = pattern.exec(line);
    if (!name) continue;
    const afterName = line.slice(name[0].length);
    const value = VALUE.exec(afterName);
    if (!value) return null;
    const rest = afterName.slice(value[0].length);
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
  return null;
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
