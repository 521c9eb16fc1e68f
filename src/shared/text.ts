import { FormatRegistry, type StringOptions, type TString, Type } from '@sinclair/typebox';

/**
 * The one rule for text people type into the API (names, bio, specialty, registration number,
 * languages, reasons, and later report titles and chat messages):
 * - well-formed UTF-16: no lone surrogates;
 * - no control characters (C0, DEL, C1), except tab and line breaks in multi-line text; single-line
 *   text also refuses the Unicode line and paragraph separators (U+2028, U+2029);
 * - no bidirectional embeddings, overrides or isolates (U+202A-U+202E, U+2066-U+2069), which reorder
 *   what a reader sees. The bare marks (LRM U+200E, RLM U+200F, ALM U+061C) stay allowed: mixed
 *   right-to-left text needs them, and they cannot reorder strong characters;
 * - not blank: something must remain once whitespace and invisible characters (Default_Ignorable code
 *   points, format characters such as zero-width spaces, joiners, BOM, soft hyphen, and the Braille
 *   blank) are removed. Those characters stay allowed inside visible text (scripts and emoji need
 *   joiners). The empty string is governed by `minLength` alone.
 * Registered as TypeBox formats when this module loads, before any schema naming them is compiled.
 */
export const SINGLE_LINE_TEXT = 'single-line-text';
export const MULTI_LINE_TEXT = 'multi-line-text';

const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_TAB_OR_NEWLINE = /[^\P{Cc}\t\n\r]/u;
const LINE_SEPARATOR = /[\u2028\u2029]/u;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]/gu;

/** What is left of `value` once whitespace and invisible characters are removed. */
const visiblePart = (value: string): string => value.replace(INVISIBLE, '');

/** Code points a reader can see: the length the minimum-length rules count. */
export const visibleLength = (value: string): number => [...visiblePart(value)].length;

/** Why `value` breaks the text rule, or undefined when it keeps it. */
export function textProblem(value: string, multiline: boolean): string | undefined {
  if (!value.isWellFormed()) return 'must not contain unpaired surrogates';
  if ((multiline ? CONTROL_BUT_TAB_OR_NEWLINE : CONTROL).test(value))
    return multiline
      ? 'must not contain control characters other than tab and newline'
      : 'must not contain control characters';
  if (!multiline && LINE_SEPARATOR.test(value)) return 'must be a single line';
  if (BIDI_CONTROL.test(value)) return 'must not contain bidirectional overrides, embeddings or isolates';
  if (value !== '' && visiblePart(value) === '') return 'must not be blank';
  return undefined;
}

FormatRegistry.Set(SINGLE_LINE_TEXT, (value) => textProblem(value, false) === undefined);
FormatRegistry.Set(MULTI_LINE_TEXT, (value) => textProblem(value, true) === undefined);

export interface TextOptions extends Omit<StringOptions, 'format' | 'pattern'> {
  maxLength: number;
  /** Defaults to 1: free text is absent or says something. */
  minLength?: number;
  /** Allows tab and line breaks (bio, reasons, messages). */
  multiline?: boolean;
}

/** A request field of free text under the rule above, e.g. `Text({ maxLength: 120 })`. */
export function Text({ multiline = false, minLength = 1, ...options }: TextOptions): TString {
  return Type.String({ ...options, minLength, format: multiline ? MULTI_LINE_TEXT : SINGLE_LINE_TEXT });
}
