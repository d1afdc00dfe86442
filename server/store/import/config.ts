/**
 * Remote configuration: the fleet defaults, every per-device override layer (cleared ones too:
 * their version still counts for the device) and the config_version counter. The counter becomes
 * the highest of the database's and every imported version, so the next change hands out a
 * version above all of them and no device mistakes new settings for old ones. The defaults are
 * copied only onto a database whose defaults were never changed; an override a device has in the
 * database already is kept. One transaction, under the fleet row's lock every config write takes.
 */
import type { ConfigLayer } from '../../remote-config/repo.ts';
import { alreadyThere, count, countRows, type Importer } from './importer.ts';

interface FleetRow {
  version: number;
  defaults_version: number;
  defaults_text: string;
  pristine: boolean;
}

export const configImporter: Importer = {
  repository: 'config',
  kind: 'remote config',
  present: async (sql) =>
    (await countRows(sql, 'config_overrides')) + (await countRows(sql, 'config_fleet', sql`NOT (version = 1 AND defaults::text = '{}')`)),
  async copy({ source, target }) {
    const defaults = await source.config.defaults();
    const overrides = [...(await source.config.overrides())];
    const imported = Math.max(await source.config.latestVersion(), defaults.version, ...overrides.map(([, l]) => l.version));
    return target.sql.begin(async (tx) => {
      const [fleet] = await tx<FleetRow[]>`
        SELECT version, defaults_version, defaults::text AS defaults_text, (version = 1 AND defaults_version = 1 AND defaults::text = '{}') AS pristine
        FROM config_fleet FOR UPDATE`;
      const neverChanged = defaults.version === 1 && Object.keys(defaults.values).length === 0;
      const same = fleet!.defaults_version === defaults.version && fleet!.defaults_text === JSON.stringify(defaults.values);
      const copyDefaults = fleet!.pristine && !neverChanged;
      if (copyDefaults) {
        await tx`
          UPDATE config_fleet SET defaults = ${JSON.stringify(defaults.values)}::text::json, defaults_version = ${defaults.version},
            defaults_updated_at = ${new Date(defaults.updated_at)}, defaults_updated_by = ${defaults.updated_by}`;
      }
      const [bumped] = await tx<{ version: number }[]>`UPDATE config_fleet SET version = GREATEST(version, ${imported}) RETURNING version`;
      const version = bumped!.version;
      const rows = overrides.map(([device_id, l]: [string, ConfigLayer]) => ({
        device_id,
        overrides: JSON.stringify(l.values),
        version: l.version,
        updated_at: l.updated_at,
        updated_by: l.updated_by,
      }));
      const inserted = rows.length === 0 ? [] : await tx`
        INSERT INTO config_overrides (device_id, overrides, version, updated_at, updated_by)
        SELECT r.device_id, r.overrides::json, r.version, r.updated_at, r.updated_by
        FROM json_to_recordset(${JSON.stringify(rows)}::text::json) AS r(device_id text, overrides text, version bigint, updated_at timestamptz, updated_by text)
        ON CONFLICT (device_id) DO NOTHING
        RETURNING 1`;
      const kept = rows.length - inserted.length;
      const text =
        (copyDefaults
          ? `fleet defaults copied (version ${defaults.version})`
          : neverChanged || same
            ? `fleet defaults ${neverChanged ? 'never changed' : 'already there'}`
            : `fleet defaults kept (the database's own, version ${fleet!.defaults_version})`) +
        `, ${count(inserted.length, 'device override')} copied${alreadyThere(kept)}; config_version is now ${version} (imported up to ${imported})`;
      return { counts: { defaults: copyDefaults ? 1 : 0, overrides: inserted.length, already_there: kept, config_version: version }, text };
    });
  },
};
