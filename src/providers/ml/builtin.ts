import { analyzeRows } from './builtin-analyzer.ts';
import { answerFromFindings } from './builtin-chat.ts';
import { pdfRows } from './pdf-text.ts';
import {
  AnalysisError,
  type AnalysisInput,
  type AnalysisResult,
  type ChatReply,
  type Finding,
  type MlProvider,
} from './port.ts';

/** The built-in analyzer (PDF text layer, known lab values) and rule-based chatbot: offline, no service. */
export class BuiltinMlProvider implements MlProvider {
  readonly kind = 'builtin' as const;

  async analyze(input: AnalysisInput): Promise<AnalysisResult> {
    // OCR is out of scope: an image carries no text layer to read.
    if (input.contentType !== 'application/pdf')
      throw new AnalysisError('NO_TEXT', true, 'the file has no text layer');
    let rows: string[];
    try {
      rows = await pdfRows(await input.bytes());
    } catch {
      throw new AnalysisError('UNREADABLE', true, 'the PDF could not be read');
    }
    if (rows.length === 0) throw new AnalysisError('NO_TEXT', true, 'the PDF has no text layer');
    return analyzeRows(rows);
  }

  async chat(input: { findings: Finding[]; question: string }): Promise<ChatReply> {
    return answerFromFindings(input.findings, input.question);
  }
}
