import { describe, expect, test } from 'bun:test';
import { VerifiedTokens } from '../../src/modules/auth/verified-tokens.ts';

const claims = (exp: number, nbf?: number) => ({
  sub: 'user',
  role: 'patient',
  sid: 'session',
  exp,
  ...(nbf === undefined ? {} : { nbf }),
});

describe('VerifiedTokens', () => {
  test('a remembered token is found until the second of its exp, then forgotten', () => {
    const tokens = new VerifiedTokens(10);
    tokens.remember('a.b.c', claims(1000));
    expect(tokens.get('a.b.c', 999)?.sub).toBe('user');
    // As the verifier: exp at or before now is expired.
    expect(tokens.get('a.b.c', 1000)).toBeUndefined();
    expect(tokens.size).toBe(0);
    expect(tokens.get('a.b.c', 999)).toBeUndefined();
  });

  test('a token is found by its exact text only', () => {
    const tokens = new VerifiedTokens(10);
    tokens.remember('a.b.c', claims(1000));
    expect(tokens.get('a.b.C', 1)).toBeUndefined();
    expect(tokens.get('a.b.c ', 1)).toBeUndefined();
    expect(tokens.get('a.b.', 1)).toBeUndefined();
  });

  test('before its nbf (a clock set back) a token is a miss', () => {
    const tokens = new VerifiedTokens(10);
    tokens.remember('a.b.c', claims(1000, 500));
    expect(tokens.get('a.b.c', 500)?.sid).toBe('session');
    expect(tokens.get('a.b.c', 499)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  test('bounded: when full the oldest leaves first; remembering a known token again evicts nothing', () => {
    const tokens = new VerifiedTokens(3);
    for (const token of ['t1', 't2', 't3']) tokens.remember(token, claims(1000));
    tokens.remember('t3', claims(1000));
    expect(tokens.size).toBe(3);
    tokens.remember('t4', claims(1000));
    expect(tokens.size).toBe(3);
    expect(tokens.get('t1', 1)).toBeUndefined();
    for (const token of ['t2', 't3', 't4']) expect(tokens.get(token, 1)).toBeDefined();
  });
});
