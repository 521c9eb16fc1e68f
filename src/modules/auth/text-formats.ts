import { FormatRegistry } from '@sinclair/typebox';

/**
 * String formats for what people type. Registered when this module loads, which is before any schema
 * that names them is compiled (the models import the names from here).
 */

/** No control, format (zero-width, bidi, soft hyphen), private-use, unassigned or space characters. */
export const VISIBLE_TEXT = 'visible-text';
/** One line of well-formed text: no control characters (NUL, ESC, DEL, C1) and no lone surrogates. */
export const SINGLE_LINE_TEXT = 'single-line-text';
/** Well-formed text whose only control characters are tab and line breaks. */
export const MULTI_LINE_TEXT = 'multi-line-text';

const INVISIBLE = /[\p{C}\p{Z}]/u;
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_TAB_OR_NEWLINE = /[^\P{Cc}\t\n\r]/u;

FormatRegistry.Set(VISIBLE_TEXT, (value) => value.isWellFormed() && !INVISIBLE.test(value));
FormatRegistry.Set(SINGLE_LINE_TEXT, (value) => value.isWellFormed() && !CONTROL.test(value));
FormatRegistry.Set(
  MULTI_LINE_TEXT,
  (value) => value.isWellFormed() && !CONTROL_BUT_TAB_OR_NEWLINE.test(value),
);
