/**
 * Remote configuration: what a device should run (built-in defaults ⊕ fleet defaults ⊕ the
 * layers of its tags ⊕ its overrides, with the effective `config_version`: layers.ts), and how far
 * each device is from it. The version a device has applied is what it last reported in its
 * diagnostics (`config_version`), looked up through `appliedSource` so this module does not depend
 * on how diagnostics are stored.
 */
import { ValidationError } from '../errors.ts';
import type { AuditLog, Actor } from '../audit/log.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import type { Clock } from '../clock.ts';
import type { DeviceRecord, DeviceRepo, Store } from '../store/types.ts';
import { BUILTIN_DEFAULTS, crossFieldProblem, overlay, type ConfigValues, type DeviceConfig, type OverridePatch, type TagLayerPatch } from './fields.ts';
import { activeCarriers, refuseConflicts, withTagLayer, type Carrier, type FleetLayers } from './fleet-check.ts';
import { mergedTagValues, resolve, tagLayersOf, versionOf } from './layers.ts';
import { priorityAfter, tagLayerAt, type ConfigLayer, type ConfigRepo, type TagLayer, type UpdateResult } from './repo.ts';

export interface Effective {
  config_version: number;
  config: DeviceConfig;
}

export interface Applied {
  version: number;
  /** Epoch ms of the report. */
  at: number;
}

/** What devices report having applied (their diagnostics), one device or all. */
export interface AppliedSource {
  one(deviceId: string): Promise<Applied | undefined>;
  all(): Promise<ReadonlyMap<string, Applied>>;
}

/** Every device record and, for any of them, its effective heartbeat_interval (seconds): one state. */
export interface FleetHeartbeats {
  devices: DeviceRecord[];
  heartbeatSeconds(device: DeviceRecord): number;
}

export interface LagEntry {
  device_id: string;
  config_version: number;
  applied_version: number | null;
}

function checkEffective(values: DeviceConfig): void {
  const problem = crossFieldProblem(values);
  if (problem) throw new ValidationError(`${problem.field}: ${problem.message}`, 'invalid_config', { field: problem.field });
}

/** What the service needs of the store: the config repository, and its serialised writes and snapshots. */
export type ConfigStore = Pick<Store, 'config' | 'configWrite' | 'configSnapshot'>;

/** A device write that gives devices tags, run with the check of those tags (`guardTags`). */
export type TagGuarded<T> = (devices: DeviceRepo, check: (entries: readonly Carrier[]) => Promise<void>) => Promise<T>;

export class RemoteConfigService {
  /** Set by the diagnostics wiring: what each device last reported having applied. */
  appliedSource: AppliedSource = { one: async () => undefined, all: async () => new Map() };
  private readonly repo: ConfigRepo;

  constructor(
    private readonly store: ConfigStore,
    private readonly registry: DeviceRegistry,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {
    this.repo = store.config;
  }

  latestVersion(): Promise<number> {
    return this.repo.latestVersion();
  }

  async defaults(): Promise<DefaultsView> {
    return defaultsView(await this.repo.defaults());
  }

  /**
   * The defaults an update left: the layer that write stored (its version, not a later one another
   * admin or replica may have written meanwhile), or the current ones when nothing changed.
   */
  async defaultsAfter(result: UpdateResult): Promise<DefaultsView> {
    return result.changed ? defaultsView(result.layer) : this.defaults();
  }

  async effective(deviceId: string): Promise<Effective> {
    const r = resolve(await this.repo.layersOf(deviceId));
    return { config_version: r.config_version, config: r.config };
  }

  /**
   * Every device with its effective heartbeat_interval, without building whole configs (the offline
   * sweep walks the fleet with it). The devices' tags and every layer are read in one snapshot:
   * read separately, two changes committed in between (a device moved from one tag to another,
   * then the first tag's layer cleared) could pair the old tags with the new layers, a
   * heartbeat_interval the device never had, and declare it offline falsely.
   */
  async heartbeats(): Promise<FleetHeartbeats> {
    const [devices, defaults, overrides, tagLayers] = await this.store.configSnapshot(({ config, devices }) =>
      Promise.all([devices.list(), config.defaults(), config.overrides(), config.tagLayers()]),
    );
    const fleet = defaults.values.heartbeat_interval ?? BUILTIN_DEFAULTS.heartbeat_interval;
    const fromTags = (tags: readonly string[] | undefined) => {
      if (!tags || tagLayers.size === 0) return undefined;
      let value: number | undefined;
      // In precedence order: the last layer to set it wins.
      for (const [, l] of tagLayersOf(tags, tagLayers)) value = l.values.heartbeat_interval ?? value;
      return value;
    };
    return {
      devices,
      heartbeatSeconds: (device) => overrides.get(device.device_id)?.values.heartbeat_interval ?? fromTags(device.tags) ?? fleet,
    };
  }

  async overrides(deviceId: string): Promise<ConfigValues> {
    return (await this.repo.override(deviceId))?.values ?? {};
  }

  async updateDefaults(patch: ConfigValues, actor: Actor): Promise<UpdateResult> {
    const result = await this.store.configWrite(async (scope) => {
      const [fleet, devices] = await Promise.all([fleetLayers(scope.config), carriers(scope.devices)]);
      return scope.config.updateDefaults(patch, this.clock.now(), actor, (values) => {
        checkEffective(overlay(values));
        refuseConflicts({ ...fleet, defaults: values }, devices, 'these fleet defaults');
      });
    });
    if (result.changed) {
      await this.audit.record({ actor, action: 'config.defaults_updated', details: { config_version: result.layer.version, changes: patch } });
    }
    return result;
  }

  async updateDevice(deviceId: string, patch: OverridePatch, actor: Actor, options: { audit?: boolean } = {}): Promise<UpdateResult> {
    const result = await this.store.configWrite(async ({ config }) => {
      // Checked over what lies beneath the overrides: the defaults and the device's tag layers.
      const layers = await config.layersOf(deviceId);
      const beneath = [layers.defaults.values, mergedTagValues(layers.device_tags, layers.tags)];
      return config.updateOverride(deviceId, patch, this.clock.now(), actor, (values) => checkEffective(overlay(...beneath, values)));
    });
    if (result.changed && options.audit !== false) {
      await this.audit.record({
        actor,
        action: 'config.device_updated',
        device_id: deviceId,
        details: { config_version: result.layer.version, changes: patch },
      });
    }
    return result;
  }

  async clearDevice(deviceId: string, actor: Actor): Promise<UpdateResult | undefined> {
    const result = await this.store.configWrite(async ({ config, devices }) => {
      const [layers, record] = await Promise.all([config.layersOf(deviceId), devices.get(deviceId)]);
      if (record && !record.revoked_at) {
        const fleet = { defaults: layers.defaults.values, tagLayers: layers.tags, overrides: new Map<string, ConfigLayer>() };
        refuseConflicts(fleet, [{ device_id: deviceId, tags: layers.device_tags }], `clearing the overrides of ${deviceId}`);
      }
      return config.clearOverride(deviceId, this.clock.now(), actor);
    });
    if (result) {
      await this.audit.record({ actor, action: 'config.device_cleared', device_id: deviceId, details: { config_version: result.layer.version } });
    }
    return result;
  }

  /**
   * Merges fields into a tag's layer. The cross-field rules are checked on the layer over the fleet
   * defaults (as a device override is checked over what lies beneath it).
   */
  async updateTag(tag: string, patch: TagLayerPatch, actor: Actor): Promise<UpdateResult<TagLayer>> {
    const result = await this.store.configWrite(async (scope) => {
      const [fleet, devices] = await Promise.all([fleetLayers(scope.config), carriers(scope.devices)]);
      const carrying = devices.filter((d) => d.tags.includes(tag));
      const now = this.clock.now();
      const priority = priorityAfter(patch, fleet.tagLayers.get(tag));
      return scope.config.updateTagLayer(tag, patch, now, actor, (values) => {
        checkEffective(overlay(fleet.defaults, values));
        const tagLayers = withTagLayer(fleet.tagLayers, tag, tagLayerAt(values, priority, 0, now, actor));
        refuseConflicts({ ...fleet, tagLayers }, carrying, `this layer of tag ${tag}`);
      });
    });
    if (result.changed) {
      await this.audit.record({ actor, action: 'config.tag_updated', details: { tag, config_version: result.layer.version, changes: patch } });
    }
    return result;
  }

  async clearTag(tag: string, actor: Actor): Promise<UpdateResult<TagLayer> | undefined> {
    const result = await this.store.configWrite(async (scope) => {
      const [fleet, devices] = await Promise.all([fleetLayers(scope.config), carriers(scope.devices)]);
      const tagLayers = withTagLayer(fleet.tagLayers, tag, tagLayerAt({}, 0, 0, this.clock.now(), actor));
      refuseConflicts({ ...fleet, tagLayers }, devices.filter((d) => d.tags.includes(tag)), `clearing the layer of tag ${tag}`);
      return scope.config.clearTagLayer(tag, this.clock.now(), actor);
    });
    if (result) await this.audit.record({ actor, action: 'config.tag_cleared', details: { tag, config_version: result.layer.version } });
    return result;
  }

  /**
   * Runs a device write that gives devices tags (registration, retagging, reinstatement: the
   * registry's tag guard) as one step with its check: `write` calls `check` with the devices and
   * the tags they are about to have — 400 `invalid_config` if those would give one a configuration
   * it cannot apply — then writes through `devices`, and no config change comes in between.
   */
  guardTags<T>(write: TagGuarded<T>): Promise<T> {
    return this.store.configWrite(({ config, devices }) => write(devices, (entries) => checkTags(config, entries)));
  }

  /**
   * One tag's layer (empty if never set) and how many active devices carry the tag, read in one
   * snapshot (the layer a write just stored, `layer`, with the devices as they are now).
   */
  async tagView(tag: string, layer?: TagLayer): Promise<TagView> {
    const [stored, devices] = layer
      ? [layer, await this.registry.records()]
      : await this.store.configSnapshot(({ config, devices }) => Promise.all([config.tagLayer(tag), devices.list()]));
    return tagViewOf(tag, stored, devices.filter((d) => !d.revoked_at && d.tags?.includes(tag)).length);
  }

  /** Every tag layer in use (cleared ones left out), by tag, with the devices carrying each: one snapshot. */
  async tagViews(): Promise<TagView[]> {
    const [layers, devices] = await this.store.configSnapshot(({ config, devices }) => Promise.all([config.tagLayers(), devices.list()]));
    const carrying = new Map<string, number>();
    for (const d of devices) if (!d.revoked_at) for (const t of d.tags ?? []) carrying.set(t, (carrying.get(t) ?? 0) + 1);
    return [...layers]
      .filter(([, l]) => !isCleared(l))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([tag, l]) => tagViewOf(tag, l, carrying.get(tag) ?? 0));
  }

  /**
   * Admin view of one device: effective config with the source of each value, its tags and the
   * tag layers that apply, its overrides, and what it reports having applied.
   */
  async deviceView(deviceId: string) {
    const [layers, applied] = await Promise.all([this.repo.layersOf(deviceId), this.appliedSource.one(deviceId)]);
    const r = resolve(layers);
    return {
      device_id: deviceId,
      config_version: r.config_version,
      config: r.config,
      sources: r.sources,
      tags: [...layers.device_tags],
      tag_layers: r.tag_layers,
      overrides: layers.override?.values ?? {},
      applied_version: applied?.version ?? null,
      applied_reported_at: applied ? new Date(applied.at).toISOString() : null,
      behind: applied === undefined || applied.version < r.config_version,
    };
  }

  /** Active devices whose reported version is older than their effective one (or never reported). */
  async lagging(): Promise<{ latest_version: number; total: number; up_to_date: number; behind: LagEntry[] }> {
    // The devices and every layer as of one moment: read separately, a concurrent change could be
    // seen half (a tag's new layer with the devices' old tags). What the devices reported comes
    // from their diagnostics, outside that moment: a report only ever names a version handed out.
    const [[devices, defaults, overrides, tagLayers, memberships, latest], applied] = await Promise.all([
      this.store.configSnapshot(({ config, devices }) =>
        Promise.all([devices.list(), config.defaults(), config.overrides(), config.tagLayers(), config.memberships(), config.latestVersion()]),
      ),
      this.appliedSource.all(),
    ]);
    const behind: LagEntry[] = [];
    let total = 0;
    for (const record of devices) {
      if (record.revoked_at) continue;
      total++;
      const id = record.device_id;
      const version = versionOf(defaults, record.tags ?? [], tagLayers, overrides.get(id), memberships.get(id));
      const reported = applied.get(id);
      if (reported === undefined || reported.version < version) {
        behind.push({ device_id: id, config_version: version, applied_version: reported?.version ?? null });
      }
    }
    return { latest_version: latest, total, up_to_date: total - behind.length, behind };
  }
}

/**
 * Refuses (400 `invalid_config`) tags that would give a device a configuration it cannot apply,
 * for devices being registered, retagged or reinstated.
 */
async function checkTags(config: ConfigRepo, entries: readonly Carrier[]): Promise<void> {
  if (entries.length === 0) return;
  // Untagged entries too: dropping a tag can uncover a conflict its layer was masking, and a
  // device coming back from revocation was left out of every check while it was revoked.
  const [defaults, tagLayers] = await Promise.all([config.defaults(), config.tagLayers()]);
  // One device (a retag, a registration): its own overrides; many (bulk): all of them at once.
  const overrides =
    entries.length === 1
      ? new Map(await config.override(entries[0]!.device_id).then((o) => (o ? [[entries[0]!.device_id, o] as const] : [])))
      : await config.overrides();
  refuseConflicts({ defaults: defaults.values, tagLayers, overrides }, entries, 'these tags');
}

async function fleetLayers(config: ConfigRepo): Promise<FleetLayers> {
  const [defaults, tagLayers, overrides] = await Promise.all([config.defaults(), config.tagLayers(), config.overrides()]);
  return { defaults: defaults.values, tagLayers, overrides };
}

async function carriers(devices: DeviceRepo): Promise<Carrier[]> {
  return activeCarriers(await devices.list());
}

export interface TagView {
  tag: string;
  priority: number;
  values: ConfigValues;
  /** The version at which the layer last changed; 0 if it was never set. */
  config_version: number;
  updated_at: string | null;
  updated_by: string | null;
  /** Active devices carrying the tag. */
  devices: number;
}

const isCleared = (l: TagLayer) => Object.keys(l.values).length === 0 && l.priority === 0;

function tagViewOf(tag: string, layer: TagLayer | undefined, devices: number): TagView {
  return {
    tag,
    priority: layer?.priority ?? 0,
    values: layer?.values ?? {},
    config_version: layer?.version ?? 0,
    updated_at: layer?.updated_at ?? null,
    updated_by: layer?.updated_by ?? null,
    devices,
  };
}

export type DefaultsView = Effective & { values: ConfigValues; updated_at: string };

function defaultsView(d: ConfigLayer): DefaultsView {
  return { config_version: d.version, config: overlay(d.values), values: d.values, updated_at: d.updated_at };
}
