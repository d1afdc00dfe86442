/**
 * The device registry: registration, key rotation with a grace period, revocation, and the key
 * lookup every signed device message goes through. Derived keys are cached (they are a pure
 * function of master, id and version) so the hot path does one map lookup, not an extra HMAC.
 */
import { bytesToHex } from '../crypto/hmac.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { DeviceRecord, Store } from '../store/index.ts';
import { deriveDeviceKey } from './keys.ts';

export interface CandidateKey {
  key: Uint8Array;
  /** "current", "previous" (inside the rotation grace period) or "shared". */
  label: 'current' | 'previous' | 'shared';
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
  last_seen: string | null;
  last_nonce: number | null;
}

const KEY_CACHE_LIMIT = 100_000;

export class DeviceRegistry {
  /** device id → key version → derived key (keyed without building a string: it is per message). */
  private readonly keyCache = new Map<string, Map<number, Uint8Array>>();

  constructor(
    private readonly store: Store,
    private readonly master: Uint8Array,
    private readonly sharedKey: Uint8Array | undefined,
    private readonly graceMs: number,
  ) {}

  get(deviceId: string): DeviceRecord | undefined {
    return this.store.devices.get(deviceId);
  }

  /** Registers a device with a derived key; returns the key (the only time it is revealed). */
  async register(deviceId: string, now: number): Promise<{ device: DeviceRecord; key: string }> {
    const record: DeviceRecord = {
      device_id: deviceId,
      created_at: new Date(now).toISOString(),
      key_mode: 'derived',
      key_version: 1,
    };
    if (!(await this.store.devices.create(record))) {
      throw new ConflictError(`device ${deviceId} already exists`, 'device_exists');
    }
    return { device: record, key: bytesToHex(this.derived(deviceId, 1)) };
  }

  /** Auto-registration of a legacy device that signed with the fleet-wide HMAC_PSK. */
  async registerShared(deviceId: string, now: number): Promise<DeviceRecord> {
    const record: DeviceRecord = {
      device_id: deviceId,
      created_at: new Date(now).toISOString(),
      key_mode: 'shared',
      key_version: 0,
    };
    await this.store.devices.create(record);
    return this.store.devices.get(deviceId) ?? record;
  }

  async rotate(deviceId: string, now: number): Promise<{ device: DeviceRecord; key: string }> {
    const current = this.require(deviceId);
    if (current.revoked_at) throw new ConflictError(`device ${deviceId} is revoked`, 'device_revoked');
    if (current.key_mode === 'shared') {
      throw new ConflictError(`device ${deviceId} uses the shared fleet key; register it to give it its own key`, 'shared_key_device');
    }
    const next = await this.store.devices.rotateKey(deviceId, now, this.graceMs);
    if (!next) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    return { device: next, key: bytesToHex(this.derived(deviceId, next.key_version)) };
  }

  async revoke(deviceId: string, now: number): Promise<DeviceRecord> {
    const record = await this.store.devices.revoke(deviceId, now);
    if (!record) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    return record;
  }

  require(deviceId: string): DeviceRecord {
    const record = this.store.devices.get(deviceId);
    if (!record) throw new NotFoundError(`device ${deviceId} not found`, 'unknown_device');
    return record;
  }

  /** Keys a message from this device may be signed with right now, newest first. */
  candidateKeys(record: DeviceRecord, now: number): CandidateKey[] {
    if (record.key_mode === 'shared') return this.sharedKey ? [{ key: this.sharedKey, label: 'shared' }] : [];
    const keys: CandidateKey[] = [{ key: this.derived(record.device_id, record.key_version), label: 'current' }];
    if (
      record.previous_key_version !== undefined &&
      record.previous_key_expires_at &&
      Date.parse(record.previous_key_expires_at) > now
    ) {
      keys.push({ key: this.derived(record.device_id, record.previous_key_version), label: 'previous' });
    }
    return keys;
  }

  get shared(): Uint8Array | undefined {
    return this.sharedKey;
  }

  view(record: DeviceRecord): DeviceView {
    const nonce = this.store.nonces.get(record.device_id);
    return {
      device_id: record.device_id,
      key_mode: record.key_mode,
      key_version: record.key_version,
      status: record.revoked_at ? 'revoked' : 'active',
      created_at: record.created_at,
      rotated_at: record.rotated_at ?? null,
      previous_key_expires_at: record.previous_key_expires_at ?? null,
      revoked_at: record.revoked_at ?? null,
      last_seen: nonce ? new Date(nonce.seen_at).toISOString() : null,
      last_nonce: nonce ? nonce.nonce : null,
    };
  }

  list(): DeviceView[] {
    return this.store.devices.list().map((r) => this.view(r));
  }

  private derived(deviceId: string, version: number): Uint8Array {
    let versions = this.keyCache.get(deviceId);
    if (!versions) {
      if (this.keyCache.size >= KEY_CACHE_LIMIT) this.keyCache.clear();
      this.keyCache.set(deviceId, (versions = new Map()));
    }
    let key = versions.get(version);
    if (!key) versions.set(version, (key = deriveDeviceKey(this.master, deviceId, version)));
    return key;
  }
}
