import { describe, expect, test } from 'bun:test';
import { openSuccessor, sealSuccessor } from '../../src/modules/auth/refresh-successor.ts';

const token = () => `hvrt_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')}`;
const pair = { accessToken: 'eyJ.access.token', refreshToken: token() };

describe('the sealed successor pair', () => {
  test('opens with the spent token it was sealed for, and only with it', async () => {
    const spent = token();
    const doc = {
      _id: 'a'.repeat(64),
      ...(await sealSuccessor(spent, 'a'.repeat(64), pair)),
      expiresAt: new Date(),
    };
    expect(await openSuccessor(spent, doc)).toEqual(pair);
    expect(await openSuccessor(token(), doc)).toBeNull();
    expect(JSON.stringify(doc)).not.toContain(pair.refreshToken.slice(5));
  });

  test('is bound to its record: moved to another id, or altered, it does not open', async () => {
    const spent = token();
    const sealed = await sealSuccessor(spent, 'a'.repeat(64), pair);
    expect(await openSuccessor(spent, { _id: 'b'.repeat(64), ...sealed, expiresAt: new Date() })).toBeNull();
    const flipped = Buffer.from(sealed.sealed, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    const altered = {
      _id: 'a'.repeat(64),
      iv: sealed.iv,
      sealed: flipped.toString('base64url'),
      expiresAt: new Date(),
    };
    expect(await openSuccessor(spent, altered)).toBeNull();
  });
});
