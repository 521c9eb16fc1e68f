import { Agent } from 'node:http';
import { v2 as cloudinary } from 'cloudinary';
import {
  type FileDownload,
  type ReportFileType,
  type ReportStorage,
  randomStorageKey,
  type StoredFile,
} from './port.ts';

export interface CloudinaryStorageOptions {
  cloudName: string;
  apiKey: string;
  apiSecret: string;
  /** The API host; an `http://` one (a proxy, the test fake) needs a plain HTTP agent per call. */
  uploadPrefix?: string;
  /** How long a signed download URL works, in seconds. */
  urlTtlSeconds?: number;
  /** Injected time for the URL expiry (seconds since the epoch). */
  nowSeconds?: () => number;
}

const FORMATS: Record<ReportFileType, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
};

/** Cloudinary answers errors as `{ message, http_code }` objects, not Errors. */
export class CloudinaryError extends Error {
  constructor(cause: unknown) {
    const detail = cause as { message?: unknown; http_code?: unknown } | null;
    super(
      `cloudinary: ${typeof detail?.message === 'string' ? detail.message : 'request failed'}${typeof detail?.http_code === 'number' ? ` (${detail.http_code})` : ''}`,
    );
    this.name = 'CloudinaryError';
  }
}

/**
 * Report files on Cloudinary with its SDK: uploaded as `authenticated` assets (never public) under a random
 * public id (never the client's file name), read through short-lived signed `private_download_url`s.
 * Credentials go with each call, so the SDK's global configuration (and its environment) is never used.
 */
export class CloudinaryReportStorage implements ReportStorage {
  readonly kind = 'cloudinary' as const;
  private readonly agent: Agent | undefined;

  constructor(private readonly options: CloudinaryStorageOptions) {
    this.agent = options.uploadPrefix?.startsWith('http:') ? new Agent({ keepAlive: false }) : undefined;
  }

  private get credentials() {
    const { cloudName, apiKey, apiSecret, uploadPrefix } = this.options;
    return {
      cloud_name: cloudName,
      api_key: apiKey,
      api_secret: apiSecret,
      ...(uploadPrefix ? { upload_prefix: uploadPrefix } : {}),
      ...(this.agent ? { agent: this.agent } : {}),
    };
  }

  async put(file: { bytes: Uint8Array; contentType: ReportFileType }): Promise<StoredFile> {
    const key = randomStorageKey();
    const dataUri = `data:${file.contentType};base64,${Buffer.from(file.bytes).toString('base64')}`;
    try {
      const result = await cloudinary.uploader.upload(dataUri, {
        ...this.credentials,
        public_id: key,
        resource_type: 'image',
        type: 'authenticated',
        overwrite: false,
        unique_filename: false,
        use_filename: false,
      });
      if (result.public_id !== key) throw new Error('cloudinary stored the file under another id');
    } catch (error) {
      throw error instanceof Error ? error : new CloudinaryError(error);
    }
    return { key };
  }

  private signedUrl(key: string, contentType: ReportFileType): string {
    const now = this.options.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
    return cloudinary.utils.private_download_url(key, FORMATS[contentType], {
      ...this.credentials,
      resource_type: 'image',
      type: 'authenticated',
      attachment: true,
      expires_at: now + (this.options.urlTtlSeconds ?? 300),
    });
  }

  async read(key: string, contentType: ReportFileType): Promise<Uint8Array> {
    const response = await fetch(this.signedUrl(key, contentType));
    if (!response.ok) throw new CloudinaryError({ message: 'download failed', http_code: response.status });
    return new Uint8Array(await response.arrayBuffer());
  }

  async download(key: string, contentType: ReportFileType): Promise<FileDownload> {
    return { redirect: this.signedUrl(key, contentType) };
  }

  async remove(key: string): Promise<void> {
    let result: { result?: string };
    try {
      result = await cloudinary.uploader.destroy(key, {
        ...this.credentials,
        resource_type: 'image',
        type: 'authenticated',
        invalidate: true,
      });
    } catch (error) {
      throw error instanceof Error ? error : new CloudinaryError(error);
    }
    if (result.result !== 'ok' && result.result !== 'not found') {
      throw new CloudinaryError({ message: `destroy answered ${result.result}` });
    }
  }
}
