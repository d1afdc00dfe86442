/**
 * Fleet activity counts on PostgreSQL (tables `fleet_device_hours`, `fleet_outcome_hours`,
 * `fleet_last_uploads`, 0006_console_sessions.sql). Every gateway adds the increments it counted
 * with one upsert per table in one transaction (`count = count + excluded.count`), so replicas
 * add up; a flush that fails rolls back whole and its counts are added with the next one.
 */
import type { Activity, EpochHour, FleetActivityRepo } from '../../fleet/activity-repo.ts';
import type { Outcome } from '../../security/stats.ts';
import type { Sql } from './connect.ts';

export class PgFleetActivityRepo implements FleetActivityRepo {
  constructor(private readonly sql: Sql) {}

  async add(delta: Activity): Promise<void> {
    if (delta.devices.length + delta.fleet.length + delta.last_uploads.length === 0) return;
    await this.sql.begin(async (tx) => {
      if (delta.devices.length > 0) {
        await tx`
          INSERT INTO fleet_device_hours (device_id, hour, uploads, rejected)
          SELECT device_id, hour, uploads, rejected
          FROM json_to_recordset(${JSON.stringify(delta.devices)}::text::json) AS v(device_id text, hour bigint, uploads bigint, rejected bigint)
          ON CONFLICT (device_id, hour) DO UPDATE
            SET uploads = fleet_device_hours.uploads + excluded.uploads, rejected = fleet_device_hours.rejected + excluded.rejected`;
      }
      if (delta.fleet.length > 0) {
        await tx`
          INSERT INTO fleet_outcome_hours (hour, outcome, count)
          SELECT hour, outcome, count FROM json_to_recordset(${JSON.stringify(delta.fleet)}::text::json) AS v(hour bigint, outcome text, count bigint)
          ON CONFLICT (hour, outcome) DO UPDATE SET count = fleet_outcome_hours.count + excluded.count`;
      }
      if (delta.last_uploads.length > 0) {
        await tx`
          INSERT INTO fleet_last_uploads (device_id, at)
          SELECT device_id, at FROM json_to_recordset(${JSON.stringify(delta.last_uploads)}::text::json) AS v(device_id text, at bigint)
          ON CONFLICT (device_id) DO UPDATE SET at = greatest(fleet_last_uploads.at, excluded.at)`;
      }
    });
  }

  async load(deviceSince: EpochHour, fleetSince: EpochHour): Promise<Activity> {
    const [devices, fleet, last] = await Promise.all([
      this.sql<Activity['devices']>`SELECT device_id, hour, uploads, rejected FROM fleet_device_hours WHERE hour >= ${deviceSince}`,
      this.sql<{ hour: number; outcome: Outcome; count: number }[]>`SELECT hour, outcome, count FROM fleet_outcome_hours WHERE hour >= ${fleetSince}`,
      this.sql<Activity['last_uploads']>`SELECT device_id, at FROM fleet_last_uploads`,
    ]);
    return { devices: [...devices], fleet: [...fleet], last_uploads: [...last] };
  }

  async prune(deviceBefore: EpochHour, fleetBefore: EpochHour): Promise<number> {
    const a = await this.sql`DELETE FROM fleet_device_hours WHERE hour < ${deviceBefore}`;
    const b = await this.sql`DELETE FROM fleet_outcome_hours WHERE hour < ${fleetBefore}`;
    return a.count + b.count;
  }
}
