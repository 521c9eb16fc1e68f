import { fileTypeFromBuffer } from 'file-type';
import type { ReportFileType } from '../../providers/storage/port.ts';
import { AppError } from '../../shared/errors.ts';

const ACCEPTED: ReadonlySet<string> = new Set<ReportFileType>([
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/webp',
]);
/** Markup a browser would run if the file were ever shown inline: a PDF/HTML polyglot is refused. */
const MARKUP = /<(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed)[\s>/]/i;
const HEAD_BYTES = 4096;

export class ReportTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super(413, 'REPORT_TOO_LARGE', `The file must be at most ${maxBytes} bytes`, { maxBytes });
  }
}

export class UnsupportedReportTypeError extends AppError {
  constructor() {
    super(415, 'UNSUPPORTED_REPORT_TYPE', 'The file must be a PDF, PNG, JPEG or WebP (judged by its bytes)');
  }
}

/**
 * Checks an upload by its size and bytes, never its name or declared type: 0 bytes -> 422, over the limit
 * -> 413, not PDF/PNG/JPEG/WebP by its signature, or carrying HTML markup in its head -> 415.
 */
export async function acceptReportFile(
  file: Blob,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; contentType: ReportFileType }> {
  if (file.size > maxBytes) throw new ReportTooLargeError(maxBytes);
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.byteLength === 0) throw new AppError(422, 'REPORT_EMPTY', 'The file is empty');
  if (bytes.byteLength > maxBytes) throw new ReportTooLargeError(maxBytes);
  const sniffed = await fileTypeFromBuffer(bytes);
  if (!sniffed || !ACCEPTED.has(sniffed.mime)) throw new UnsupportedReportTypeError();
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, HEAD_BYTES));
  if (MARKUP.test(head)) throw new UnsupportedReportTypeError();
  return { bytes, contentType: sniffed.mime as ReportFileType };
}
