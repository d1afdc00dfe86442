/**
 * Diagnostics: every report in the DATA_DIR, device by device and day by day (one statement per
 * device-day, in the order stored, so "newest first" reads the same), and each device's summary
 * row — report count, latest report, last applied config_version and when — from the embedded
 * index. A report stored twice under one nonce is copied twice, as the embedded store keeps it (both
 * readers return it once). On a database that was not empty, the reports it holds already (same
 * device, time and nonce) are skipped and its summary row counts only what was added.
 */
import type { DiagnosticsRecord } from '../../diagnostics/schema.ts';
import type { Sql } from '../postgres/connect.ts';
import { count, countRows, dayBounds, every, KeyBag, n, type Importer } from './importer.ts';

const key = (at: string, nonce: number) => `${Date.parse(at)}:${nonce}`;

async function storedKeys(sql: Sql, device: string, day: string): Promise<KeyBag> {
  const [from, to] = dayBounds(day);
  const rows = await sql<{ at: Date; nonce: number }[]>`
    SELECT at, nonce FROM diagnostics_reports WHERE device_id = ${device} AND at >= ${new Date(from)} AND at < ${new Date(to)}`;
  return new KeyBag(rows.map((r) => `${r.at.getTime()}:${r.nonce}`));
}

export const diagnosticsImporter: Importer = {
  repository: 'diagnostics',
  kind: 'diagnostics',
  present: (sql) => countRows(sql, 'diagnostics_reports'),
  async copy({ source, target, fresh, progress }) {
    const devices = await source.diagnostics.reportingDevices();
    const summaries = new Map((await source.diagnostics.overview()).map((o) => [o.device_id, o]));
    const applied = await source.diagnostics.appliedAll();
    let copied = 0;
    let skipped = 0;
    let done = 0;
    const report = every(2000, () => progress(`diagnostics: ${n(done)}/${n(devices.length)} devices, ${n(copied)} reports`));
    for (const device of devices) {
      let added = 0;
      let there = 0;
      for await (const { day, rows } of source.diagnostics.reportDays(device)) {
        const stored = fresh ? new KeyBag() : await storedKeys(target.sql, device, day);
        const missing = rows.filter((r) => !stored.take(key(r.at, r.nonce)));
        there += rows.length - missing.length;
        if (missing.length === 0) continue;
        await target.sql`
          INSERT INTO diagnostics_reports (device_id, at, nonce, report)
          SELECT ${device}, r.at, r.nonce, r.report::json
          FROM unnest(${missing.map((r) => r.at)}::timestamptz[], ${missing.map((r) => r.nonce)}::bigint[], ${missing.map((r) => JSON.stringify(r))}::text[])
            WITH ORDINALITY AS r(at, nonce, report, i)
          ORDER BY r.i`;
        added += missing.length;
      }
      await upsertSummary(target.sql, device, summaries.get(device)?.latest ?? null, applied.get(device), added, there);
      copied += added;
      skipped += there;
      done++;
      report();
    }
    const text = `${count(copied, 'report')} from ${count(devices.length, 'device')}` + (skipped > 0 ? `, ${n(skipped)} reports already there` : '');
    return { counts: { devices: devices.length, reports: copied, already_there: skipped }, text };
  },
};

/**
 * The device's summary row: a new one counts every report the database now holds for it; an
 * existing one (the database had reports of its own) adds what was copied, and takes the latest
 * report and applied version from whichever side is newer.
 */
async function upsertSummary(
  sql: Sql,
  device: string,
  latest: DiagnosticsRecord | null,
  applied: { version: number; at: number } | undefined,
  added: number,
  there: number,
): Promise<void> {
  if (!latest) return;
  await sql`
    INSERT INTO diagnostics_devices AS d (device_id, entries, latest, latest_at, applied_version, applied_at)
    VALUES (${device}, ${added + there}, ${JSON.stringify(latest)}::text::json, ${new Date(latest.at)},
            ${applied?.version ?? null}, ${applied ? new Date(applied.at) : null})
    ON CONFLICT (device_id) DO UPDATE SET
      entries = d.entries + ${added},
      latest = CASE WHEN d.latest_at < EXCLUDED.latest_at THEN EXCLUDED.latest ELSE d.latest END,
      latest_at = GREATEST(d.latest_at, EXCLUDED.latest_at),
      applied_version = CASE WHEN EXCLUDED.applied_at > d.applied_at OR d.applied_at IS NULL THEN coalesce(EXCLUDED.applied_version, d.applied_version) ELSE d.applied_version END,
      applied_at = CASE WHEN EXCLUDED.applied_at > d.applied_at OR d.applied_at IS NULL THEN coalesce(EXCLUDED.applied_at, d.applied_at) ELSE d.applied_at END`;
}
