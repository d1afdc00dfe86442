/**
 * Fleet activity: the hourly counts behind the console's fleet view and security chart (per device
 * uploads and rejections by hour, fleet-wide outcomes by hour) and each device's last upload.
 * Counts are sums every replica adds to, so, as for the security counters, each takes the larger
 * of the database's and the DATA_DIR's (a re-run adds nothing) and a last upload only moves
 * forward. The embedded store holds at most a day of device hours and a week of fleet hours.
 */
import type { Sql } from '../postgres/connect.ts';
import { count, countRows, slices, type Importer } from './importer.ts';

async function deviceHours(sql: Sql, rows: unknown[]): Promise<void> {
  await sql`
    INSERT INTO fleet_device_hours AS h (device_id, hour, uploads, rejected)
    SELECT device_id, hour, uploads, rejected
    FROM json_to_recordset(${JSON.stringify(rows)}::text::json) AS v(device_id text, hour bigint, uploads bigint, rejected bigint)
    ON CONFLICT (device_id, hour) DO UPDATE SET uploads = GREATEST(h.uploads, EXCLUDED.uploads), rejected = GREATEST(h.rejected, EXCLUDED.rejected)`;
}

async function outcomeHours(sql: Sql, rows: unknown[]): Promise<void> {
  await sql`
    INSERT INTO fleet_outcome_hours AS h (hour, outcome, count)
    SELECT hour, outcome, count FROM json_to_recordset(${JSON.stringify(rows)}::text::json) AS v(hour bigint, outcome text, count bigint)
    ON CONFLICT (hour, outcome) DO UPDATE SET count = GREATEST(h.count, EXCLUDED.count)`;
}

async function lastUploads(sql: Sql, rows: unknown[]): Promise<void> {
  await sql`
    INSERT INTO fleet_last_uploads AS u (device_id, at)
    SELECT device_id, at FROM json_to_recordset(${JSON.stringify(rows)}::text::json) AS v(device_id text, at bigint)
    ON CONFLICT (device_id) DO UPDATE SET at = GREATEST(u.at, EXCLUDED.at)`;
}

export const fleetActivityImporter: Importer = {
  repository: 'fleetActivity',
  kind: 'fleet activity',
  present: async (sql) =>
    (await countRows(sql, 'fleet_device_hours')) + (await countRows(sql, 'fleet_outcome_hours')) + (await countRows(sql, 'fleet_last_uploads')),
  async copy({ source, target }) {
    const all = await source.fleetActivity.load(0, 0);
    for (const slice of slices(all.devices, 5000)) await deviceHours(target.sql, slice);
    for (const slice of slices(all.fleet, 5000)) await outcomeHours(target.sql, slice);
    for (const slice of slices(all.last_uploads, 5000)) await lastUploads(target.sql, slice);
    return {
      counts: { device_hours: all.devices.length, fleet_hours: all.fleet.length, last_uploads: all.last_uploads.length },
      text: `${count(all.devices.length, 'device hour')}, ${count(all.fleet.length, 'fleet outcome hour')}, ${count(all.last_uploads.length, 'last upload')} (the larger count kept where the database had one)`,
    };
  },
};
