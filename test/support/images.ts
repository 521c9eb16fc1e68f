/** Small byte sequences that are (or only pretend to be) images, for avatar tests. */
export const PNG_1X1 = Uint8Array.from(
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  ),
);

export const JPEG_HEADER = Uint8Array.from([
  0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
  0x00, 0x00, 0xff, 0xd9,
]);

export const WEBP_HEADER = Uint8Array.from([
  ...Buffer.from('RIFF'),
  0x1a,
  0x00,
  0x00,
  0x00,
  ...Buffer.from('WEBPVP8 '),
  ...new Array(18).fill(0),
]);

/** Text wearing an image's name and declared type: judged by its bytes, it is not an image. */
export const FAKE_PNG = new TextEncoder().encode('<?php echo "not an image"; ?>');

/** A PNG signature followed by padding, `size` bytes in all. */
export function pngOfSize(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(PNG_1X1.subarray(0, 8));
  return bytes;
}

export function imageFile(bytes: Uint8Array, name = 'avatar.png', type = 'image/png'): File {
  return new File([bytes], name, { type });
}
