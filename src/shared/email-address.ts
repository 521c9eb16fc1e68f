import { domainToASCII } from 'node:url';
import { FormatRegistry } from '@sinclair/typebox';

/**
 * What makes an email address one account (docs/email-addresses.md has the reasons):
 * - the address is `local@domain`, split at the last `@`, with no whitespace, control, format
 *   (zero-width, bidi) or other invisible characters anywhere;
 * - the domain is normalized by IDNA (UTS #46, as browsers do: `node:url` domainToASCII): lower case,
 *   full-width and other compatibility forms mapped, Unicode labels as `xn--` punycode. It must then be a
 *   host name of two or more letter-digit-hyphen labels of 1-63 characters, 253 at most, whose last
 *   label is not all digits (no IP addresses, no `[literals]`);
 * - the local part is at most 64 octets of UTF-8. ASCII is any printable character except
 *   `"(),:;<>@[\]`; other characters are allowed (RFC 6531) only in NFKC form, so full-width letters
 *   (`ａｓｈａ`), ligatures and other compatibility forms are refused rather than silently folded;
 * - the local part is lower-cased (`toLowerCase`, as always); a local part that does not lower-case one
 *   character to one (`İ` becomes `i` + a combining dot) is refused, so what is stored is what was typed;
 * - the whole normalized address is at most 254 octets.
 */
export const EMAIL_ADDRESS = 'email-address';

const ASCII_LOCAL_SPECIALS = /["(),:;<>@[\\\]]/;
const NOT_PRINTABLE_ASCII = /[^\x21-\x7e]/;
const INVISIBLE_OR_SPACE = /[\p{C}\p{Z}\p{Default_Ignorable_Code_Point}]/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const ALL_DIGITS = /^[0-9]+$/;

const octets = (value: string): number => Buffer.byteLength(value, 'utf8');

/** Why `local` cannot be the local part of an address, or undefined when it can. */
function localPartProblem(local: string): string | undefined {
  if (local === '') return 'has no local part before the @';
  if (octets(local) > 64) return 'has a local part longer than 64 octets';
  if (!NOT_PRINTABLE_ASCII.test(local)) {
    return ASCII_LOCAL_SPECIALS.test(local) ? 'has a character not allowed before the @' : undefined;
  }
  if (local.normalize('NFKC') !== local)
    return 'has full-width or other compatibility characters before the @';
  if (ASCII_LOCAL_SPECIALS.test(local)) return 'has a character not allowed before the @';
  const lower = local.toLowerCase();
  if ([...lower].length !== [...local].length || lower.normalize('NFKC') !== lower)
    return 'has a character before the @ with no single lower-case form (such as İ)';
  return undefined;
}

/** The IDNA (ASCII) form of `domain`, or undefined when it is not a host name mail can go to. */
function asciiDomain(domain: string): string | undefined {
  const ascii = domainToASCII(domain);
  if (ascii === '' || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined;
  if (ALL_DIGITS.test(labels.at(-1)!)) return undefined;
  return ascii;
}

export type EmailCheck = { ok: true; address: string } | { ok: false; problem: string };

/** The address as the account it names (see the rule above), or why it names none. */
export function checkEmailAddress(input: string): EmailCheck {
  if (!input.isWellFormed() || INVISIBLE_OR_SPACE.test(input))
    return { ok: false, problem: 'has spaces, control or invisible characters' };
  const at = input.lastIndexOf('@');
  if (at === -1) return { ok: false, problem: 'has no @' };
  const problem = localPartProblem(input.slice(0, at));
  if (problem) return { ok: false, problem };
  const domain = asciiDomain(input.slice(at + 1));
  if (!domain) return { ok: false, problem: 'has no valid domain after the @' };
  const address = `${input.slice(0, at).toLowerCase()}@${domain}`;
  if (octets(address) > 254) return { ok: false, problem: 'is longer than 254 octets' };
  return { ok: true, address };
}

export const isEmailAddress = (input: string): boolean => checkEmailAddress(input).ok;

/**
 * The stored form of an address (lower-case local part, IDNA domain). Input the rule refuses (never
 * past a schema) keeps today's lower-casing, so it can match nothing it should not.
 */
export function normalizeEmail(input: string): string {
  const checked = checkEmailAddress(input.trim());
  return checked.ok ? checked.address : input.trim().toLowerCase();
}

FormatRegistry.Set(EMAIL_ADDRESS, isEmailAddress);
