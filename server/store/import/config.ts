/**
 * Remote configuration: the fleet defaults, every per-device override layer and every tag layer
 * (cleared ones too: their version still counts for the devices concerned), the devices'
 * membership stamps, and the config_version counter. The counter becomes the highest of the
 * database's and every imported version, so the next change hands out a version above all of them
 * and no device mistakes new settings for old ones. The defaults are copied only onto a database
 * whose defaults were never changed; an override or a tag layer the database has already is kept;
 * a membership stamp is a floor (the higher one kept). One transaction, under the fleet row's lock
 * every config write takes.
 */
import type { ConfigLayer, TagLayer } from '../../remote-config/repo.ts';
import type { Tx } from '../postgres/connect.ts';
import { alreadyThere, count, countRows, type Importer } from './importer.ts';

interface FleetRow {
  version: number;
  defaults_version: number;
  defaults_text: string;
  pristine: boolean;
}

/** Rows as JSON for json_to_recordset: one statement for any number of them. */
const asJson = (rows: readonly object[]) => JSON.stringify(rows);

async function copyOverrides(tx: Tx, overrides: readonly [string, ConfigLayer][]): Promise<number> {
  if (overrides.length === 0) return 0;
  const rows = overrides.map(([device_id, l]) => ({ device_id, overrides: JSON.stringify(l.values), version: l.version, updated_at: l.updated_at, updated_by: l.updated_by }));
  const inserted = await tx`
    INSERT INTO config_overrides (device_id, overrides, version, updated_at, updated_by)
    SELECT r.device_id, r.overrides::json, r.version, r.updated_at, r.updated_by
    FROM json_to_recordset(${asJson(rows)}::text::json) AS r(device_id text, overrides text, version bigint, updated_at timestamptz, updated_by text)
    ON CONFLICT (device_id) DO NOTHING
    RETURNING 1`;
  return inserted.length;
}

async function copyTagLayers(tx: Tx, layers: readonly [string, TagLayer][]): Promise<number> {
  if (layers.length === 0) return 0;
  const rows = layers.map(([tag, l]) => ({ tag, fields: JSON.stringify(l.values), priority: l.priority, version: l.version, updated_at: l.updated_at, updated_by: l.updated_by }));
  const inserted = await tx`
    INSERT INTO config_tag_layers (tag, fields, priority, version, updated_at, updated_by)
    SELECT r.tag, r.fields::json, r.priority, r.version, r.updated_at, r.updated_by
    FROM json_to_recordset(${asJson(rows)}::text::json) AS r(tag text, fields text, priority integer, version bigint, updated_at timestamptz, updated_by text)
    ON CONFLICT (tag) DO NOTHING
    RETURNING 1`;
  return inserted.length;
}

async function raiseMemberships(tx: Tx, memberships: readonly [string, number][]): Promise<number> {
  if (memberships.length === 0) return 0;
  const rows = memberships.map(([device_id, version]) => ({ device_id, version }));
  const raised = await tx`
    INSERT INTO config_memberships (device_id, version)
    SELECT r.device_id, r.version FROM json_to_recordset(${asJson(rows)}::text::json) AS r(device_id text, version bigint)
    ON CONFLICT (device_id) DO UPDATE SET version = EXCLUDED.version WHERE config_memberships.version < EXCLUDED.version
    RETURNING 1`;
  return raised.length;
}

export const configImporter: Importer = {
  repository: 'config',
  kind: 'remote config',
  present: async (sql) =>
    (await countRows(sql, 'config_overrides')) +
    (await countRows(sql, 'config_tag_layers')) +
    (await countRows(sql, 'config_memberships')) +
    (await countRows(sql, 'config_fleet', sql`NOT (version = 1 AND defaults::text = '{}')`)),
  async copy({ source, target }) {
    const defaults = await source.config.defaults();
    const overrides = [...(await source.config.overrides())];
    const tagLayers = [...(await source.config.tagLayers())];
    const memberships = [...(await source.config.memberships())];
    const imported = Math.max(
      await source.config.latestVersion(),
      defaults.version,
      ...overrides.map(([, l]) => l.version),
      ...tagLayers.map(([, l]) => l.version),
      ...memberships.map(([, v]) => v),
    );
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
      const insertedOverrides = await copyOverrides(tx, overrides);
      const insertedTags = await copyTagLayers(tx, tagLayers);
      const raised = await raiseMemberships(tx, memberships);
      const keptOverrides = overrides.length - insertedOverrides;
      const keptTags = tagLayers.length - insertedTags;
      const text =
        (copyDefaults
          ? `fleet defaults copied (version ${defaults.version})`
          : neverChanged || same
            ? `fleet defaults ${neverChanged ? 'never changed' : 'already there'}`
            : `fleet defaults kept (the database's own, version ${fleet!.defaults_version})`) +
        `, ${count(insertedOverrides, 'device override')} copied${alreadyThere(keptOverrides)}` +
        `, ${count(insertedTags, 'tag layer')} copied${alreadyThere(keptTags)}` +
        `, ${count(raised, 'membership stamp')} copied or raised${alreadyThere(memberships.length - raised, 'as high already')}` +
        `; config_version is now ${version} (imported up to ${imported})`;
      return {
        counts: {
          defaults: copyDefaults ? 1 : 0,
          overrides: insertedOverrides,
          already_there: keptOverrides,
          tag_layers: insertedTags,
          tag_layers_already_there: keptTags,
          memberships: raised,
          config_version: version,
        },
        text,
      };
    });
  },
};
