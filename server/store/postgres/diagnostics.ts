/**
 * Diagnostics on PostgreSQL: every report in `diagnostics_reports`, and per device a summary row
 * in `diagnostics_devices` (report count, latest report, last applied config version) kept by the
 * same statement that stores each report — so the fleet views (summary, config lag) read one row
 * per device and never the reports. Retention deletes the reports of whole UTC days past
 * DIAGNOSTICS_RETENTION_DAYS, as the embedded store deletes day files, and corrects the counts in
 * the same statement.
 */
import type { Applied, DiagnosticsOverview, DiagnosticsRepo } from '../../diagnostics/repo.ts';
import type { DiagnosticsRecord } from '../../diagnostics/schema.ts';
import type { Sql } from './connect.ts';
import { startOfUtcDay } from './timeline.ts';

const DAY_MS = 86_400_000;
/** Reports read per round trip by `recent` (which drops repeated nonces, so it may need more than `limit`). */
const PAGE = 200;

interface SummaryRow {
  device_id: string;
  entries: number;
  latest: DiagnosticsRecord;
  applied_version: number | null;
  applied_at: Date | null;
}

export class PgDiagnosticsRepo implements DiagnosticsRepo {
  constructor(
    private readonly sql: Sql,
    private readonly retentionDays: number,
  ) {}

  async append(deviceId: string, record: DiagnosticsRecord): Promise<void> {
    const at = new Date(record.at);
    const text = JSON.stringify(record);
    const applied = record.config_version ?? null;
    // One statement: the report and its device's summary commit together. A later report that
    // arrives first keeps its place as the latest (compared by time, as the embedded index does).
    await this.sql`
      WITH report AS (
        INSERT INTO diagnostics_reports (device_id, at, nonce, report) VALUES (${deviceId}, ${at}, ${record.nonce}, ${text}::text::json)
      )
      INSERT INTO diagnostics_devices AS d (device_id, entries, latest, latest_at, applied_version, applied_at)
      VALUES (${deviceId}, 1, ${text}::text::json, ${at}, ${applied}, ${applied === null ? null : at})
      ON CONFLICT (device_id) DO UPDATE SET
        entries = d.entries + 1,
        latest = CASE WHEN d.latest_at <= EXCLUDED.latest_at THEN EXCLUDED.latest ELSE d.latest END,
        latest_at = greatest(d.latest_at, EXCLUDED.latest_at),
        applied_version = coalesce(EXCLUDED.applied_version, d.applied_version),
        applied_at = CASE WHEN EXCLUDED.applied_version IS NULL THEN d.applied_at ELSE EXCLUDED.applied_at END`;
  }

  async latest(deviceId: string): Promise<DiagnosticsRecord | undefined> {
    const [row] = await this.sql<{ latest: DiagnosticsRecord }[]>`SELECT latest FROM diagnostics_devices WHERE device_id = ${deviceId}`;
    return row?.latest;
  }

  async applied(deviceId: string): Promise<Applied | undefined> {
    const [row] = await this.sql<SummaryRow[]>`
      SELECT applied_version, applied_at FROM diagnostics_devices WHERE device_id = ${deviceId} AND applied_version IS NOT NULL`;
    return row ? { version: row.applied_version!, at: row.applied_at!.getTime() } : undefined;
  }

  async appliedAll(): Promise<ReadonlyMap<string, Applied>> {
    const rows = await this.sql<SummaryRow[]>`
      SELECT device_id, applied_version, applied_at FROM diagnostics_devices WHERE applied_version IS NOT NULL`;
    return new Map(rows.map((r) => [r.device_id, { version: r.applied_version!, at: r.applied_at!.getTime() }]));
  }

  async overview(): Promise<DiagnosticsOverview[]> {
    const rows = await this.sql<SummaryRow[]>`SELECT device_id, entries, latest FROM diagnostics_devices`;
    // Ordered as the embedded store orders them (localeCompare), not by the database's collation.
    return rows.map((r) => ({ device_id: r.device_id, entries: r.entries, latest: r.latest })).sort((a, b) => a.device_id.localeCompare(b.device_id));
  }

  async recent(deviceId: string, limit: number): Promise<DiagnosticsRecord[]> {
    const out: DiagnosticsRecord[] = [];
    const seen = new Set<number>();
    // Newest first, a page at a time; of a report stored twice (same nonce) the newest copy is kept.
    const cursor = this.sql<{ report: DiagnosticsRecord }[]>`
      SELECT report FROM diagnostics_reports WHERE device_id = ${deviceId} ORDER BY at DESC, id DESC`.cursor(Math.min(PAGE, limit + 1));
    for await (const rows of cursor) {
      for (const { report } of rows) {
        if (seen.has(report.nonce)) continue;
        seen.add(report.nonce);
        out.push(report);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async prune(now: number): Promise<number> {
    const cutoff = startOfUtcDay(now - this.retentionDays * DAY_MS);
    return this.sql.begin(async (tx) => {
      // The counts drop with the reports (an UPDATE, so a report appended meanwhile is counted on
      // top); a device left without reports then leaves the summary, as its day files' directory would.
      const [row] = await tx<{ removed: number; emptied: string[] }[]>`
        WITH gone AS (
          DELETE FROM diagnostics_reports WHERE at < ${cutoff} RETURNING device_id
        ), counted AS (
          SELECT device_id, count(*) AS n FROM gone GROUP BY device_id
        ), left_over AS (
          UPDATE diagnostics_devices d SET entries = d.entries - c.n FROM counted c WHERE d.device_id = c.device_id
          RETURNING d.device_id, d.entries
        )
        SELECT (SELECT count(*) FROM gone)::int AS removed,
               coalesce((SELECT array_agg(device_id) FROM left_over WHERE entries <= 0), '{}') AS emptied`;
      if (row!.emptied.length > 0) await tx`DELETE FROM diagnostics_devices WHERE device_id = ANY(${row!.emptied}::text[]) AND entries <= 0`;
      return row!.removed;
    });
  }
}
