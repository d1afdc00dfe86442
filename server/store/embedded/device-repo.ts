/**
 * Device registry on a lowdb document (`devices.json`). Holds ids, key modes, key versions and
 * tags — never a usable key: derived keys are recomputed from the master secret in KEYS_DIR. Ids
 * index a null-prototype object, so an id such as `constructor` is just data.
 */
import { join } from 'node:path';
import { JsonDocument } from './json-document.ts';
import { reinstated, rotated } from '../device-records.ts';
import { idTable } from './id-table.ts';
import type { MembershipStamps } from '../../remote-config/repo.ts';
import type { DeviceRecord, DeviceRepo, ReinstateOutcome, RotateOutcome, TagChange } from '../types.ts';

interface DevicesDoc {
  devices: Record<string, DeviceRecord>;
}

export class LowdbDeviceRepo implements DeviceRepo {
  private constructor(
    private readonly doc: JsonDocument<DevicesDoc>,
    private readonly config: MembershipStamps,
  ) {
    doc.data.devices = idTable(doc.data.devices);
  }

  /** `config` stamps devices whose tags change which config layers apply (the config repository). */
  static async open(dataDir: string, config: MembershipStamps): Promise<LowdbDeviceRepo> {
    return new LowdbDeviceRepo(await JsonDocument.open<DevicesDoc>(join(dataDir, 'devices.json'), { devices: {} }), config);
  }

  async get(deviceId: string): Promise<DeviceRecord | undefined> {
    return this.peek(deviceId);
  }

  /** The record as held in memory, synchronously. */
  peek(deviceId: string): DeviceRecord | undefined {
    return Object.hasOwn(this.doc.data.devices, deviceId) ? this.doc.data.devices[deviceId] : undefined;
  }

  async list(): Promise<DeviceRecord[]> {
    return Object.values(this.doc.data.devices).sort((a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0));
  }

  create(record: DeviceRecord): Promise<boolean> {
    if (this.peek(record.device_id)) return Promise.resolve(false);
    return this.doc.mutate((d) => {
      d.devices[record.device_id] = record;
      return true;
    });
  }

  async existing(ids: readonly string[]): Promise<string[]> {
    return ids.filter((id) => this.peek(id));
  }

  async createMany(records: readonly DeviceRecord[]): Promise<string[]> {
    // Checked and written in the same turn (no await between): no other create interleaves.
    const existing = records.filter((r) => this.peek(r.device_id)).map((r) => r.device_id);
    if (existing.length > 0) return existing;
    await this.doc.mutate((d) => {
      for (const r of records) d.devices[r.device_id] = r;
    });
    return [];
  }

  async rotateKey(deviceId: string, now: number, graceMs: number): Promise<RotateOutcome> {
    const current = this.peek(deviceId);
    if (!current) return { outcome: 'unknown' };
    if (current.revoked_at) return { outcome: 'revoked' };
    const next: DeviceRecord = rotated(current, now, graceMs);
    await this.doc.mutate((d) => {
      d.devices[deviceId] = next;
    });
    return { outcome: 'rotated', device: next };
  }

  revoke(deviceId: string, now: number): Promise<DeviceRecord | undefined> {
    const current = this.peek(deviceId);
    if (!current) return Promise.resolve(undefined);
    if (current.revoked_at) return Promise.resolve(current);
    return this.doc.mutate((d) => {
      const next = { ...current, revoked_at: new Date(now).toISOString() };
      d.devices[deviceId] = next;
      return next;
    });
  }

  async reinstate(deviceId: string, now: number): Promise<ReinstateOutcome> {
    const current = this.peek(deviceId);
    if (!current) return { outcome: 'unknown' };
    if (!current.revoked_at) return { outcome: 'not_revoked', device: current };
    const next = reinstated(current, now);
    await this.doc.mutate((d) => {
      d.devices[deviceId] = next;
    });
    return { outcome: 'reinstated', device: next };
  }

  /** Retags in progress per device: one device's retags run one after another (see setTags). */
  private readonly retags = new Map<string, Promise<unknown>>();

  setTags(deviceId: string, tags: readonly string[], now: number): Promise<TagChange | undefined> {
    // One device's retags in turn, so each decides its stamp from the tags the last one left.
    const run = (this.retags.get(deviceId) ?? Promise.resolve()).then(
      () => this.retag(deviceId, tags, now),
      () => this.retag(deviceId, tags, now),
    );
    this.retags.set(deviceId, run);
    void run.finally(() => {
      if (this.retags.get(deviceId) === run) this.retags.delete(deviceId);
    }).catch(() => undefined);
    return run;
  }

  private async retag(deviceId: string, tags: readonly string[], now: number): Promise<TagChange | undefined> {
    const current = this.peek(deviceId);
    if (!current) return undefined;
    const previous = current.tags ?? [];
    // The membership stamp (config-repo.ts) is on disk before the new tags are even in memory: any
    // write of devices.json — this one or another request's, each carries the whole document —
    // then only ever holds tags whose stamp is durable, and a crash never leaves new tags without
    // it. Nothing else waits for it.
    const stamp = this.config.stampRetag(deviceId, previous, tags, now);
    if (stamp.version !== null) await stamp.durable;
    const latest = this.peek(deviceId);
    if (!latest) return undefined;
    const { tags: _replaced, ...rest } = latest;
    const next: DeviceRecord = tags.length > 0 ? { ...rest, tags: [...tags] } : rest;
    await this.doc.mutate((d) => {
      d.devices[deviceId] = next;
    });
    return { record: next, previous, config_version: stamp.version };
  }

  async markPskBound(deviceId: string, now: number): Promise<void> {
    const current = this.peek(deviceId);
    if (!current || current.key_mode !== 'shared' || current.psk_bound_at) return;
    await this.doc.mutate((d) => {
      d.devices[deviceId] = { ...current, psk_bound_at: new Date(now).toISOString() };
    });
  }
}
