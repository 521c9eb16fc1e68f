import ImageKit, { toFile } from '@imagekit/nodejs';
import type { AvatarProvider, AvatarUpload, StoredAvatar } from './port.ts';

export interface ImageKitSettings {
  privateKey: string;
  /** Folder inside the ImageKit media library. */
  folder?: string;
  /** Overrides the SDK's base URL (upload and management API); tests point it at a loopback fake. */
  baseUrl?: string;
  /** Retries on network errors and 5xx (the SDK backs off between them). */
  maxRetries?: number;
}

/** Uploads through ImageKit's `POST /api/v1/files/upload` with the official Node SDK. */
export class ImageKitAvatarProvider implements AvatarProvider {
  readonly kind = 'imagekit' as const;
  private readonly client: ImageKit;

  constructor(private readonly settings: ImageKitSettings) {
    // Every option is passed, so the SDK never falls back to reading the environment itself.
    this.client = new ImageKit({
      privateKey: settings.privateKey,
      password: 'do_not_set',
      webhookSecret: null,
      maxRetries: settings.maxRetries ?? 2,
      ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
    });
  }

  async put(upload: AvatarUpload): Promise<StoredAvatar> {
    const file = await toFile(upload.bytes, upload.fileName, { type: upload.contentType });
    const uploaded = await this.client.files.upload({
      file,
      fileName: upload.fileName,
      folder: this.settings.folder ?? '/avatars',
      useUniqueFileName: false,
      isPrivateFile: false,
      tags: ['avatar'],
    });
    if (!uploaded.url || !uploaded.fileId) throw new Error('ImageKit upload answered without url or fileId');
    return { url: uploaded.url, fileId: uploaded.fileId };
  }

  async remove(fileId: string): Promise<void> {
    await this.client.files.delete(fileId);
  }
}
