/**
 * Storage of remote configuration, as an interface every store implements (server/store/): fleet
 * defaults and per-device overrides, each stamped with the config version at which it last
 * changed. Versions come from one counter for the whole fleet (several gateways never hand out
 * the same one), so a device's effective version — max(defaults version, its override version) —
 * only ever increases.
 *
 * Each update is one call that validates against the state it replaces and writes: one
 * transaction. `planUpdate` and `clearPatch` (built on `mergeLayer` and `sameValues`) are the rules
 * every implementation applies to the layer it read.
 */
import type { ConfigValues, DeviceConfig, OverridePatch } from './fields.ts';

export interface ConfigLayer {
  values: ConfigValues;
  /** Config version at which this layer last changed. */
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface ConfigState {
  /** Highest version handed out. */
  version: number;
  defaults: ConfigLayer;
  overrides: Record<string, ConfigLayer>;
}

export interface UpdateResult {
  changed: boolean;
  layer: ConfigLayer;
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

/** The patch that drops every override in `current`; undefined if there is none to drop. */
export function clearPatch(current: ConfigLayer | undefined): OverridePatch | undefined {
  if (!current || Object.keys(current.values).length === 0) return undefined;
  return Object.fromEntries(Object.keys(current.values).map((k) => [k, null]));
}
