/**
 * Device registry as one table of a JournaledTables (DATA_DIR/devices.json, a snapshot, and
 * devices-journal/, one line per group commit holding the records it changed). Holds ids, key
 * modes, key versions and tags — never a usable key: derived keys are recomputed from the master
 * secret in KEYS_DIR. A registration, rotation, revocation or retag writes its own record, not the
 * whole registry: rewriting devices.json for each cost 10.7 ms of CPU and 1.6 MB written per
 * registration at 10,000 devices; a journal line costs ~0.1 ms and ~170 bytes at any fleet size,
 * ~380 bytes with the snapshot's rewrites while the registry grows (scripts/bench/registrations.ts).
 *
 * Every change is set in memory synchronously after its check (no await between: no other request
 * interleaves) and answered once durable. An answer read from memory (registered already, revoked
 * already) waits until that record is durable too, and decides again if it is gone by then. A
 * change whose write fails is answered with the error and taken back out of memory, back to the
 * record's last durable state (JournaledTables' takeBackFailed): a registration the admin was told
 * failed must not exist, key unseen, after the retried write. Ids index a null-prototype object, so an id such as
 * `constructor` is just data. The snapshot keeps the `{"devices":{…}}` shape of the document it
 * replaces, so an existing devices.json opens as a snapshot with no journal after it, and a clean
 * shutdown leaves a devices.json that a build from before the journal reads.
 */
import { reinstated, rotated } from '../device-records.ts';
import type { AppendWriter } from './append-writer.ts';
import { JournaledTables, type JournaledTablesOptions } from './journaled-tables.ts';
import type { MembershipStamps } from '../../remote-config/repo.ts';
import type { DeviceRecord, DeviceRepo, ReinstateOutcome, RotateOutcome, TagChange } from '../types.ts';

export interface DeviceTables {
  devices: Record<string, DeviceRecord>;
}

/** The files: devices.json (snapshot) and devices-journal/ (README "Journaled tables"). */
export const DEVICES_NAME = 'devices';
export const emptyDeviceTables = (): DeviceTables => ({ devices: {} });
/**
 * The journal is folded into devices.json from 256 KiB (~1,500 changes) or the snapshot's size,
 * whichever is larger, not the 4 MiB of the OTA state: a fresh install has a devices.json early,
 * and a downgrade after a crash (which reads devices.json alone) misses fewer changes.
 */
export const DEVICES_COMPACT_AFTER_BYTES = 256 << 10;

export class JournalDeviceRepo implements DeviceRepo {
  private constructor(
    private readonly tables: JournaledTables<DeviceTables>,
    private readonly config: MembershipStamps,
  ) {}

  /** `config` stamps devices whose tags change which config layers apply (the config repository). */
  static async open(dataDir: string, writer: AppendWriter, config: MembershipStamps, options: JournaledTablesOptions = {}): Promise<JournalDeviceRepo> {
    const tables = await JournaledTables.open(dataDir, DEVICES_NAME, writer, emptyDeviceTables, {
      compactAfterBytes: DEVICES_COMPACT_AFTER_BYTES,
      ...options,
      takeBackFailed: true,
    });
    return new JournalDeviceRepo(tables, config);
  }

  private get devices(): Record<string, DeviceRecord> {
    return this.tables.data.devices;
  }

  /** Sets the record in memory now; resolves once it is durable (with everything set meanwhile). */
  private put(next: DeviceRecord): Promise<void> {
    this.tables.set('devices', next.device_id, next);
    return this.tables.commit();
  }

  /**
   * For an answer read from memory (registered already, revoked already): resolves true once the
   * record `seen` is durable, false if memory no longer holds it by then — a write that failed
   * took it back, or another change came — and the caller decides again.
   */
  private async durable(deviceId: string, seen: DeviceRecord): Promise<boolean> {
    await this.tables.settled('devices', deviceId);
    return this.peek(deviceId) === seen;
  }

  async get(deviceId: string): Promise<DeviceRecord | undefined> {
    return this.peek(deviceId);
  }

  /** The record as held in memory, synchronously. */
  peek(deviceId: string): DeviceRecord | undefined {
    return Object.hasOwn(this.devices, deviceId) ? this.devices[deviceId] : undefined;
  }

  async list(): Promise<DeviceRecord[]> {
    return Object.values(this.devices).sort((a, b) => (a.device_id < b.device_id ? -1 : a.device_id > b.device_id ? 1 : 0));
  }

  async create(record: DeviceRecord): Promise<boolean> {
    for (;;) {
      const existing = this.peek(record.device_id);
      if (!existing) break;
      if (await this.durable(record.device_id, existing)) return false;
    }
    await this.put(record);
    return true;
  }

  async existing(ids: readonly string[]): Promise<string[]> {
    return ids.filter((id) => this.peek(id));
  }

  async createMany(records: readonly DeviceRecord[]): Promise<string[]> {
    for (;;) {
      // Checked and set in the same turn (no await between): no other create interleaves. One
      // commit, so one journal line: the batch comes back after a crash whole or not at all.
      const existing = records.map((r) => this.peek(r.device_id)).filter((d) => d !== undefined);
      if (existing.length === 0) break;
      const still = await Promise.all(existing.map((d) => this.durable(d.device_id, d)));
      if (still.every(Boolean)) return existing.map((d) => d.device_id);
    }
    for (const r of records) this.tables.set('devices', r.device_id, r);
    await this.tables.commit();
    return [];
  }

  async rotateKey(deviceId: string, now: number, graceMs: number): Promise<RotateOutcome> {
    for (;;) {
      const current = this.peek(deviceId);
      if (!current) return { outcome: 'unknown' };
      if (current.revoked_at) {
        if (await this.durable(deviceId, current)) return { outcome: 'revoked' };
        continue;
      }
      const next: DeviceRecord = rotated(current, now, graceMs);
      await this.put(next);
      return { outcome: 'rotated', device: next };
    }
  }

  async revoke(deviceId: string, now: number): Promise<DeviceRecord | undefined> {
    for (;;) {
      const current = this.peek(deviceId);
      if (!current) return undefined;
      if (current.revoked_at) {
        // Revoked in memory by a request whose write may still be in flight, or may fail.
        if (await this.durable(deviceId, current)) return current;
        continue;
      }
      const next = { ...current, revoked_at: new Date(now).toISOString() };
      await this.put(next);
      return next;
    }
  }

  async reinstate(deviceId: string, now: number): Promise<ReinstateOutcome> {
    for (;;) {
      const current = this.peek(deviceId);
      if (!current) return { outcome: 'unknown' };
      if (!current.revoked_at) {
        if (await this.durable(deviceId, current)) return { outcome: 'not_revoked', device: current };
        continue;
      }
      const next = reinstated(current, now);
      await this.put(next);
      return { outcome: 'reinstated', device: next };
    }
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
    // write that serialises this record from memory — its journal line, or a compaction of the
    // whole table started by another request — then only ever holds tags whose stamp is durable,
    // and a crash never leaves new tags without it. Nothing else waits for it.
    const stamp = this.config.stampRetag(deviceId, previous, tags, now);
    if (stamp.version !== null) await stamp.durable;
    const latest = this.peek(deviceId);
    if (!latest) return undefined;
    const { tags: _replaced, ...rest } = latest;
    const next: DeviceRecord = tags.length > 0 ? { ...rest, tags: [...tags] } : rest;
    await this.put(next);
    return { record: next, previous, config_version: stamp.version };
  }

  async markPskBound(deviceId: string, now: number): Promise<void> {
    for (;;) {
      const current = this.peek(deviceId);
      if (!current || current.key_mode !== 'shared') return;
      // Bound in memory by a request whose write may still be in flight: the fleet key is refused
      // for this device from now on, so this one's answer must not come before that is durable.
      if (current.psk_bound_at) {
        if (await this.durable(deviceId, current)) return;
        continue;
      }
      return this.put({ ...current, psk_bound_at: new Date(now).toISOString() });
    }
  }

  /** Writes what is set and folds the journal into devices.json (see JournaledTables.close). */
  close(): Promise<void> {
    return this.tables.close();
  }
}
