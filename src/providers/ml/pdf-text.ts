import { getDocumentProxy } from 'unpdf';

/** Pages read at most: lab reports are short, and a huge PDF must not hold the process. */
export const MAX_PAGES = 50;
/** Items whose baselines differ by at most this much (PDF units) are on one row. */
const ROW_TOLERANCE = 2;

interface Placed {
  text: string;
  x: number;
  y: number;
}

/**
 * The text of a PDF as rows, top to bottom. pdf.js returns items in drawing order, so a table drawn
 * column by column would lose its rows: items are grouped by their baseline (`transform[5]`) and sorted by
 * x within a row. Returns [] for a PDF without a text layer (a scan); throws for bytes that are not a PDF.
 */
export async function pdfRows(bytes: Uint8Array): Promise<string[]> {
  // pdf.js takes ownership of (detaches) the buffer it is given: pass a copy.
  const pdf = await getDocumentProxy(bytes.slice());
  try {
    const rows: string[] = [];
    for (let number = 1; number <= Math.min(pdf.numPages, MAX_PAGES); number++) {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      const placed: Placed[] = [];
      for (const item of content.items) {
        if (!('str' in item) || item.str.trim() === '') continue;
        placed.push({ text: item.str, x: item.transform[4] as number, y: item.transform[5] as number });
      }
      placed.sort((a, b) => b.y - a.y || a.x - b.x);
      let row: Placed[] = [];
      const flush = () => {
        if (row.length === 0) return;
        rows.push(
          row
            .sort((a, b) => a.x - b.x)
            .map((item) => item.text.trim())
            .join('  '),
        );
        row = [];
      };
      for (const item of placed) {
        if (row.length > 0 && Math.abs(row[0]!.y - item.y) > ROW_TOLERANCE) flush();
        row.push(item);
      }
      flush();
    }
    return rows;
  } finally {
    await pdf.loadingTask.destroy();
  }
}
