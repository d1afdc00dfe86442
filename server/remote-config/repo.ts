/**
 * Storage of remote configuration, as an interface every store implements (server/store/): fleet
 * defaults, a layer per device tag and per-device overrides, each stamped with the config version
 * at which it last changed, and per device the version at which a change of its tags last changed
 * which tag layers apply to it (its membership). Versions come from one counter for the whole
 * fleet (several gateways never hand out the same one), so a device's effective version — the
 * highest of those stamps that concern it (layers.ts) — only ever increases.
 *
 * Each update is one call that validates against the state it replaces and writes: one
 * transaction. `planUpdate`, `planTagUpdate`, `clearPatch` and `changesLayers` (built on
 * `mergeLayer` and `sameValues`) are the rules every implementation applies to what it read. A
 * change checked against the rest of the fleet (fleet-check.ts) runs its reads, its check and its
 * update inside `Store.configWrite`, through the repository that hands it.
 */
import { ConfigBusyError } from '../errors.ts';
import type { ConfigValues, DeviceConfig, OverridePatch, TagLayerPatch } from './fields.ts';

/**
 * How long a configuration change waits for the one before it (`Store.configWrite`) before giving
 * up with ConfigBusyError: far above any real change (registering 10,000 devices at once or
 * changing a tag layer 5,000 of them carry takes 50–200 ms on either store), short enough that a
 * stuck one does not hold admin requests for long.
 */
export const CONFIG_WRITE_WAIT_MS = 10_000;

export function configBusy(waitMs: number): ConfigBusyError {
  return new ConfigBusyError(`another configuration change was still in progress after ${waitMs} ms; nothing was changed, send the request again`);
}

export interface ConfigLayer {
  values: ConfigValues;
  /** Config version at which this layer last changed. */
  version: number;
  updated_at: string;
  updated_by: string;
}

/** The layer of one device tag. */
export interface TagLayer extends ConfigLayer {
  /**
   * Among the tag layers of one device, a higher priority wins a field both set; equal priorities
   * go by tag name, the later name winning (layers.ts).
   */
  priority: number;
}

export interface ConfigState {
  /** Highest version handed out. */
  version: number;
  defaults: ConfigLayer;
  overrides: Record<string, ConfigLayer>;
  /** By tag; a cleared layer stays, empty, with its new version (absent in documents written before tag layers). */
  tags?: Record<string, TagLayer>;
  /** By device: the version at which a change of its tags last changed which tag layers apply to it. */
  memberships?: Record<string, number>;
}

export interface UpdateResult<L extends ConfigLayer = ConfigLayer> {
  changed: boolean;
  layer: L;
}

/** Everything that makes one device's configuration, read at once. */
export interface DeviceLayers {
  /** The device's tags (none for an unknown device). */
  device_tags: readonly string[];
  defaults: ConfigLayer;
  /** The layers of those tags that have one (cleared ones too). */
  tags: ReadonlyMap<string, TagLayer>;
  override: ConfigLayer | undefined;
  membership: number | undefined;
}

export interface ConfigRepo {
  /** The highest version handed out. */
  latestVersion(): Promise<number>;
  defaults(): Promise<ConfigLayer>;
  override(deviceId: string): Promise<ConfigLayer | undefined>;
  /** Every device's overrides (fleet-wide views and the offline sweep). */
  overrides(): Promise<ReadonlyMap<string, ConfigLayer>>;
  /** Merges `patch` into the defaults; bumps the version if anything changed. `check` may throw. */
  updateDefaults(patch: ConfigValues, now: number, by: string, check: (defaults: ConfigValues) => void): Promise<UpdateResult>;
  /** Merges `patch` (null = drop that override) into a device's overrides; same rules. */
  updateOverride(deviceId: string, patch: OverridePatch, now: number, by: string, check: (values: ConfigValues) => void): Promise<UpdateResult>;
  /** Drops every override of a device (a new version, so the device re-fetches). Undefined if it had none. */
  clearOverride(deviceId: string, now: number, by: string): Promise<UpdateResult | undefined>;
  /**
   * What makes one device's configuration — its tags included — in one consistent read: a tag
   * change and its membership stamp are seen together or not at all, so the version answered
   * always covers the values answered.
   */
  layersOf(deviceId: string): Promise<DeviceLayers>;
  tagLayer(tag: string): Promise<TagLayer | undefined>;
  /** Every tag layer ever set, cleared ones too (their version still counts for the devices with the tag). */
  tagLayers(): Promise<ReadonlyMap<string, TagLayer>>;
  /** Merges `patch` (null drops a field; `priority` replaces the layer's) into a tag's layer; same rules as overrides. */
  updateTagLayer(tag: string, patch: TagLayerPatch, now: number, by: string, check: (values: ConfigValues) => void): Promise<UpdateResult<TagLayer>>;
  /** Drops every field of a tag's layer and its priority (kept empty at a new version). Undefined if there was nothing to drop. */
  clearTagLayer(tag: string, now: number, by: string): Promise<UpdateResult<TagLayer> | undefined>;
  /** Every device's membership version (see ConfigState.memberships). */
  memberships(): Promise<ReadonlyMap<string, number>>;
}

/**
 * How a store stamps a device whose tags change (`DeviceRepo.setTags`): decided and applied under
 * the same lock as every config write, so no tag layer changes in between. The embedded device
 * repository calls its config repository's; PostgreSQL does the same in SQL inside the device
 * update's transaction (postgres/config.ts).
 */
export interface MembershipStamps {
  /**
   * Gives the device a new membership version if `before` → `after` changes which tag layers
   * apply (`changesLayers`). Decided and applied in memory at once; `durable` resolves once it is
   * on disk.
   */
  stampRetag(deviceId: string, before: readonly string[], after: readonly string[], now: number): { version: number | null; durable: Promise<void> };
}

export function sameValues(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `patch` applied to `base`: a value sets a field, null drops it, undefined leaves it. */
export function mergeLayer(base: ConfigValues, patch: Record<string, unknown>): ConfigValues {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out as ConfigValues;
}

export type { DeviceConfig };

/** A layer changed at config version `version`. */
export function layerAt(values: ConfigValues, version: number, now: number, by: string): ConfigLayer {
  return { values, version, updated_at: new Date(now).toISOString(), updated_by: by };
}

export type UpdatePlan = { changed: false; result: UpdateResult } | { changed: true; values: ConfigValues };

/**
 * `patch` merged into `current` (the defaults, or a device's overrides: undefined if it has none)
 * and checked (`check` may throw); changed only if the values differ, so a no-op update hands out
 * no version.
 */
export function planUpdate(current: ConfigLayer | undefined, patch: Record<string, unknown>, now: number, by: string, check: (values: ConfigValues) => void): UpdatePlan {
  const values = mergeLayer(current?.values ?? {}, patch);
  check(values);
  if (current && sameValues(values, current.values)) return { changed: false, result: { changed: false, layer: current } };
  // Nulls on a device without overrides: nothing to change.
  if (!current && Object.keys(values).length === 0) return { changed: false, result: { changed: false, layer: layerAt({}, 0, now, by) } };
  return { changed: true, values };
}

export const tagLayerAt = (values: ConfigValues, priority: number, version: number, now: number, by: string): TagLayer => ({ ...layerAt(values, version, now, by), priority });

export type TagUpdatePlan = { changed: false; result: UpdateResult<TagLayer> } | { changed: true; values: ConfigValues; priority: number };

/**
 * `patch` merged into a tag's layer (undefined: never set), as planUpdate does for the fields;
 * `priority`, when sent, replaces the layer's. Changed only if the fields or the priority differ.
 */
export function planTagUpdate(current: TagLayer | undefined, patch: TagLayerPatch, now: number, by: string, check: (values: ConfigValues) => void): TagUpdatePlan {
  const { priority: _sent, ...fields } = patch;
  const priority = priorityAfter(patch, current);
  const values = mergeLayer(current?.values ?? {}, fields);
  check(values);
  if (current && sameValues(values, current.values) && priority === current.priority) return { changed: false, result: { changed: false, layer: current } };
  if (!current && Object.keys(values).length === 0 && priority === 0) return { changed: false, result: { changed: false, layer: tagLayerAt({}, 0, 0, now, by) } };
  return { changed: true, values, priority };
}

/** A tag layer's priority after `patch`: the one sent, 0 for null, else the current one (0 if none). */
export function priorityAfter(patch: TagLayerPatch, current: TagLayer | undefined): number {
  return patch.priority === null ? 0 : (patch.priority ?? current?.priority ?? 0);
}

/** The patch that empties a tag's layer (every field dropped, priority back to 0); undefined if it is empty already. */
export function clearTagPatch(current: TagLayer | undefined): TagLayerPatch | undefined {
  if (!current || (Object.keys(current.values).length === 0 && current.priority === 0)) return undefined;
  return { ...Object.fromEntries(Object.keys(current.values).map((k) => [k, null])), priority: 0 };
}

/**
 * Whether replacing a device's tags `before` by `after` adds or removes a tag that has a layer —
 * a cleared one too: its version counts for the device while it has the tag, so dropping the tag
 * without a new stamp could lower the device's version.
 */
export function changesLayers(before: readonly string[], after: readonly string[], hasLayer: (tag: string) => boolean): boolean {
  const was = new Set(before.filter(hasLayer));
  const now = new Set(after.filter(hasLayer));
  return was.size !== now.size || [...now].some((t) => !was.has(t));
}

/** The patch that drops every override in `current`; undefined if there is none to drop. */
export function clearPatch(current: ConfigLayer | undefined): OverridePatch | undefined {
  if (!current || Object.keys(current.values).length === 0) return undefined;
  return Object.fromEntries(Object.keys(current.values).map((k) => [k, null]));
}
