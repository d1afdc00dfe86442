/**
 * Remote configuration on PostgreSQL: the fleet row `config_fleet` (the one config_version counter
 * and the fleet defaults) and `config_overrides` (0002_control_plane.sql). Every update is one
 * transaction that first locks the fleet row, then reads the layer it changes, applies the shared
 * rules (planUpdate: merge, `check` against the state it replaces, no version for a no-op) and, if
 * anything changed, bumps the counter and writes the layer. Config writes across the fleet are
 * thus serialized — they are rare admin actions — and two gateways never hand out one version.
 */
import { clearPatch, layerAt, planUpdate, type ConfigLayer, type ConfigRepo, type UpdateResult } from '../../remote-config/repo.ts';
import type { ConfigValues, OverridePatch } from '../../remote-config/fields.ts';
import type { Sql } from './connect.ts';

interface OverrideRow {
  device_id: string;
  overrides: ConfigValues;
  version: number;
  updated_at: Date;
  updated_by: string;
}

interface FleetRow {
  version: number;
  defaults: ConfigValues;
  defaults_version: number;
  defaults_updated_at: Date;
  defaults_updated_by: string;
}

const overrideLayer = (r: OverrideRow): ConfigLayer => ({ values: r.overrides, version: r.version, updated_at: r.updated_at.toISOString(), updated_by: r.updated_by });
const defaultsLayer = (r: FleetRow): ConfigLayer => ({
  values: r.defaults,
  version: r.defaults_version,
  updated_at: r.defaults_updated_at.toISOString(),
  updated_by: r.defaults_updated_by,
});

export class PgConfigRepo implements ConfigRepo {
  constructor(private readonly sql: Sql) {}

  /** A new database starts at version 1 with empty defaults, stamped `now` (as the embedded store). */
  async init(now: number): Promise<void> {
    await this.sql`
      INSERT INTO config_fleet (version, defaults, defaults_version, defaults_updated_at, defaults_updated_by)
      VALUES (1, '{}', 1, ${new Date(now)}, 'system') ON CONFLICT DO NOTHING`;
  }

  private async fleet(): Promise<FleetRow> {
    const [row] = await this.sql<FleetRow[]>`SELECT * FROM config_fleet`;
    return row!;
  }

  async latestVersion(): Promise<number> {
    return (await this.fleet()).version;
  }

  async defaults(): Promise<ConfigLayer> {
    return defaultsLayer(await this.fleet());
  }

  async override(deviceId: string): Promise<ConfigLayer | undefined> {
    const [row] = await this.sql<OverrideRow[]>`SELECT * FROM config_overrides WHERE device_id = ${deviceId}`;
    return row && overrideLayer(row);
  }

  async overrides(): Promise<ReadonlyMap<string, ConfigLayer>> {
    const rows = await this.sql<OverrideRow[]>`SELECT * FROM config_overrides`;
    return new Map(rows.map((r) => [r.device_id, overrideLayer(r)]));
  }

  async updateDefaults(patch: ConfigValues, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    return this.sql.begin(async (tx) => {
      const [current] = await tx<FleetRow[]>`SELECT * FROM config_fleet FOR UPDATE`;
      const plan = planUpdate(defaultsLayer(current!), patch, now, by, check);
      if (!plan.changed) return plan.result;
      const [row] = await tx<FleetRow[]>`
        UPDATE config_fleet
        SET version = version + 1, defaults = ${JSON.stringify(plan.values)}::text::json, defaults_version = version + 1,
            defaults_updated_at = ${new Date(now)}, defaults_updated_by = ${by}
        RETURNING *`;
      return { changed: true, layer: defaultsLayer(row!) };
    });
  }

  updateOverride(deviceId: string, patch: OverridePatch, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    return this.changeOverride(deviceId, () => patch, now, by, check) as Promise<UpdateResult>;
  }

  clearOverride(deviceId: string, now: number, by: string): Promise<UpdateResult | undefined> {
    // Kept as an empty layer with a new version (not deleted), so the device's version still rises.
    return this.changeOverride(deviceId, clearPatch, now, by, () => undefined);
  }

  /** Locks the counter, reads the device's overrides, and writes `patchOf(them)` merged in, if anything changes. */
  private changeOverride(
    deviceId: string,
    patchOf: (current: ConfigLayer | undefined) => OverridePatch | undefined,
    now: number,
    by: string,
    check: (v: ConfigValues) => void,
  ): Promise<UpdateResult | undefined> {
    return this.sql.begin(async (tx) => {
      // Sent together; the server runs them in order, so the read sees every write committed before the lock was granted.
      const [, [row]] = await Promise.all([
        tx`SELECT version FROM config_fleet FOR UPDATE`,
        tx<OverrideRow[]>`SELECT * FROM config_overrides WHERE device_id = ${deviceId}`,
      ]);
      const current = row && overrideLayer(row);
      const patch = patchOf(current);
      if (patch === undefined) return undefined;
      const plan = planUpdate(current, patch, now, by, check);
      if (!plan.changed) return plan.result;
      const [bumped] = await tx<{ version: number }[]>`UPDATE config_fleet SET version = version + 1 RETURNING version`;
      const version = bumped!.version;
      const layer = layerAt(plan.values, version, now, by);
      await tx`
        INSERT INTO config_overrides (device_id, overrides, version, updated_at, updated_by)
        VALUES (${deviceId}, ${JSON.stringify(layer.values)}::text::json, ${version}, ${new Date(now)}, ${by})
        ON CONFLICT (device_id) DO UPDATE
          SET overrides = EXCLUDED.overrides, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`;
      return { changed: true, layer };
    });
  }
}
