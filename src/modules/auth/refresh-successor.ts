import type { RefreshSuccessorDoc } from './auth.model.ts';

/** What is sealed: the two token strings a rotation answered with. */
export interface SuccessorTokens {
  accessToken: string;
  refreshToken: string;
}

const HKDF_INFO = new TextEncoder().encode('healthvision/refresh-successor/v1');

/** AES-256-GCM key from the spent refresh token (256 random bits, so HKDF needs no salt). */
async function keyOf(spentToken: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(spentToken), 'HKDF', false, [
    'deriveKey',
  ]);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: HKDF_INFO },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Seals the successor pair so only a holder of `spentToken` can open it; bound to its record id. */
export async function sealSuccessor(
  spentToken: string,
  id: string,
  tokens: SuccessorTokens,
): Promise<Pick<RefreshSuccessorDoc, 'iv' | 'sealed'>> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify([tokens.accessToken, tokens.refreshToken]));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(id) },
    await keyOf(spentToken),
    plain,
  );
  return {
    iv: Buffer.from(iv).toString('base64url'),
    sealed: Buffer.from(sealed).toString('base64url'),
  };
}

/** The sealed pair, or null when it does not open with this token (tampered, or another token). */
export async function openSuccessor(
  spentToken: string,
  doc: RefreshSuccessorDoc,
): Promise<SuccessorTokens | null> {
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: Buffer.from(doc.iv, 'base64url'),
        additionalData: new TextEncoder().encode(doc._id),
      },
      await keyOf(spentToken),
      Buffer.from(doc.sealed, 'base64url'),
    );
    const [accessToken, refreshToken] = JSON.parse(new TextDecoder().decode(plain)) as [string, string];
    return typeof accessToken === 'string' && typeof refreshToken === 'string'
      ? { accessToken, refreshToken }
      : null;
  } catch {
    return null;
  }
}
