import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of `text`, as Razorpay signs payments and webhooks. */
export const hmacHex = (secret: string, text: string): string =>
  createHmac('sha256', secret).update(text).digest('hex');

/** Whether `signature` is the HMAC of `text`, compared in constant time (the SDK's helpers use `===`). */
export function isSignedBy(secret: string, text: string, signature: string): boolean {
  const expected = Buffer.from(hmacHex(secret, text), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
