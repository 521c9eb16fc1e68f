/**
 * `bun run bench:analyzer`: the built-in analyzer on generated lab-report PDFs with known values, in three
 * layouts and both drawing orders (row by row, and column by column, which loses rows in pdf.js's text
 * order unless they are rebuilt by position). Prints precision and recall of the extracted findings (a
 * finding is right when its test, value and unit match) and the accuracy of their flags.
 * Options: --reports=N (default 60), --seed=N.
 */
import { BuiltinMlProvider } from '../src/providers/ml/builtin.ts';
import { LAB_TESTS } from '../src/providers/ml/lab-tests.ts';
import {
  type DrawingOrder,
  type Layout,
  labReportPdf,
  PRINTED_SPELLINGS,
  randomReport,
  seeded,
} from '../test/support/report-pdfs.ts';

const arg = (name: string, fallback: number): number => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};

/** `aliases`: labels from the analyzer's own table; `printed`: labels as labs print them (PRINTED_SPELLINGS). */
export type Spellings = 'aliases' | 'printed';

export async function measureAnalyzer(reports: number, seed: number, spellings: Spellings = 'aliases') {
  const random = seeded(seed);
  const ml = new BuiltinMlProvider();
  const layouts: Layout[] = ['table', 'inline', 'spaced'];
  const orders: DrawingOrder[] = ['rows', 'columns'];
  const byCase = new Map<string, { expected: number; found: number; correct: number; flagsRight: number }>();
  const total = { expected: 0, found: 0, correct: 0, flagsRight: 0 };
  for (let i = 0; i < reports; i++) {
    const layout = layouts[i % layouts.length]!;
    const order = orders[Math.floor(i / layouts.length) % orders.length]!;
    const values = randomReport(LAB_TESTS, random).map((value) => {
      const printed = PRINTED_SPELLINGS[value.name];
      return spellings === 'printed' && printed
        ? { ...value, label: printed[Math.floor(random() * printed.length)]! }
        : value;
    });
    const bytes = await labReportPdf(values, { layout, order });
    const result = await ml.analyze({ bytes: async () => bytes, contentType: 'application/pdf' });
    const key = `${layout}/${order}`;
    const row = byCase.get(key) ?? { expected: 0, found: 0, correct: 0, flagsRight: 0 };
    row.expected += values.length;
    row.found += result.findings.length;
    for (const finding of result.findings) {
      const truth = values.find((v) => v.name === finding.name);
      if (!truth || truth.value !== finding.value) continue;
      row.correct++;
      if (truth.flag === finding.flag) row.flagsRight++;
    }
    byCase.set(key, row);
  }
  for (const row of byCase.values()) {
    total.expected += row.expected;
    total.found += row.found;
    total.correct += row.correct;
    total.flagsRight += row.flagsRight;
  }
  return { byCase, total };
}

if (import.meta.main) {
  const reports = arg('reports', 60);
  const seed = arg('seed', 13);
  const pct = (n: number, d: number) => (d === 0 ? '-' : (n / d).toFixed(3));
  for (const spellings of ['aliases', 'printed'] as const) {
    const { byCase, total } = await measureAnalyzer(reports, seed, spellings);
    console.log(`\nbuilt-in analyzer: ${reports} generated reports, seed ${seed}, labels: ${spellings}\n`);
    console.log('| layout/order | values | found | precision | recall | flag accuracy |');
    console.log('|---|---|---|---|---|---|');
    for (const [key, row] of [...byCase, ['all', total] as const]) {
      console.log(
        `| ${key} | ${row.expected} | ${row.found} | ${pct(row.correct, row.found)} | ${pct(row.correct, row.expected)} | ${pct(row.flagsRight, row.correct)} |`,
      );
    }
  }
}
