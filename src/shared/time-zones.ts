/**
 * The runtime's canonical name of an IANA time zone (`asia/kolkata` -> `Asia/Kolkata`), or undefined for
 * anything else: unknown names, bare offsets such as `+05:30`, and abbreviations such as `EST`.
 */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z]/.test(name)) return undefined;
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat(undefined, { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  return canonical.includes('/') || canonical === 'UTC' ? canonical : undefined;
}

/** True for a time zone name the runtime knows (IANA, e.g. `Asia/Kolkata`, or `UTC`). */
export function isTimeZone(name: string): boolean {
  return canonicalTimeZone(name) !== undefined;
}
