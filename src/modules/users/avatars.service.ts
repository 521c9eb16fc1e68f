import type { AvatarProvider, StoredAvatar } from '../../providers/avatars/port.ts';
import { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { sniffImageType } from './avatar-image.ts';

export class AvatarTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super(413, 'AVATAR_TOO_LARGE', `The avatar must be at most ${maxBytes} bytes`, { maxBytes });
  }
}

export class UnsupportedImageError extends AppError {
  constructor() {
    super(415, 'UNSUPPORTED_IMAGE', 'The avatar must be a JPEG, PNG or WebP image');
  }
}

/** An upload's bytes and the image type they really are, as `accept` found them. */
export interface AcceptedImage {
  bytes: Uint8Array;
  type: NonNullable<ReturnType<typeof sniffImageType>>;
}

/** Checks an uploaded picture by its size and bytes, then stores it through the avatar provider. */
export class AvatarsService {
  constructor(
    private readonly provider: AvatarProvider,
    private readonly logger: Logger,
    private readonly maxBytes: number,
  ) {}

  /** Refuses before anything is stored: too big -> 413, not JPEG/PNG/WebP by its bytes -> 415. */
  async accept(file: Blob): Promise<AcceptedImage> {
    if (file.size > this.maxBytes) throw new AvatarTooLargeError(this.maxBytes);
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (bytes.byteLength > this.maxBytes) throw new AvatarTooLargeError(this.maxBytes);
    const type = sniffImageType(bytes);
    if (!type) throw new UnsupportedImageError();
    return { bytes, type };
  }

  /** Checks, then stores; a provider failure is a 502 `AVATAR_UPLOAD_FAILED` (its detail only logged). */
  async store(userId: string, file: Blob): Promise<StoredAvatar> {
    return this.storeAccepted(userId, await this.accept(file));
  }

  /** Stores a picture `accept` already passed, without reading and checking its bytes again. */
  async storeAccepted(userId: string, { bytes, type }: AcceptedImage): Promise<StoredAvatar> {
    const suffix = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('hex');
    try {
      return await this.provider.put({
        fileName: `${userId}-${suffix}.${type.extension}`,
        bytes,
        contentType: type.type,
      });
    } catch (error) {
      this.logger.error('avatar upload failed', {
        provider: this.provider.kind,
        userId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown',
      });
      throw new AppError(502, 'AVATAR_UPLOAD_FAILED', 'The picture could not be stored; try again later');
    }
  }

  /** Best effort: a leftover file is not worth failing the request for. */
  async discard(fileId: string | undefined): Promise<void> {
    if (!fileId) return;
    try {
      await this.provider.remove(fileId);
    } catch (error) {
      this.logger.warn('could not remove an old avatar', {
        provider: this.provider.kind,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
