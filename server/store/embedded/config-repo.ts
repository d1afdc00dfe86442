/**
 * The embedded ConfigRepo: defaults, overrides and the version counter in one lowdb document
 * (`remote-config.json`; admin writes are rare).
 */
import { join } from 'node:path';
import { getOwn, setOwn } from '../../control-plane/own.ts';
import { mergeLayer, sameValues, type ConfigLayer, type ConfigRepo, type ConfigState, type UpdateResult } from '../../remote-config/repo.ts';
import type { ConfigValues, OverridePatch } from '../../remote-config/fields.ts';
import { JsonDocument } from './json-document.ts';

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

  async latestVersion(): Promise<number> {
    return this.doc.data.version;
  }

  async defaults(): Promise<ConfigLayer> {
    return this.doc.data.defaults;
  }

  async override(deviceId: string): Promise<ConfigLayer | undefined> {
    return getOwn(this.doc.data.overrides, deviceId);
  }

  async overrides(): Promise<ReadonlyMap<string, ConfigLayer>> {
    return new Map(Object.entries(this.doc.data.overrides));
  }

  async updateDefaults(patch: ConfigValues, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    const current = this.doc.data.defaults;
    const values = mergeLayer(current.values, patch);
    check(values);
    if (sameValues(values, current.values)) return { changed: false, layer: current };
    return this.doc.mutate((d) => {
      d.version += 1;
      d.defaults = { values, version: d.version, updated_at: new Date(now).toISOString(), updated_by: by };
      return { changed: true, layer: d.defaults };
    });
  }

  async updateOverride(deviceId: string, patch: OverridePatch, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    const current = getOwn(this.doc.data.overrides, deviceId);
    const values = mergeLayer(current?.values ?? {}, patch);
    check(values);
    if (current && sameValues(values, current.values)) return { changed: false, layer: current };
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

