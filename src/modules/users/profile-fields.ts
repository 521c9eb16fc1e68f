import type { FieldIssue } from '../../shared/errors.ts';
import { visibleLength } from '../../shared/text.ts';
import { canonicalTimeZone } from '../../shared/time-zones.ts';
import { PROFILE_LIMITS } from './users.model.ts';

const language = PROFILE_LIMITS.language;

/**
 * Cleans the free-text profile fields the same way for signup and PATCH /me: trimmed, and the minimum
 * length counts only visible characters, so neither whitespace nor invisible characters pass for a
 * value (the schema's text rule has refused the rest). Problems are added to `issues`.
 */
export function trimmedText(value: string, path: string, minLength: number, issues: FieldIssue[]): string {
  const trimmed = value.trim();
  const visible = visibleLength(trimmed);
  if (visible === 0) issues.push({ path, message: 'must not be blank' });
  else if (visible < minLength) {
    issues.push({ path, message: `must be at least ${minLength} characters` });
  }
  return trimmed;
}

/** The zone's canonical name (`asia/kolkata` -> `Asia/Kolkata`); an unknown zone is an issue. */
export function timeZoneField(value: string, issues: FieldIssue[]): string {
  const canonical = canonicalTimeZone(value);
  if (canonical === undefined) {
    issues.push({ path: 'timezone', message: 'must be an IANA time zone such as Asia/Kolkata' });
  }
  return canonical ?? value;
}

/**
 * Languages as a list of trimmed names. Multipart may send one comma-separated value, where empty items
 * ("English, Hindi,") are dropped; a list item that is blank is refused, and so is a value that names no
 * language at all (",,,"). An empty JSON list is an explicit "none".
 */
export function languagesField(value: string[] | string, issues: FieldIssue[]): string[] {
  const fromText = !Array.isArray(value);
  const names = (fromText ? value.split(',') : value).map((name) => name.trim());
  const list = fromText ? names.filter(Boolean) : names;
  if (fromText && list.length === 0) {
    issues.push({ path: 'languages', message: 'name at least one language' });
  } else if (
    list.some((name) => visibleLength(name) < language.minLength || name.length > language.maxLength) ||
    list.length > PROFILE_LIMITS.languages.maxItems
  ) {
    issues.push({
      path: 'languages',
      message: `up to ${PROFILE_LIMITS.languages.maxItems} names of ${language.minLength}-${language.maxLength} characters`,
    });
  }
  return list;
}
