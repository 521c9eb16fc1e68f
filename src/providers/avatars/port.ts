export type ImageType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface AvatarUpload {
  /** A name unique to this upload, e.g. `<userId>-<random>.png`. */
  fileName: string;
  bytes: Uint8Array;
  contentType: ImageType;
}

export interface StoredAvatar {
  url: string;
  /** The provider's handle, kept so a replaced avatar can be removed. */
  fileId: string;
}

/** Stores profile pictures and says where they are served from. */
export interface AvatarProvider {
  readonly kind: 'dev' | 'imagekit';
  put(upload: AvatarUpload): Promise<StoredAvatar>;
  remove(fileId: string): Promise<void>;
}
