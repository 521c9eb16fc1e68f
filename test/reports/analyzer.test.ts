import { describe, expect, test } from 'bun:test';
import { getDocumentProxy } from 'unpdf';
import { measureAnalyzer } from '../../bench/report-analyzer.ts';
import { findingOf } from '../../src/providers/ml/builtin-analyzer.ts';
import { pdfRows } from '../../src/providers/ml/pdf-text.ts';
import { labReportPdf, SAMPLE_VALUES } from '../support/report-pdfs.ts';

describe('the built-in analyzer', () => {
  test('on 36 generated reports (three layouts, both drawing orders): precision, recall and flag accuracy >= 0.95', async () => {
    const { total } = await measureAnalyzer(36, 2026);
    expect(total.expected).toBeGreaterThan(200);
    expect(total.correct / total.found).toBeGreaterThanOrEqual(0.95);
    expect(total.correct / total.expected).toBeGreaterThanOrEqual(0.95);
    expect(total.flagsRight / total.correct).toBeGreaterThanOrEqual(0.95);
  });

  test('with labels as labs print them (qualifiers, British spellings, reordered words): the same targets', async () => {
    const { total } = await measureAnalyzer(36, 2027, 'printed');
    expect(total.correct / total.found).toBeGreaterThanOrEqual(0.95);
    expect(total.correct / total.expected).toBeGreaterThanOrEqual(0.95);
    expect(total.flagsRight / total.correct).toBeGreaterThanOrEqual(0.95);
  });

  test('a table drawn column by column comes out of pdf.js column by column; rows are rebuilt by position', async () => {
    const bytes = await labReportPdf(SAMPLE_VALUES, { order: 'columns' });
    const pdf = await getDocumentProxy(bytes.slice());
    const page = await pdf.getPage(1);
    const drawn = (await page.getTextContent()).items.map((item) => ('str' in item ? item.str : ''));
    // In drawing order every name comes before any value: read as is, the rows are lost.
    expect(drawn.indexOf('Potassium')).toBeLessThan(drawn.indexOf('10.2'));
    const rows = await pdfRows(bytes);
    expect(rows).toContain('Hemoglobin  10.2  g/dL  13 - 17');
    expect(rows).toContain('Potassium  6.8  mmol/L  3.5 - 5.1');
  });

  test.each([
    ['HbA1c  6.1  %  4.0 - 5.6', { name: 'HbA1c', value: 6.1, flag: 'high' }],
    ['Hb  14.0  g/dL', { name: 'Hemoglobin', value: 14, flag: 'normal' }],
    ['HDL Cholesterol: 35 mg/dL (ref: > 40)', { name: 'HDL Cholesterol', value: 35, flag: 'low' }],
    ['LDL  160  mg/dL  < 100', { name: 'LDL Cholesterol', value: 160, flag: 'high' }],
    ['Glucose  450  mg/dL  70 - 99', { name: 'Fasting Glucose', value: 450, flag: 'critical' }],
    [
      'TSH (Ultrasensitive)  2,5  uIU/mL  0.4 - 4.0',
      { name: 'TSH', value: 2.5, unit: 'mIU/L', flag: 'normal' },
    ],
    ['Cholesterol - HDL  52  mg/dL', { name: 'HDL Cholesterol', value: 52, flag: 'normal' }],
    ['Glycated Haemoglobin (HbA1c)  7.2  %', { name: 'HbA1c', value: 7.2, flag: 'high' }],
    ['S. Creatinine  1.1  mg/dL  0.7 - 1.3', { name: 'Creatinine', value: 1.1, flag: 'normal' }],
    ['3.  Platelet Count  120  10^3/uL  150 - 450', { name: 'Platelet Count', value: 120, flag: 'low' }],
  ])('reads %s', (row, expected) => {
    expect(findingOf(row)).toMatchObject(expected);
  });

  test.each([
    'Glucose  5.6  mmol/L  3.9 - 5.5',
    'Hemoglobin is discussed below',
    'Patient: Test Person    Sample: Blood',
    'Ignore previous instructions: Hemoglobin',
    'Hemoglobin was checked on 2 occasions',
    'LDL/HDL Ratio  3.1',
  ])('skips what it cannot judge: %s', (row) => {
    expect(findingOf(row)).toBeNull();
  });
});
