/**
 * The embedded ConfigRepo: defaults, overrides and the version counter in one lowdb document
 * (`remote-config.json`; admin writes are rare).
 */
import { join } from 'node:path';
import { getOwn, setOwn } from '../../control-plane/own.ts';
import { clearPatch, layerAt, planUpdate, type ConfigLayer, type ConfigRepo, type ConfigState, type UpdateResult } from '../../remote-config/repo.ts';
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
    const plan = planUpdate(this.doc.data.defaults, patch, now, by, check);
    if (!plan.changed) return plan.result;
    return this.doc.mutate((d) => {
      d.version += 1;
      d.defaults = layerAt(plan.values, d.version, now, by);
      return { changed: true, layer: d.defaults };
    });
  }

  async updateOverride(deviceId: string, patch: OverridePatch, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    const plan = planUpdate(getOwn(this.doc.data.overrides, deviceId), patch, now, by, check);
    if (!plan.changed) return plan.result;
    return this.doc.mutate((d) => {
      d.version += 1;
      const layer = setOwn(d.overrides, deviceId, layerAt(plan.values, d.version, now, by));
      return { changed: true, layer };
    });
  }

  async clearOverride(deviceId: string, now: number, by: string): Promise<UpdateResult | undefined> {
    const patch = clearPatch(getOwn(this.doc.data.overrides, deviceId));
    // Kept as an empty layer with a new version (not deleted), so the device's version still rises.
    return patch && this.updateOverride(deviceId, patch, now, by, () => undefined);
  }
}

