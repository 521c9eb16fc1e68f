import { PDFDocument, StandardFonts } from 'pdf-lib';

/** One printed lab value: what a generated report says, and what the analyzer should find. */
export interface PrintedValue {
  /** The name as printed (an alias of the test). */
  label: string;
  /** The canonical name the analyzer should report. */
  name: string;
  value: number;
  unit: string;
  /** Printed beside the value, or omitted (the default table applies). */
  range?: { low: number | null; high: number | null };
  flag: 'low' | 'normal' | 'high' | 'critical';
}

export type Layout = 'table' | 'inline' | 'spaced';
export type DrawingOrder = 'rows' | 'columns';

const rangeText = (range: PrintedValue['range']): string => {
  if (!range) return '';
  if (range.low !== null && range.high !== null) return `${range.low} - ${range.high}`;
  if (range.high !== null) return `< ${range.high}`;
  return `> ${range.low}`;
};

/**
 * A lab report PDF with a text layer: a header, the values in one of three layouts, free text lines (which
 * may carry anything, an injection attempt included), drawn row by row or column by column.
 */
export async function labReportPdf(
  values: PrintedValue[],
  options: { layout?: Layout; order?: DrawingOrder; extraLines?: string[] } = {},
): Promise<Uint8Array> {
  const { layout = 'table', order = 'rows', extraLines = [] } = options;
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const draw = (text: string, x: number, y: number) => page.drawText(text, { x, y, size: 10, font });
  draw('City Diagnostics Laboratory - Test Report', 50, 800);
  draw('Patient: Test Person    Sample: Blood    Date: 2030-01-07', 50, 785);
  let y = 760;
  for (const line of extraLines) {
    draw(line, 50, y);
    y -= 14;
  }
  draw('Test', 50, y);
  draw('Result', 250, y);
  draw('Unit', 330, y);
  draw('Reference range', 420, y);
  y -= 16;
  const rows = values.map((value, i) => ({ value, y: y - i * 15 }));
  const cells: Array<{ text: string; x: number; y: number; column: number }> = [];
  for (const { value, y: rowY } of rows) {
    if (layout === 'inline') {
      const range = rangeText(value.range);
      cells.push({
        text: `${value.label}: ${value.value} ${value.unit}${range ? ` (ref: ${range})` : ''}`,
        x: 50,
        y: rowY,
        column: 0,
      });
    } else if (layout === 'spaced') {
      cells.push({ text: value.label, x: 50, y: rowY, column: 0 });
      cells.push({ text: `${value.value} ${value.unit}`, x: 250, y: rowY, column: 1 });
      if (value.range) cells.push({ text: rangeText(value.range), x: 420, y: rowY, column: 2 });
    } else {
      cells.push({ text: value.label, x: 50, y: rowY, column: 0 });
      cells.push({ text: String(value.value), x: 250, y: rowY, column: 1 });
      cells.push({ text: value.unit, x: 330, y: rowY, column: 2 });
      if (value.range) cells.push({ text: rangeText(value.range), x: 420, y: rowY, column: 3 });
    }
  }
  const ordered = order === 'columns' ? [...cells].sort((a, b) => a.column - b.column || b.y - a.y) : cells;
  for (const cell of ordered) draw(cell.text, cell.x, cell.y);
  draw('End of report. Values flagged by the laboratory should be discussed with your doctor.', 50, 100);
  return doc.save();
}

/** A PDF with pages but no text layer, like a scan. */
export async function scannedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  page.drawRectangle({ x: 50, y: 500, width: 300, height: 200 });
  return doc.save();
}

/** A small CBC-and-glucose report with known findings. */
export const SAMPLE_VALUES: PrintedValue[] = [
  {
    label: 'Hemoglobin',
    name: 'Hemoglobin',
    value: 10.2,
    unit: 'g/dL',
    range: { low: 13, high: 17 },
    flag: 'low',
  },
  {
    label: 'WBC Count',
    name: 'WBC Count',
    value: 7.1,
    unit: '10^3/uL',
    range: { low: 4, high: 11 },
    flag: 'normal',
  },
  { label: 'Fasting Glucose', name: 'Fasting Glucose', value: 126, unit: 'mg/dL', flag: 'high' },
  {
    label: 'Potassium',
    name: 'Potassium',
    value: 6.8,
    unit: 'mmol/L',
    range: { low: 3.5, high: 5.1 },
    flag: 'critical',
  },
];

/** A small seeded PRNG (mulberry32), so a corpus is the same on every run. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CorpusTest {
  name: string;
  aliases: string[];
  units: string[];
  low: number | null;
  high: number | null;
  criticalLow?: number;
  criticalHigh?: number;
}

const round = (value: number): number => {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return Number(value.toFixed(digits));
};
const capitalize = (alias: string): string =>
  alias.length <= 4 ? alias.toUpperCase() : alias.replace(/\b[a-z]/g, (c) => c.toUpperCase());

/**
 * A random lab report over `tests`: 6-14 values, each printed under one of its aliases with one of its
 * units, a printed range (sometimes shifted from the default) or none, and a value aimed at a flag; the
 * expected flag follows the rule (critical limits first, then the printed or default range).
 */
export function randomReport(tests: CorpusTest[], random: () => number): PrintedValue[] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const chosen = [...tests].sort(() => random() - 0.5).slice(0, 6 + Math.floor(random() * 9));
  return chosen.map((test) => {
    const printRange = random() < 0.7;
    const shift = printRange && random() < 0.5 ? 0.9 + random() * 0.2 : 1;
    const low = test.low === null ? null : round(test.low * shift);
    const high = test.high === null ? null : round(test.high * shift);
    const targets: PrintedValue['flag'][] = ['normal', 'normal'];
    if (low !== null && low > 0) targets.push('low');
    if (high !== null) targets.push('high');
    if (test.criticalHigh !== undefined || test.criticalLow !== undefined) targets.push('critical');
    const target = pick(targets);
    const lo = low ?? (high !== null ? high * 0.3 : 1);
    const hi = high ?? lo * 2;
    let value: number;
    if (target === 'normal') value = lo + (hi - lo) * (0.1 + random() * 0.8);
    else if (target === 'low')
      value =
        Math.max(test.criticalLow ?? 0, lo * 0.6) +
        (lo - Math.max(test.criticalLow ?? 0, lo * 0.6)) * (0.1 + random() * 0.8);
    else if (target === 'high')
      value = hi + (Math.min(test.criticalHigh ?? hi * 1.6, hi * 1.6) - hi) * (0.1 + random() * 0.8);
    else
      value =
        test.criticalHigh !== undefined
          ? test.criticalHigh * (1.1 + random() * 0.5)
          : test.criticalLow! * (0.3 + random() * 0.5);
    value = round(value);
    const flag: PrintedValue['flag'] =
      (test.criticalLow !== undefined && value < test.criticalLow) ||
      (test.criticalHigh !== undefined && value > test.criticalHigh)
        ? 'critical'
        : low !== null && value < low
          ? 'low'
          : high !== null && value > high
            ? 'high'
            : 'normal';
    return {
      label: capitalize(pick(test.aliases)),
      name: test.name,
      value,
      unit: pick(test.units),
      ...(printRange ? { range: { low, high } } : {}),
      flag,
    };
  });
}

/**
 * Labels as real lab reports print them, written apart from the analyzer's alias table (qualifiers such
 * as "S." or "Serum", British spellings, abbreviations in brackets, "Cholesterol - HDL" word order), so
 * the bench also measures spellings the table does not list verbatim.
 */
export const PRINTED_SPELLINGS: Record<string, string[]> = {
  Hemoglobin: ['Haemoglobin (Hb)', 'Hemoglobin (HGB)'],
  Hematocrit: ['Hematocrit (HCT)', 'Packed Cell Volume (PCV)'],
  'RBC Count': ['Total RBC Count', 'RBC Count (Red Blood Cells)'],
  'WBC Count': ['Total Leucocyte Count (TLC)', 'Total WBC Count', 'Leukocytes'],
  'Platelet Count': ['Platelets Count', 'Platelet Count (PLT)'],
  'Fasting Glucose': ['Blood Sugar Fasting', 'Glucose Fasting (FBS)', 'Plasma Glucose - Fasting'],
  HbA1c: ['Glycated Haemoglobin (HbA1c)', 'HbA1C'],
  TSH: ['TSH (Ultrasensitive)', 'Serum TSH'],
  Creatinine: ['S. Creatinine', 'Creatinine, Serum'],
  ALT: ['SGPT (ALT)', 'ALT/SGPT'],
  AST: ['SGOT (AST)', 'AST/SGOT'],
  'Total Cholesterol': ['Cholesterol - Total', 'Serum Cholesterol'],
  'LDL Cholesterol': ['LDL Cholesterol (Direct)', 'LDL-Cholesterol'],
  'HDL Cholesterol': ['HDL-Cholesterol', 'Cholesterol - HDL'],
  'Total Bilirubin': ['Bilirubin - Total', 'Bilirubin (Total)'],
  'Blood Urea Nitrogen': ['Urea Nitrogen, Blood (BUN)'],
  Sodium: ['Sodium (Na+)', 'S. Sodium'],
  Potassium: ['Potassium (K+)', 'S. Potassium'],
};
