/**
 * Remote configuration on PostgreSQL: the fleet row `config_fleet` (the one config_version counter
 * and the fleet defaults), `config_overrides` (0002_control_plane.sql), `config_tag_layers` and
 * `config_memberships` (0014_config_tags.sql). Every update is one transaction that first locks
 * the fleet row, then reads the layer it changes, applies the shared rules (planUpdate: merge,
 * `check` against the state it replaces, no version for a no-op) and, if anything changed, bumps
 * the counter and writes the layer. Config writes across the fleet are thus serialized — they are
 * rare admin actions — and two gateways never hand out one version. A device's tag change takes
 * the same lock inside its own transaction (`stampRetag`, called by devices.ts). A change checked
 * against the whole fleet holds that lock from its first read to its commit (`configWriter`), and
 * the fleet's lag view reads in one snapshot (`configSnapshot`).
 */
import {
  changesLayers,
  configBusy,
  clearPatch,
  clearTagPatch,
  layerAt,
  planTagUpdate,
  planUpdate,
  tagLayerAt,
  type ConfigLayer,
  type ConfigRepo,
  type DeviceLayers,
  type TagLayer,
  type UpdateResult,
} from '../../remote-config/repo.ts';
import type { ConfigValues, OverridePatch, TagLayerPatch } from '../../remote-config/fields.ts';
import type { ConfigScope, Store } from '../types.ts';
import { Turns } from '../turns.ts';
import { transaction, type Db, type Sql, type Tx } from './connect.ts';
import type { PgDeviceRepo } from './devices.ts';

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

interface TagRow {
  tag: string;
  fields: ConfigValues;
  priority: number;
  version: number;
  updated_at: Date;
  updated_by: string;
}

/** A row as row_to_json gives it: timestamps as text. */
type Jsonified<R> = { [K in keyof R]: R[K] extends Date ? string : R[K] };

const iso = (t: Date | string) => new Date(t).toISOString();

const tagLayer = (r: TagRow | Jsonified<TagRow>): TagLayer => ({ values: r.fields, version: Number(r.version), updated_at: iso(r.updated_at), updated_by: r.updated_by, priority: r.priority });

/** Locks the fleet row (the config lock) for the rest of the transaction. */
export async function lockConfig(tx: Tx): Promise<void> {
  await tx`SELECT version FROM config_fleet FOR UPDATE`;
}

/** The next version, under the lock. */
async function nextVersion(tx: Tx): Promise<number> {
  const [bumped] = await tx<{ version: number }[]>`UPDATE config_fleet SET version = version + 1 RETURNING version`;
  return bumped!.version;
}

/**
 * A device's tags go from `before` to `after` inside `tx` (devices.ts), which holds the config
 * lock (`lockConfig`, taken before the device's row, the order every config write follows): if
 * that adds or removes a tag with a layer, stamps the device with the next version, in the same
 * transaction. Returns the stamp, or null.
 */
export async function stampRetag(tx: Tx, deviceId: string, before: readonly string[], after: readonly string[]): Promise<number | null> {
  const either = [...new Set([...before, ...after])];
  if (either.length === 0) return null;
  const layered = await tx<{ tag: string }[]>`SELECT tag FROM config_tag_layers WHERE tag = ANY(${either}::text[])`;
  const has = new Set(layered.map((r) => r.tag));
  if (!changesLayers(before, after, (t) => has.has(t))) return null;
  const version = await nextVersion(tx);
  await tx`
    INSERT INTO config_memberships (device_id, version) VALUES (${deviceId}, ${version})
    ON CONFLICT (device_id) DO UPDATE SET version = EXCLUDED.version`;
  return version;
}

const overrideLayer = (r: OverrideRow | Jsonified<OverrideRow>): ConfigLayer => ({ values: r.overrides, version: Number(r.version), updated_at: iso(r.updated_at), updated_by: r.updated_by });
const defaultsLayer = (r: FleetRow | Jsonified<FleetRow>): ConfigLayer => ({
  values: r.defaults,
  version: Number(r.defaults_version),
  updated_at: iso(r.defaults_updated_at),
  updated_by: r.defaults_updated_by,
});

export class PgConfigRepo implements ConfigRepo {
  /** On the pool, or inside a transaction (configWrite, configSnapshot): each update is then a savepoint of it. */
  constructor(private readonly sql: Db) {}

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
    return transaction(this.sql, async (tx) => {
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

  async layersOf(deviceId: string): Promise<DeviceLayers> {
    // One statement, one snapshot: the device's tags, its membership stamp and every layer are
    // read as of the same moment (a tag change commits with its stamp), so the version answered
    // always covers the values answered — separate reads could pair a newer stamp with older values.
    const [row] = await this.sql<{ fleet: Jsonified<FleetRow>; tags: string[] | null; override: Jsonified<OverrideRow> | null; membership: number | null; tag_layers: Jsonified<TagRow>[] | null }[]>`
      SELECT row_to_json(f) AS fleet, d.tags,
        (SELECT row_to_json(o) FROM config_overrides o WHERE o.device_id = ${deviceId}) AS override,
        (SELECT m.version FROM config_memberships m WHERE m.device_id = ${deviceId}) AS membership,
        (SELECT json_agg(t) FROM config_tag_layers t WHERE t.tag = ANY(d.tags)) AS tag_layers
      FROM config_fleet f LEFT JOIN devices d ON d.device_id = ${deviceId}`;
    const r = row!;
    return {
      device_tags: r.tags ?? [],
      defaults: defaultsLayer(r.fleet),
      tags: new Map((r.tag_layers ?? []).map((t) => [t.tag, tagLayer(t)])),
      override: r.override ? overrideLayer(r.override) : undefined,
      membership: r.membership === null ? undefined : Number(r.membership),
    };
  }

  async tagLayer(tag: string): Promise<TagLayer | undefined> {
    const [row] = await this.sql<TagRow[]>`SELECT * FROM config_tag_layers WHERE tag = ${tag}`;
    return row && tagLayer(row);
  }

  async tagLayers(): Promise<ReadonlyMap<string, TagLayer>> {
    const rows = await this.sql<TagRow[]>`SELECT * FROM config_tag_layers`;
    return new Map(rows.map((r) => [r.tag, tagLayer(r)]));
  }

  async memberships(): Promise<ReadonlyMap<string, number>> {
    const rows = await this.sql<{ device_id: string; version: number }[]>`SELECT device_id, version FROM config_memberships`;
    return new Map(rows.map((r) => [r.device_id, r.version]));
  }

  updateTagLayer(tag: string, patch: TagLayerPatch, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult<TagLayer>> {
    return this.changeLayer(this.tagKind(tag, now, by, check), () => patch) as Promise<UpdateResult<TagLayer>>;
  }

  clearTagLayer(tag: string, now: number, by: string): Promise<UpdateResult<TagLayer> | undefined> {
    // Kept empty with a new version (not deleted): the devices with the tag still see their version rise.
    return this.changeLayer(this.tagKind(tag, now, by, () => undefined), clearTagPatch);
  }

  updateOverride(deviceId: string, patch: OverridePatch, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    return this.changeLayer(this.overrideKind(deviceId, now, by, check), () => patch) as Promise<UpdateResult>;
  }

  clearOverride(deviceId: string, now: number, by: string): Promise<UpdateResult | undefined> {
    // Kept as an empty layer with a new version (not deleted), so the device's version still rises.
    return this.changeLayer(this.overrideKind(deviceId, now, by, () => undefined), clearPatch);
  }

  /** Locks the counter, reads the layer, and writes `patchOf(it)` merged in, if anything changes. */
  private changeLayer<L extends ConfigLayer, P>(kind: LayerKind<L, P>, patchOf: (current: L | undefined) => P | undefined): Promise<UpdateResult<L> | undefined> {
    return transaction(this.sql, async (tx) => {
      // Sent together; the server runs them in order, so the read sees every write committed before the lock was granted.
      const [, current] = await Promise.all([lockConfig(tx), kind.read(tx)]);
      const patch = patchOf(current);
      if (patch === undefined) return undefined;
      const plan = kind.plan(current, patch);
      if (!plan.changed) return plan.result;
      const layer = plan.at(await nextVersion(tx));
      await kind.write(tx, layer);
      return { changed: true, layer };
    });
  }

  private overrideKind(deviceId: string, now: number, by: string, check: (v: ConfigValues) => void): LayerKind<ConfigLayer, OverridePatch> {
    return {
      read: async (tx) => {
        const [row] = await tx<OverrideRow[]>`SELECT * FROM config_overrides WHERE device_id = ${deviceId}`;
        return row && overrideLayer(row);
      },
      plan: (current, patch) => {
        const plan = planUpdate(current, patch, now, by, check);
        return plan.changed ? { changed: true, at: (version) => layerAt(plan.values, version, now, by) } : plan;
      },
      write: (tx, layer) => tx`
        INSERT INTO config_overrides (device_id, overrides, version, updated_at, updated_by)
        VALUES (${deviceId}, ${JSON.stringify(layer.values)}::text::json, ${layer.version}, ${new Date(now)}, ${by})
        ON CONFLICT (device_id) DO UPDATE
          SET overrides = EXCLUDED.overrides, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    };
  }

  private tagKind(tag: string, now: number, by: string, check: (v: ConfigValues) => void): LayerKind<TagLayer, TagLayerPatch> {
    return {
      read: async (tx) => {
        const [row] = await tx<TagRow[]>`SELECT * FROM config_tag_layers WHERE tag = ${tag}`;
        return row && tagLayer(row);
      },
      plan: (current, patch) => {
        const plan = planTagUpdate(current, patch, now, by, check);
        return plan.changed ? { changed: true, at: (version) => tagLayerAt(plan.values, plan.priority, version, now, by) } : plan;
      },
      write: (tx, layer) => tx`
        INSERT INTO config_tag_layers (tag, fields, priority, version, updated_at, updated_by)
        VALUES (${tag}, ${JSON.stringify(layer.values)}::text::json, ${layer.priority}, ${layer.version}, ${new Date(now)}, ${by})
        ON CONFLICT (tag) DO UPDATE
          SET fields = EXCLUDED.fields, priority = EXCLUDED.priority, version = EXCLUDED.version,
              updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
    };
  }
}

/** How one kind of layer is read, planned and written, for changeLayer. */
interface LayerKind<L extends ConfigLayer, P> {
  read(tx: Tx): Promise<L | undefined>;
  /** The shared rules (repo.ts) on what was read: unchanged, or the layer to write at a given version. */
  plan(current: L | undefined, patch: P): { changed: false; result: UpdateResult<L> } | { changed: true; at(version: number): L };
  write(tx: Tx, layer: L): Promise<unknown>;
}

/**
 * `Store.configWrite` on PostgreSQL: one transaction that takes the config lock first — before any
 * read, which is what makes a check and its write one step across every replica — and hands `work`
 * the repositories bound to it. Every config write and every device tag change takes the same
 * lock, so none commits between what `work` reads and what it writes. In front of the lock, a turn
 * in this replica (turns.ts): a burst of changes holds one pooled connection, not one each. The
 * wait for the turn and the fleet's lock together is bounded by `waitMs` (the database's part as
 * this transaction's lock_timeout), and each row lock after it by `waitMs` again; past either,
 * ConfigBusyError and nothing written. A holder that stops sending (its replica frozen or cut off
 * mid-change) would keep the fleet's lock, and every replica's changes busy, for as long as its
 * connection lives: idle in the transaction for `idleMs`, its session is ended by the database.
 */
/**
 * A change idle in its transaction this long has stopped (its replica frozen or cut off): far above
 * the longest pause between a change's statements (checking a tag layer against 10,000 devices
 * takes ~200 ms), far below forever.
 */
export const CONFIG_WRITE_IDLE_MS = 30_000;

export function configWriter(sql: Sql, devices: PgDeviceRepo, waitMs: number, idleMs = CONFIG_WRITE_IDLE_MS): Store['configWrite'] {
  const turns = new Turns(waitMs, () => configBusy(waitMs));
  return (work) => {
    const asked = Date.now();
    const bounds = () => ({ fleetLockMs: Math.max(1, waitMs - (Date.now() - asked)), rowLockMs: waitMs, idleMs });
    return turns.run(() => lockedWrite(sql, devices, bounds(), work)).catch((err: unknown) => {
      // 55P03 lock_not_available: the lock (or a device row under it) was not granted in time.
      throw (err as { code?: string }).code === '55P03' ? configBusy(waitMs) : err;
    });
  };
}

/** A change's bounds in the database (configWriter). */
interface WriteBounds {
  /** For the fleet's lock: what is left of the change's wait after its turn in this replica. */
  fleetLockMs: number;
  /** For each row lock after it (a device row a key rotation holds for a moment): the whole wait. */
  rowLockMs: number;
  /** Idle in the transaction this long, the session is ended and the fleet's lock freed. */
  idleMs: number;
}

async function lockedWrite<T>(sql: Sql, devices: PgDeviceRepo, bounds: WriteBounds, work: (scope: ConfigScope) => Promise<T>): Promise<T> {
  let settle = (): void => undefined;
  try {
    return await transaction(sql, async (tx) => {
      // In turn, not sent together: the bounds must be set before the lock is asked for.
      await tx`SELECT set_config('lock_timeout', ${`${bounds.fleetLockMs}ms`}, true), set_config('idle_in_transaction_session_timeout', ${`${bounds.idleMs}ms`}, true)`;
      await lockConfig(tx);
      await tx`SELECT set_config('lock_timeout', ${`${bounds.rowLockMs}ms`}, true)`;
      const within = devices.within(tx);
      settle = within.settle;
      return work({ config: new PgConfigRepo(tx), devices: within.repo });
    });
  } finally {
    // After the commit (or the rollback): this replica's cache forgets what the change wrote.
    settle();
  }
}

/**
 * `Store.configSnapshot` on PostgreSQL: `read` runs in one REPEATABLE READ, READ ONLY transaction,
 * so its several statements see one committed state — never half of a concurrent change (a tag
 * layer without the device tags that go with it, a membership stamp without its tags). Takes no
 * lock: config writes go on meanwhile.
 */
export function configSnapshot<T>(sql: Sql, devices: PgDeviceRepo, read: (scope: ConfigScope) => Promise<T>): Promise<T> {
  return sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => read({ config: new PgConfigRepo(tx), devices: devices.within(tx).repo })) as Promise<T>;
}
