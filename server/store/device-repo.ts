/**
 * Device registry on a lowdb document (`devices.json`). Holds ids, key modes and key versions —
 * never a usable key: derived keys are recomputed from the master secret in KEYS_DIR.
 */
import { join } from 'node:path';
import { JsonDocument } from './json-document.ts';
import type { DeviceRecord, DeviceRepo } from './types.ts';

interface DevicesDoc {
  devices: Record<string, DeviceRecord>;
}

export class LowdbDeviceRepo implements DeviceRepo {
  private constructor(private readonly doc: JsonDocument<DevicesDoc>) {}

  static async open(dataDir: string): Promise<LowdbDeviceRepo> {
    return new LowdbDeviceRepo(await JsonDocument.open<DevicesDoc>(join(dataDir, 'devices.json'), { devices: {} }));
  }

  get(deviceId: string): DeviceRecord | undefined {
    return Object.hasOwn(this.doc.data.devices, deviceId) ? this.doc.data.devices[deviceId] : undefined;
  }

  list(): DeviceRecord[] {
    return Object.values(this.doc.data.devices).sort((a, b) => a.device_id.localeCompare(b.device_id));
  }

  create(record: DeviceRecord): Promise<boolean> {
    if (this.get(record.device_id)) return Promise.resolve(false);
    return this.doc.mutate((d) => {
      d.devices[record.device_id] = record;
      return true;
    });
  }

  rotateKey(deviceId: string, now: number, graceMs: number): Promise<DeviceRecord | undefined> {
    const current = this.get(deviceId);
    if (!current || current.revoked_at || current.key_mode !== 'derived') return Promise.resolve(undefined);
    return this.doc.mutate((d) => {
      const next: DeviceRecord = {
        ...current,
        key_version: current.key_version + 1,
        previous_key_version: current.key_version,
        previous_key_expires_at: new Date(now + graceMs).toISOString(),
        rotated_at: new Date(now).toISOString(),
      };
      d.devices[deviceId] = next;
      return next;
    });
  }

  revoke(deviceId: string, now: number): Promise<DeviceRecord | undefined> {
    const current = this.get(deviceId);
    if (!current) return Promise.resolve(undefined);
    if (current.revoked_at) return Promise.resolve(current);
    return this.doc.mutate((d) => {
      const next = { ...current, revoked_at: new Date(now).toISOString() };
      d.devices[deviceId] = next;
      return next;
    });
  }
}
