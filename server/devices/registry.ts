/**
 * The device registry: registration (one or in bulk, derived or shared-key), key rotation with a
 * grace period (or immediate), revocation and reinstatement, and the key lookup every signed
 * device message goes through. Derived keys are cached (they are a pure function of master, id
 * and version) so the hot path does one map lookup, not an extra HMAC.
 */
import { bytesToHex } from '../crypto/hmac.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { DeviceRecord, DeviceRepo, KeyMode, NonceSummary, Store, TagChange } from '../store/index.ts';
import { deviceIdProblem } from './ids.ts';
import { deriveDeviceKey, pskBoundKey } from './keys.ts';

export interface CandidateKey {
  key: Uint8Array;
  /**
   * current / previous: the device's derived key and, inside the rotation grace period, the one
   * before it. bound: HMAC(HMAC_PSK, id) of a shared device. raw: the fleet key itself, whose
   * MACs do not cover the device id.
   */
  label: 'current' | 'previous' | 'bound' | 'raw';
}

export interface DeviceView {
  device_id: string;
  key_mode: DeviceRecord['key_mode'];
  key_version: number;
  status: 'active' | 'revoked';
  created_at: string;
  rotated_at: string | null;
  previous_key_expires_at: string | null;
  revoked_at: string | null;
  reinstated_at: string | null;
  /** Shared devices: signing with the id-bound key (the raw fleet key is refused for them). */
  psk_bound: boolean | null;
  tags: string[];
  last_seen: string | null;
  last_nonce: number | null;
}

/** What a device needs to be provisioned: the key it signs with (shown once). */
export interface IssuedKey {
  device: DeviceRecord;
  /** Derived devices: their key. Shared devices: HMAC(HMAC_PSK, id), for firmware that can be re-flashed. */
  key: string;
}

/** Devices and the tags they are about to have, for the tag guard's check. */
export type TagEntries = readonly { device_id: string; tags: readonly string[] }[];

/**
 * Runs a write that gives devices tags together with the check of those tags: `write` calls
 * `check` first (it throws to refuse), then writes through `devices`, and nothing the check read
 * changes in between (remote config's `guardTags`).
 */
export type TagGuard = <T>(write: (devices: DeviceRepo, check: (entries: TagEntries) => Promise<void>) => Promise<T>) => Promise<T>;

export interface SharedKeys {
  psk: Uint8Array;
  /** ALLOW_SHARED_PSK: the raw fleet key is accepted from listed shared devices. */
  allowRaw: boolean;
}

const KEY_CACHE_LIMIT = 100_000;

export class DeviceRegistry {
  /** device id → key version → derived key (keyed without building a string: it is per message). */
  private readonly keyCache = new Map<string, Map<number, Uint8Array>>();
  /** Ids no new device may take (fixed path segments beside `:device_id`; set once routes are mounted). */
  readonly reservedIds = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly master: Uint8Array,
    private readonly shared: SharedKeys | undefined,
    private readonly graceMs: number,
  ) {}

  /**
   * Refuses tags that would give a device a configuration it cannot apply, checked and written in
   * one step (remote config's `guardTags`, wired by the control plane; a gateway without it
   * accepts any tags).
   */
  tagGuard: TagGuard = (write) => write(this.store.devices, async () => undefined);

  get(deviceId: string): Promise<DeviceRecord | undefined> {
    return this.store.devices.get(deviceId);
  }

  private newRecord(deviceId: string, mode: KeyMode, now: number, tags: readonly string[] = []): DeviceRecord {
    const problem = deviceIdProblem(deviceId, this.reservedIds);
    if (problem) throw new ValidationError(`device_id: ${problem}`, 'invalid_device_id', { field: 'device_id' });
    if (mode === 'shared' && !this.shared) {
      throw new ConflictError('shared-key devices need HMAC_PSK set on the gateway', 'shared_key_unavailable');
    }
    const record: DeviceRecord = { device_id: deviceId, created_at: new Date(now).toISOString(), key_mode: mode, key_version: mode === 'shared' ? 0 : 1 };
    if (tags.length > 0) record.tags = [...tags];
    return record;
  }

  /**
   * Registers a device; returns the key it signs with (the only time it is revealed). An id that
   * exists is a 409 whatever the tags asked for: they would not be applied (the tag guard's 400
   * would speak of a configuration the device is not getting).
   */
  async register(deviceId: string, now: number, mode: KeyMode = 'derived', tags: readonly string[] = []): Promise<IssuedKey> {
    const record = this.newRecord(deviceId, mode, now, tags);
    const created = await this.tagGuard(async (devices, check) => {
      if (await devices.get(deviceId)) throw deviceExists(deviceId);
      await check([{ device_id: deviceId, tags }]);
      return devices.create(record);
    });
    // Checked again as it is written: the id may have been taken meanwhile (another admin, replica).
    if (!created) throw deviceExists(deviceId);
    return { device: record, key: this.issuedKey(record) };
  }

  /** Registers every device or none (409 naming the ids that exist, checked before the tags as for one). */
  async registerMany(entries: readonly { device_id: string; mode: KeyMode; tags?: readonly string[] }[], now: number): Promise<IssuedKey[]> {
    const records = entries.map((e) => this.newRecord(e.device_id, e.mode, now, e.tags));
    const existing = await this.tagGuard(async (devices, check) => {
      const taken = await devices.existing(records.map((r) => r.device_id));
      if (taken.length > 0) return taken;
      await check(records.map((r) => ({ device_id: r.device_id, tags: r.tags ?? [] })));
      return devices.createMany(records);
    });
    if (existing.length > 0) throw devicesExist(existing);
    return records.map((device) => ({ device, key: this.issuedKey(device) }));
  }

  /**
   * Issues the next derived key version. The old key keeps working for the grace period, or not
   * at all with `immediate` (a compromised key). A shared-key device becomes a derived one.
   */
  async rotate(deviceId: string, now: number, immediate = false): Promise<IssuedKey> {
    const out = await this.store.devices.rotateKey(deviceId, now, immediate ? 0 : this.graceMs);
    if (out.outcome === 'unknown') throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    if (out.outcome === 'revoked') throw new ConflictError(`device ${deviceId} is revoked; reinstate it to give it a new key`, 'device_revoked');
    return { device: out.device, key: this.issuedKey(out.device) };
  }

  /**
   * Replaces a device's tags (validated by tags.ts: sorted, unique); the store stamps a new config
   * version on the device if that changes which config tag layers apply to it.
   */
  async setTags(deviceId: string, tags: readonly string[], now: number): Promise<TagChange> {
    const change = await this.tagGuard(async (devices, check) => {
      await check([{ device_id: deviceId, tags }]);
      return devices.setTags(deviceId, tags, now);
    });
    if (!change) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    return change;
  }

  async revoke(deviceId: string, now: number): Promise<DeviceRecord> {
    const record = await this.store.devices.revoke(deviceId, now);
    if (!record) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    return record;
  }

  /** A revoked device back in service under the same id, with a new key; every older key stays dead. */
  async reinstate(deviceId: string, now: number): Promise<IssuedKey> {
    const out = await this.tagGuard(async (devices, check) => {
      const revoked = await devices.get(deviceId);
      // Its configuration was left out of every check while it was revoked.
      if (revoked?.revoked_at) await check([{ device_id: deviceId, tags: revoked.tags ?? [] }]);
      return devices.reinstate(deviceId, now);
    });
    if (out.outcome === 'unknown') throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    if (out.outcome === 'not_revoked') throw new ConflictError(`device ${deviceId} is not revoked; rotate its key instead`, 'device_not_revoked');
    return { device: out.device, key: this.issuedKey(out.device) };
  }

  async require(deviceId: string): Promise<DeviceRecord> {
    const record = await this.store.devices.get(deviceId);
    if (!record) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    return record;
  }

  /** An existing, non-revoked device, else 404 unknown_device (admin routes about one device). */
  async requireActive(deviceId: string): Promise<DeviceRecord> {
    const record = await this.store.devices.get(deviceId);
    if (!record || record.revoked_at) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    return record;
  }

  /** Keys a message from this device may be signed with right now. */
  candidateKeys(record: DeviceRecord, now: number): CandidateKey[] {
    const keys = this.keysOf(record.device_id, record.key_mode, record.key_version, record, 'current');
    if (record.previous_key_version !== undefined && record.previous_key_expires_at && Date.parse(record.previous_key_expires_at) > now) {
      keys.push(...this.keysOf(record.device_id, record.previous_key_mode ?? 'derived', record.previous_key_version, record, 'previous'));
    }
    return keys;
  }

  private keysOf(deviceId: string, mode: KeyMode, version: number, record: DeviceRecord, label: 'current' | 'previous'): CandidateKey[] {
    if (mode === 'derived') return [{ key: this.derived(deviceId, version), label }];
    if (!this.shared) return [];
    const keys: CandidateKey[] = [{ key: this.bound(deviceId), label: 'bound' }];
    if (this.shared.allowRaw && !record.psk_bound_at) keys.push({ key: this.shared.psk, label: 'raw' });
    return keys;
  }

  /** The device proved it holds its id-bound key: refuse the raw fleet key for it from now on. */
  async notePskBound(record: DeviceRecord, now: number): Promise<void> {
    if (record.key_mode === 'shared' && !record.psk_bound_at) await this.store.devices.markPskBound(record.device_id, now);
  }

  async view(record: DeviceRecord): Promise<DeviceView> {
    return viewOf(record, await this.store.nonces.get(record.device_id));
  }

  /** Every record, by id (no last-seen lookups: for fleet-wide computations). */
  records(): Promise<DeviceRecord[]> {
    return this.store.devices.list();
  }

  async list(): Promise<DeviceView[]> {
    const [records, nonces] = await Promise.all([this.store.devices.list(), this.store.nonces.all()]);
    return records.map((r) => viewOf(r, nonces.get(r.device_id)));
  }

  private issuedKey(record: DeviceRecord): string {
    return bytesToHex(record.key_mode === 'shared' ? this.bound(record.device_id) : this.derived(record.device_id, record.key_version));
  }

  private bound(deviceId: string): Uint8Array {
    // Cached under version -1: never a derived key version.
    return this.cached(deviceId, -1, () => pskBoundKey(this.shared!.psk, deviceId));
  }

  private derived(deviceId: string, version: number): Uint8Array {
    return this.cached(deviceId, version, () => deriveDeviceKey(this.master, deviceId, version));
  }

  private cached(deviceId: string, version: number, make: () => Uint8Array): Uint8Array {
    let versions = this.keyCache.get(deviceId);
    if (!versions) {
      if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
      this.keyCache.set(deviceId, (versions = new Map()));
    }
    let key = versions.get(version);
    if (!key) versions.set(version, (key = make()));
    return key;
  }
}

function deviceExists(deviceId: string): ConflictError {
  return new ConflictError(`device ${deviceId} already exists`, 'device_exists');
}

/** A bulk registration refused whole: the first ten ids that exist, and how many in all. */
function devicesExist(ids: readonly string[]): ConflictError {
  const shown = ids.slice(0, 10).join(', ') + (ids.length > 10 ? `, … (${ids.length} in all)` : '');
  return new ConflictError(`devices already exist: ${shown}; nothing was registered`, 'device_exists');
}

/** The admin view of a device: its record and its last accepted message. Never a key. */
export function viewOf(record: DeviceRecord, nonce: NonceSummary | undefined): DeviceView {
  return {
      device_id: record.device_id,
    key_mode: record.key_mode,
    key_version: record.key_version,
    status: record.revoked_at ? 'revoked' : 'active',
    created_at: record.created_at,
    rotated_at: record.rotated_at ?? null,
    previous_key_expires_at: record.previous_key_expires_at ?? null,
    revoked_at: record.revoked_at ?? null,
    reinstated_at: record.reinstated_at ?? null,
    psk_bound: record.key_mode === 'shared' ? record.psk_bound_at !== undefined : null,
    tags: record.tags ?? [],
    last_seen: nonce ? new Date(nonce.seen_at).toISOString() : null,
    last_nonce: nonce ? nonce.nonce : null,
  };
}
