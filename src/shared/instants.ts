/**
 * An ISO 8601 instant with a date, a time and a zone (`Z` or an offset), read strictly: impossible
 * dates such as Feb 30 or hour 24 and zone-less times are refused, where `new Date()` would roll over
 * or guess. Returns an Invalid Date for anything else, so callers report it as a field issue.
 */
export function parseInstant(value: string): Date {
  try {
    return new Date(Temporal.Instant.from(value).epochMilliseconds);
  } catch {
    return new Date(Number.NaN);
  }
}
