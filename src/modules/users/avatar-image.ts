import type { ImageType } from '../../providers/avatars/port.ts';

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** The image type the bytes really are (JPEG, PNG or WebP), whatever the name or declared type say. */
export function sniffImageType(
  bytes: Uint8Array,
): { type: ImageType; extension: 'jpg' | 'png' | 'webp' } | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { type: 'image/jpeg', extension: 'jpg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { type: 'image/png', extension: 'png' };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBPVP8'), 8)) {
    return { type: 'image/webp', extension: 'webp' };
  }
  return null;
}
