/**
 * Storage of remote configuration: fleet defaults and per-device overrides, each stamped with the
 * config version at which it last changed, on one lowdb document (`remote-config.json`; admin
 * writes are rare). Versions come from one counter, so a device's effective version —
 * max(defaults version, its override version) — only ever increases.
 *
 * Each update is one call that validates against the state it replaces and writes, the single
 * statement/transaction a SQL implementation would run.
 */
import { join } from 'node:path';
import { getOwn, setOwn } from '../control-plane/own.ts';
import { JsonDocument } from '../store/json-document.ts';
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
  state(): Readonly<ConfigState>;
  /** Merges `patch` into the defaults; bumps the version if anything changed. `check` may throw. */
  updateDefaults(patch: ConfigValues, now: number, by: string, check: (defaults: ConfigValues) => void): Promise<UpdateResult>;
  /** Merges `patch` (null = drop that override) into a device's overrides; same rules. */
  updateOverride(deviceId: string, patch: OverridePatch, now: number, by: string, check: (values: ConfigValues) => void): Promise<UpdateResult>;
  /** Drops every override of a device (a new version, so the device re-fetches). Undefined if it had none. */
  clearOverride(deviceId: string, now: number, by: string): Promise<UpdateResult | undefined>;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function merge(base: ConfigValues, patch: Record<string, unknown>): ConfigValues {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out as ConfigValues;
}

export class LowdbConfigRepo implements ConfigRepo {
  private constructor(private readonly doc: JsonDocument<ConfigState>) {}

  static async open(dataDir: string, now: number): Promise<LowdbConfigRepo> {
    const doc = await JsonDocument.open<ConfigState>(join(dataDir, 'remote-config.json'), {
      version: 1,
      defaults: { values: {}, version: 1, updated_at: new Date(now).toISOString(), updated_by: 'system' },
      overrides: {},
    });
    return new LowdbConfigRepo(doc);
  }

  state(): Readonly<ConfigState> {
    return this.doc.data;
  }

  async updateDefaults(patch: ConfigValues, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    const current = this.doc.data.defaults;
    const values = merge(current.values, patch);
    check(values);
    if (same(values, current.values)) return { changed: false, layer: current };
    return this.doc.mutate((d) => {
      d.version += 1;
      d.defaults = { values, version: d.version, updated_at: new Date(now).toISOString(), updated_by: by };
      return { changed: true, layer: d.defaults };
    });
  }

  async updateOverride(deviceId: string, patch: OverridePatch, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    const current = getOwn(this.doc.data.overrides, deviceId);
    const values = merge(current?.values ?? {}, patch);
    check(values);
    if (current && same(values, current.values)) return { changed: false, layer: current };
    if (!current && Object.keys(values).length === 0) {
      // Nulls on a device without overrides: nothing to change.
      return { changed: false, layer: { values: {}, version: 0, updated_at: new Date(now).toISOString(), updated_by: by } };
    }
    return this.doc.mutate((d) => {
      d.version += 1;
      const layer = { values, version: d.version, updated_at: new Date(now).toISOString(), updated_by: by };
      setOwn(d.overrides, deviceId, layer);
      return { changed: true, layer };
    });
  }

  async clearOverride(deviceId: string, now: number, by: string): Promise<UpdateResult | undefined> {
    const current = getOwn(this.doc.data.overrides, deviceId);
    if (!current || Object.keys(current.values).length === 0) return undefined;
    // Kept as an empty layer with a new version (not deleted), so the device's version still rises.
    return this.updateOverride(deviceId, Object.fromEntries(Object.keys(current.values).map((k) => [k, null])), now, by, () => undefined);
  }
}

export type { DeviceConfig };
