/**
 * Retention by whole UTC days, as the embedded store deletes whole day files: a cutoff removes
 * what is older than the start of the cutoff's own day, so a record is kept for at least the
 * retention period and at most a day longer.
 */
const DAY_MS = 86_400_000;

/** The start (00:00 UTC) of the day `ms` falls in. */
export function startOfUtcDay(ms: number): Date {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS);
}
