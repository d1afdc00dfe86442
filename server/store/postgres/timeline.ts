/**
 * Tables read and retained by time, as the embedded store's day files are (the audit log, device
 * events, diagnostics): chronological reads over an (at, seq) index, and retention by whole UTC
 * days — a cutoff removes what is older than the start of the cutoff's own day, so a record is
 * kept for at least the retention period and at most a day longer.
 */
import type { PendingQuery, Row } from 'postgres';
import type { Sql } from './connect.ts';

const DAY_MS = 86_400_000;

/** The start (00:00 UTC) of the day `ms` falls in. */
export function startOfUtcDay(ms: number): Date {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS);
}

/** No filter, for an optional one: filters are spliced into the statement (see `chronological`). */
export const noFilter = (sql: Sql) => sql``;

/**
 * Rows of `table` oldest first: with `sinceMs` the first `limit` from then, without it the newest
 * `limit`. `filters` are `AND …` fragments, each present or not: every combination is a statement
 * of its own with a plan on its own index (a `$1 IS NULL OR …` statement would get one plan for all).
 */
export async function chronological<R extends Row>(
  sql: Sql,
  table: 'audit_log' | 'device_events',
  filters: PendingQuery<Row[]>[],
  q: { sinceMs?: number; limit: number },
): Promise<R[]> {
  const where = filters.reduce((acc, f) => sql`${acc} ${f}`, sql`WHERE true`);
  if (q.sinceMs !== undefined) {
    return (await sql<R[]>`SELECT * FROM ${sql(table)} ${where} AND at >= ${new Date(q.sinceMs)} ORDER BY at, seq LIMIT ${q.limit}`) as R[];
  }
  const rows = (await sql<R[]>`SELECT * FROM ${sql(table)} ${where} ORDER BY at DESC, seq DESC LIMIT ${q.limit}`) as R[];
  return rows.reverse();
}
