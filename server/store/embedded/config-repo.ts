/**
 * The embedded ConfigRepo: defaults, tag layers, overrides, membership stamps and the version
 * counter in one lowdb document (`remote-config.json`; admin writes are rare). Reads and the
 * decision of each write happen in one synchronous step, which is this store's lock: no other
 * change interleaves. It also stamps devices whose tags change (MembershipStamps), for the
 * embedded device repository.
 */
import { join } from 'node:path';
import { getOwn, setOwn } from '../../control-plane/own.ts';
import {
  changesLayers,
  clearPatch,
  clearTagPatch,
  layerAt,
  planTagUpdate,
  planUpdate,
  tagLayerAt,
  type ConfigLayer,
  type ConfigRepo,
  type ConfigState,
  type DeviceLayers,
  type MembershipStamps,
  type TagLayer,
  type UpdateResult,
} from '../../remote-config/repo.ts';
import type { ConfigValues, OverridePatch, TagLayerPatch } from '../../remote-config/fields.ts';
import { JsonDocument } from './json-document.ts';

type State = Required<ConfigState>;

export class LowdbConfigRepo implements ConfigRepo, MembershipStamps {
  private constructor(
    private readonly doc: JsonDocument<State>,
    private readonly tagsOf: (deviceId: string) => readonly string[],
  ) {}

  /** `tagsOf`: a device's tags as the device repository holds them in memory (none if unknown). */
  static async open(dataDir: string, now: number, tagsOf: (deviceId: string) => readonly string[]): Promise<LowdbConfigRepo> {
    const doc = await JsonDocument.open<ConfigState>(join(dataDir, 'remote-config.json'), {
      version: 1,
      defaults: { values: {}, version: 1, updated_at: new Date(now).toISOString(), updated_by: 'system' },
      overrides: {},
      tags: {},
      memberships: {},
    });
    // A document written before tag layers existed: the same state, written with the next change.
    doc.data.tags ??= {};
    doc.data.memberships ??= {};
    return new LowdbConfigRepo(doc as JsonDocument<State>, tagsOf);
  }

  private get data(): State {
    return this.doc.data;
  }

  async latestVersion(): Promise<number> {
    return this.data.version;
  }

  async defaults(): Promise<ConfigLayer> {
    return this.data.defaults;
  }

  async override(deviceId: string): Promise<ConfigLayer | undefined> {
    return getOwn(this.data.overrides, deviceId);
  }

  async overrides(): Promise<ReadonlyMap<string, ConfigLayer>> {
    return new Map(Object.entries(this.data.overrides));
  }

  async layersOf(deviceId: string): Promise<DeviceLayers> {
    // Read in the same synchronous step as the stamps: the device repository changes tags and
    // stamps in one step too.
    const tags = this.tagsOf(deviceId);
    const layers = new Map<string, TagLayer>();
    for (const tag of tags) {
      const layer = getOwn(this.data.tags, tag);
      if (layer) layers.set(tag, layer);
    }
    return { device_tags: tags, defaults: this.data.defaults, tags: layers, override: getOwn(this.data.overrides, deviceId), membership: getOwn(this.data.memberships, deviceId) };
  }

  async tagLayer(tag: string): Promise<TagLayer | undefined> {
    return getOwn(this.data.tags, tag);
  }

  async tagLayers(): Promise<ReadonlyMap<string, TagLayer>> {
    return new Map(Object.entries(this.data.tags));
  }

  async memberships(): Promise<ReadonlyMap<string, number>> {
    return new Map(Object.entries(this.data.memberships));
  }

  async updateDefaults(patch: ConfigValues, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    const plan = planUpdate(this.data.defaults, patch, now, by, check);
    if (!plan.changed) return plan.result;
    return this.doc.mutate((d) => {
      d.version += 1;
      d.defaults = layerAt(plan.values, d.version, now, by);
      return { changed: true, layer: d.defaults };
    });
  }

  async updateOverride(deviceId: string, patch: OverridePatch, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult> {
    const plan = planUpdate(getOwn(this.data.overrides, deviceId), patch, now, by, check);
    if (!plan.changed) return plan.result;
    return this.doc.mutate((d) => {
      d.version += 1;
      const layer = setOwn(d.overrides, deviceId, layerAt(plan.values, d.version, now, by));
      return { changed: true, layer };
    });
  }

  async clearOverride(deviceId: string, now: number, by: string): Promise<UpdateResult | undefined> {
    const patch = clearPatch(getOwn(this.data.overrides, deviceId));
    // Kept as an empty layer with a new version (not deleted), so the device's version still rises.
    return patch && this.updateOverride(deviceId, patch, now, by, () => undefined);
  }

  async updateTagLayer(tag: string, patch: TagLayerPatch, now: number, by: string, check: (v: ConfigValues) => void): Promise<UpdateResult<TagLayer>> {
    const plan = planTagUpdate(getOwn(this.data.tags, tag), patch, now, by, check);
    if (!plan.changed) return plan.result;
    return this.doc.mutate((d) => {
      d.version += 1;
      const layer = setOwn(d.tags, tag, tagLayerAt(plan.values, plan.priority, d.version, now, by));
      return { changed: true, layer };
    });
  }

  async clearTagLayer(tag: string, now: number, by: string): Promise<UpdateResult<TagLayer> | undefined> {
    const patch = clearTagPatch(getOwn(this.data.tags, tag));
    // Kept empty with a new version: the devices with the tag still see their version rise.
    return patch && this.updateTagLayer(tag, patch, now, by, () => undefined);
  }

  stampRetag(deviceId: string, before: readonly string[], after: readonly string[], _now: number): { version: number | null; durable: Promise<void> } {
    if (!changesLayers(before, after, (tag) => Object.hasOwn(this.data.tags, tag))) return { version: null, durable: Promise.resolve() };
    let version = 0;
    const durable = this.doc.mutate((d) => {
      d.version += 1;
      version = setOwn(d.memberships, deviceId, d.version);
    });
    return { version, durable: durable.then(() => undefined) };
  }
}
