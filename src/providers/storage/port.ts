/** The file types a medical report may be, judged by its bytes. */
export const REPORT_FILE_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'image/webp'] as const;
export type ReportFileType = (typeof REPORT_FILE_TYPES)[number];

export interface StoredFile {
  /** The provider's handle: a random id, never the client's file name. */
  key: string;
}

/** How a client gets the original back: a short-lived signed URL, or the bytes streamed by us. */
export type FileDownload = { redirect: string } | { stream: Blob };

/** Keeps report files private: nothing is public, every read is signed or goes through the app. */
export interface ReportStorage {
  readonly kind: 'local' | 'cloudinary';
  put(file: { bytes: Uint8Array; contentType: ReportFileType }): Promise<StoredFile>;
  /** The stored bytes (for the analyzer). */
  read(key: string, contentType: ReportFileType): Promise<Uint8Array>;
  download(key: string, contentType: ReportFileType): Promise<FileDownload>;
  /** Removes the file; removing one that is already gone is not an error. */
  remove(key: string, contentType: ReportFileType): Promise<void>;
}

/** A random storage key: 128 bits, hex. */
export const randomStorageKey = (): string =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
