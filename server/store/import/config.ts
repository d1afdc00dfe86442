/**
 * Remote configuration: the fleet defaults, every per-device override layer and every tag layer
 * (cleared ones too: their version still counts for the devices concerned), the devices'
 * membership stamps, and the config_version counter. The counter becomes the highest of the
 * database's and every imported version, so the next change hands out a version above all of them
 * and no device mistakes new settings for old ones. The defaults are copied only onto a database
 * whose defaults were never changed; an override or a tag layer the database has already is kept;
 * a membership stamp is a floor (the higher one kept). One transaction, under the fleet row's lock
 * every config write takes.
 *
 * A kept layer (defaults, override, tag layer) whose values or priority differ from the imported
 * one changes the configuration of the imported devices it concerns, which may have applied any
 * version up to the imported maximum: unless its version is above that already, it takes the next
 * version of the counter (one for the whole import), so each such device's effective version rises
 * above anything it applied and it fetches the database's values. So does a layer only the
 * database has, where it applies to an imported device: an override of a device the source has,
 * a tag layer of a tag such a device carries (in the database's record of it, which the devices
 * importer has written or kept) — the source had no such layer, so its values are new to the
 * device. One that sets nothing (cleared) changes nothing and keeps its version. Last, a device
 * whose record the database kept, tagged otherwise than in the source in a tag whose layer sets
 * something (on either side), gained or lost that layer's values even where the layer is the same
 * on both sides: its membership stamp takes that next version too (unless above the imported
 * maximum already), as a retag would have given it one.
 */
import type { ConfigLayer, TagLayer } from '../../remote-config/repo.ts';
import type { Tx } from '../postgres/connect.ts';
import type { DeviceRecord } from '../types.ts';
import { alreadyThere, count, countRows, n, type Importer } from './importer.ts';

interface FleetRow {
  version: number;
  defaults_version: number;
  defaults_text: string;
  pristine: boolean;
}

/** Rows as JSON for json_to_recordset: one statement for any number of them. */
const asJson = (rows: readonly object[]) => JSON.stringify(rows);

/**
 * What an insert of layers did: rows copied, and rows the database had already (kept), of which
 * `reversioned` differed from the imported ones and were given the import's version.
 */
interface LayerCopy {
  copied: number;
  kept: number;
  reversioned: number;
}

/**
 * `stamps`: the version the import hands a kept layer that differs (`next`), and the highest
 * imported version (a kept layer above it is already above anything an imported device applied).
 */
interface Stamps {
  next: number;
  imported: number;
}

/** Tallies the rows an insert returned: inserted ones keep their imported version (below `next`). */
function tally(returned: readonly { reversioned: boolean }[], total: number): LayerCopy {
  const reversioned = returned.filter((r) => r.reversioned).length;
  const copied = returned.length - reversioned;
  return { copied, kept: total - copied, reversioned };
}

const NONE: LayerCopy = { copied: 0, kept: 0, reversioned: 0 };

async function copyOverrides(tx: Tx, overrides: readonly [string, ConfigLayer][], { next, imported }: Stamps): Promise<LayerCopy> {
  if (overrides.length === 0) return NONE;
  const rows = overrides.map(([device_id, l]) => ({ device_id, overrides: JSON.stringify(l.values), version: l.version, updated_at: l.updated_at, updated_by: l.updated_by }));
  // Values compared as jsonb: key order is not a difference a device sees.
  const returned = await tx<{ reversioned: boolean }[]>`
    INSERT INTO config_overrides (device_id, overrides, version, updated_at, updated_by)
    SELECT r.device_id, r.overrides::json, r.version, r.updated_at, r.updated_by
    FROM json_to_recordset(${asJson(rows)}::text::json) AS r(device_id text, overrides text, version bigint, updated_at timestamptz, updated_by text)
    ON CONFLICT (device_id) DO UPDATE SET version = ${next}
      WHERE config_overrides.version <= ${imported} AND config_overrides.overrides::jsonb IS DISTINCT FROM EXCLUDED.overrides::jsonb
    RETURNING config_overrides.version = ${next} AS reversioned`;
  return tally(returned, overrides.length);
}

async function copyTagLayers(tx: Tx, layers: readonly [string, TagLayer][], { next, imported }: Stamps): Promise<LayerCopy> {
  if (layers.length === 0) return NONE;
  const rows = layers.map(([tag, l]) => ({ tag, fields: JSON.stringify(l.values), priority: l.priority, version: l.version, updated_at: l.updated_at, updated_by: l.updated_by }));
  const returned = await tx<{ reversioned: boolean }[]>`
    INSERT INTO config_tag_layers (tag, fields, priority, version, updated_at, updated_by)
    SELECT r.tag, r.fields::json, r.priority, r.version, r.updated_at, r.updated_by
    FROM json_to_recordset(${asJson(rows)}::text::json) AS r(tag text, fields text, priority integer, version bigint, updated_at timestamptz, updated_by text)
    ON CONFLICT (tag) DO UPDATE SET version = ${next}
      WHERE config_tag_layers.version <= ${imported}
        AND (config_tag_layers.fields::jsonb IS DISTINCT FROM EXCLUDED.fields::jsonb OR config_tag_layers.priority <> EXCLUDED.priority)
    RETURNING config_tag_layers.version = ${next} AS reversioned`;
  return tally(returned, layers.length);
}

/**
 * Overrides only the database has, of devices the source has (`devices`, less those the source
 * has an override for: those are copied or compared above), that set something.
 */
async function reversionOverridesOnlyHere(tx: Tx, devices: readonly string[], { next, imported }: Stamps): Promise<number> {
  if (devices.length === 0) return 0;
  const rows = await tx`
    UPDATE config_overrides SET version = ${next}
    WHERE device_id = ANY(${devices as string[]}::text[]) AND version <= ${imported} AND overrides::jsonb <> '{}'::jsonb
    RETURNING 1`;
  return rows.length;
}

/**
 * Tag layers only the database has (none of `importedTags`) that set something, of a tag one of
 * the source's `devices` carries in the database.
 */
async function reversionTagLayersOnlyHere(tx: Tx, importedTags: readonly string[], devices: readonly string[], { next, imported }: Stamps): Promise<number> {
  if (devices.length === 0) return 0;
  const rows = await tx`
    UPDATE config_tag_layers SET version = ${next}
    WHERE tag <> ALL(${importedTags as string[]}::text[]) AND version <= ${imported} AND fields::jsonb <> '{}'::jsonb
      AND tag IN (SELECT unnest(tags) FROM devices WHERE device_id = ANY(${devices as string[]}::text[]))
    RETURNING 1`;
  return rows.length;
}

/**
 * Devices of the source (`devices`, with the source's tags) whose record in the database — kept,
 * when it had one — carries a tag the source's does not, or lacks one it has, where that tag's
 * layer sets something on either side (`settingTags`: the source's; the database's after the
 * copy): the device's tag layers changed as for a retag, so it is stamped `next` as a retag would,
 * unless its stamp is above every imported version already. A copied record has the source's tags.
 */
async function stampRetagged(tx: Tx, devices: readonly DeviceRecord[], settingTags: readonly string[], { next, imported }: Stamps): Promise<number> {
  if (devices.length === 0) return 0;
  const rows = devices.map((d) => ({ device_id: d.device_id, tags: d.tags ?? [] }));
  const stamped = await tx`
    INSERT INTO config_memberships (device_id, version)
    SELECT d.device_id, ${next}::bigint
    FROM json_to_recordset(${asJson(rows)}::text::json) AS r(device_id text, tags text[])
    JOIN devices d ON d.device_id = r.device_id
    WHERE EXISTS (
      SELECT 1 FROM ((SELECT unnest(d.tags) EXCEPT SELECT unnest(r.tags)) UNION (SELECT unnest(r.tags) EXCEPT SELECT unnest(d.tags))) AS changed(tag)
      WHERE changed.tag = ANY(${settingTags as string[]}::text[])
        OR changed.tag IN (SELECT tag FROM config_tag_layers WHERE fields::jsonb <> '{}'::jsonb))
    ON CONFLICT (device_id) DO UPDATE SET version = EXCLUDED.version WHERE config_memberships.version <= ${imported}
    RETURNING 1`;
  return stamped.length;
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
    const records = await source.devices.list();
    const devices = records.map((d) => d.device_id);
    const overridden = new Set(overrides.map(([id]) => id));
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
      const [raisedTo] = await tx<{ version: number }[]>`UPDATE config_fleet SET version = GREATEST(version, ${imported}) RETURNING version`;
      const stamps: Stamps = { next: raisedTo!.version + 1, imported };
      // Copied defaults are the imported ones (never different); kept ones may be.
      const [defaultsBumped] = await tx<{ version: number }[]>`
        UPDATE config_fleet SET defaults_version = ${stamps.next}
        WHERE defaults_version <= ${imported} AND defaults::jsonb IS DISTINCT FROM ${JSON.stringify(defaults.values)}::text::jsonb
        RETURNING defaults_version AS version`;
      const copiedOverrides = await copyOverrides(tx, overrides, stamps);
      const copiedTags = await copyTagLayers(tx, tagLayers, stamps);
      const overridesOnlyHere = await reversionOverridesOnlyHere(tx, devices.filter((id) => !overridden.has(id)), stamps);
      const tagLayersOnlyHere = await reversionTagLayersOnlyHere(tx, tagLayers.map(([tag]) => tag), devices, stamps);
      // Before the floors are raised: a device stamped here has its stamp as high already.
      const retagged = await stampRetagged(tx, records, tagLayers.filter(([, l]) => Object.keys(l.values).length > 0).map(([tag]) => tag), stamps);
      const raised = await raiseMemberships(tx, memberships);
      const reversioned = (defaultsBumped ? 1 : 0) + copiedOverrides.reversioned + copiedTags.reversioned + overridesOnlyHere + tagLayersOnlyHere + retagged;
      // The counter is the highest version handed out: the import's, when it gave any.
      const version = reversioned > 0 ? (await tx<{ version: number }[]>`UPDATE config_fleet SET version = ${stamps.next} RETURNING version`)[0]!.version : raisedTo!.version;
      const given = (differing: number) => (differing > 0 ? `; ${n(differing)} differing, given version ${stamps.next}` : '');
      const kept = (layers: LayerCopy) => alreadyThere(layers.kept, `already there (the database's kept${given(layers.reversioned)})`);
      const onlyHere = (layers: number, whose: string) => alreadyThere(layers, `only in the database given version ${stamps.next} (${whose})`);
      const text =
        (copyDefaults
          ? `fleet defaults copied (version ${defaults.version})`
          : defaultsBumped
            ? `fleet defaults kept (the database's own, differing, given version ${stamps.next})`
            : neverChanged || same
              ? `fleet defaults ${neverChanged ? 'never changed' : 'already there'}`
              : `fleet defaults kept (the database's own, version ${fleet!.defaults_version})`) +
        `, ${count(copiedOverrides.copied, 'device override')} copied${kept(copiedOverrides)}${onlyHere(overridesOnlyHere, 'of imported devices')}` +
        `, ${count(copiedTags.copied, 'tag layer')} copied${kept(copiedTags)}${onlyHere(tagLayersOnlyHere, 'carried by imported devices')}` +
        `, ${count(raised, 'membership stamp')} copied or raised${alreadyThere(memberships.length - raised, 'as high already')}` +
        alreadyThere(retagged, `given version ${stamps.next} (kept devices tagged otherwise than in the source)`) +
        `; config_version is now ${version} (imported up to ${imported})`;
      return {
        counts: {
          defaults: copyDefaults ? 1 : 0,
          defaults_reversioned: defaultsBumped ? 1 : 0,
          overrides: copiedOverrides.copied,
          already_there: copiedOverrides.kept,
          overrides_reversioned: copiedOverrides.reversioned,
          overrides_only_in_database_reversioned: overridesOnlyHere,
          tag_layers: copiedTags.copied,
          tag_layers_already_there: copiedTags.kept,
          tag_layers_reversioned: copiedTags.reversioned,
          tag_layers_only_in_database_reversioned: tagLayersOnlyHere,
          memberships: raised,
          memberships_reversioned: retagged,
          config_version: version,
        },
        text,
      };
    });
  },
};
