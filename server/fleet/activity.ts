/**
 * Fleet activity counted in memory by the hour: per device, accepted uploads and rejected
 * messages in each of the last 24 hours (a ring of 24 slots, each stamped with its hour, so a
 * stale slot reads as zero without a sweep); fleet-wide, device-message outcomes per hour for the
 * last week; each device's last upload. Counting is O(1) per message. What was counted since the
 * last `takeDelta` is kept aside as increments for the store (activity-repo.ts), so several
 * gateways sharing one add up; `replaceStored` rebuilds the totals from the store (another
 * replica's counts included) and re-applies what this one has not written yet.
 */
import { OUTCOMES, type Outcome } from '../security/stats.ts';
import { hourOf, type Activity, type EpochHour } from './activity-repo.ts';

export const DEVICE_HOURS = 24;
export const FLEET_HOURS = 7 * 24;

/** Outcomes that are a refused message (a duplicate is answered, from the stored reply). */
export const REJECTED_OUTCOMES: readonly Outcome[] = ['bad_signature', 'replay', 'unknown_device', 'crc_failure', 'malformed'];

class DeviceRing {
  readonly hours = new Float64Array(DEVICE_HOURS).fill(-1);
  readonly uploads = new Uint32Array(DEVICE_HOURS);
  readonly rejected = new Uint32Array(DEVICE_HOURS);

  add(hour: EpochHour, uploads: number, rejected: number): void {
    const i = hour % DEVICE_HOURS;
    if (this.hours[i] !== hour) {
      if (this.hours[i]! > hour) return; // older than the ring holds
      this.hours[i] = hour;
      this.uploads[i] = 0;
      this.rejected[i] = 0;
    }
    this.uploads[i]! += uploads;
    this.rejected[i]! += rejected;
  }

  /** Sums over the 24 hours ending with `hour`. */
  sum(hour: EpochHour): { uploads: number; rejected: number } {
    let uploads = 0;
    let rejected = 0;
    for (let i = 0; i < DEVICE_HOURS; i++) {
      const h = this.hours[i]!;
      if (h > hour - DEVICE_HOURS && h <= hour) {
        uploads += this.uploads[i]!;
        rejected += this.rejected[i]!;
      }
    }
    return { uploads, rejected };
  }
}

type OutcomeCounts = Partial<Record<Outcome, number>>;

export class ActivityCounters {
  private readonly rings = new Map<string, DeviceRing>();
  private readonly fleet = new Map<EpochHour, OutcomeCounts>();
  private readonly lastUploads = new Map<string, number>();
  /** Increments not yet written to the store. */
  private pending = { devices: new Map<string, Map<EpochHour, [number, number]>>(), fleet: new Map<EpochHour, OutcomeCounts>(), lastUploads: new Map<string, number>() };

  upload(deviceId: string, at: number): void {
    this.countDevice(deviceId, hourOf(at), 1, 0, true);
    this.noteUpload(deviceId, at, true);
  }

  rejected(deviceId: string, count: number, at: number): void {
    if (count > 0) this.countDevice(deviceId, hourOf(at), 0, count, true);
  }

  outcomes(counts: Readonly<Record<Outcome, number>>, at: number): void {
    this.countFleet(hourOf(at), counts, true);
  }

  lastUpload(deviceId: string): number | null {
    return this.lastUploads.get(deviceId) ?? null;
  }

  /** Uploads and rejections of the device in the 24 hours up to `now`. */
  last24h(deviceId: string, now: number): { uploads: number; rejected: number } {
    return this.rings.get(deviceId)?.sum(hourOf(now)) ?? { uploads: 0, rejected: 0 };
  }

  /** Fleet outcomes per hour, oldest first, for the `hours` hours up to `now` (zero-filled). */
  fleetHours(now: number, hours: number): { hour: EpochHour; counts: Record<Outcome, number> }[] {
    const last = hourOf(now);
    const out = [];
    for (let h = last - Math.min(hours, FLEET_HOURS) + 1; h <= last; h++) {
      const c = this.fleet.get(h) ?? {};
      out.push({ hour: h, counts: Object.fromEntries(OUTCOMES.map((o) => [o, c[o] ?? 0])) as Record<Outcome, number> });
    }
    return out;
  }

  forget(deviceId: string): void {
    this.rings.delete(deviceId);
  }

  /** The increments counted since the last call, as the store takes them; `restore` puts them back if the write fails. */
  takeDelta(): Activity {
    const p = this.pending;
    this.pending = { devices: new Map(), fleet: new Map(), lastUploads: new Map() };
    return toActivity(p.devices, p.fleet, p.lastUploads);
  }

  restore(delta: Activity): void {
    this.addPending(delta);
  }

  /** Totals from the store, plus what this process counted and has not written yet. */
  replaceStored(stored: Activity, now: number): void {
    this.rings.clear();
    this.fleet.clear();
    this.lastUploads.clear();
    this.apply(stored, now);
    const p = this.pending;
    this.apply(toActivity(p.devices, p.fleet, p.lastUploads), now);
  }

  /** Drops fleet hours older than the week kept (the rings overwrite themselves). */
  trim(now: number): void {
    const oldest = hourOf(now) - FLEET_HOURS;
    for (const h of this.fleet.keys()) if (h <= oldest) this.fleet.delete(h);
  }

  private apply(a: Activity, now: number): void {
    const oldest = hourOf(now) - FLEET_HOURS;
    for (const d of a.devices) this.countDevice(d.device_id, d.hour, d.uploads, d.rejected, false);
    for (const f of a.fleet) if (f.hour > oldest) this.countFleet(f.hour, { [f.outcome]: f.count }, false);
    for (const u of a.last_uploads) this.noteUpload(u.device_id, u.at, false);
  }

  private addPending(a: Activity): void {
    for (const d of a.devices) addDevicePending(this.pending.devices, d.device_id, d.hour, d.uploads, d.rejected);
    for (const f of a.fleet) addFleetCounts(this.pending.fleet, f.hour, { [f.outcome]: f.count });
    for (const u of a.last_uploads) maxInto(this.pending.lastUploads, u.device_id, u.at);
  }

  private countDevice(deviceId: string, hour: EpochHour, uploads: number, rejected: number, local: boolean): void {
    let ring = this.rings.get(deviceId);
    if (!ring) this.rings.set(deviceId, (ring = new DeviceRing()));
    ring.add(hour, uploads, rejected);
    if (local) addDevicePending(this.pending.devices, deviceId, hour, uploads, rejected);
  }

  private countFleet(hour: EpochHour, counts: OutcomeCounts, local: boolean): void {
    addFleetCounts(this.fleet, hour, counts);
    if (local) addFleetCounts(this.pending.fleet, hour, counts);
  }

  private noteUpload(deviceId: string, at: number, local: boolean): void {
    maxInto(this.lastUploads, deviceId, at);
    if (local) maxInto(this.pending.lastUploads, deviceId, at);
  }
}

function addDevicePending(into: Map<string, Map<EpochHour, [number, number]>>, deviceId: string, hour: EpochHour, uploads: number, rejected: number): void {
  let hours = into.get(deviceId);
  if (!hours) into.set(deviceId, (hours = new Map()));
  const c = hours.get(hour);
  if (c) {
    c[0] += uploads;
    c[1] += rejected;
  } else hours.set(hour, [uploads, rejected]);
}

function addFleetCounts(into: Map<EpochHour, OutcomeCounts>, hour: EpochHour, counts: OutcomeCounts): void {
  let c = into.get(hour);
  if (!c) into.set(hour, (c = {}));
  for (const o of OUTCOMES) {
    const n = counts[o];
    if (n) c[o] = (c[o] ?? 0) + n;
  }
}

function maxInto(into: Map<string, number>, key: string, value: number): void {
  const before = into.get(key);
  if (before === undefined || value > before) into.set(key, value);
}

function toActivity(devices: Map<string, Map<EpochHour, [number, number]>>, fleet: Map<EpochHour, OutcomeCounts>, lastUploads: Map<string, number>): Activity {
  const out: Activity = { devices: [], fleet: [], last_uploads: [] };
  for (const [device_id, hours] of devices) for (const [hour, [uploads, rejected]] of hours) out.devices.push({ device_id, hour, uploads, rejected });
  for (const [hour, counts] of fleet) for (const o of OUTCOMES) if (counts[o]) out.fleet.push({ hour, outcome: o, count: counts[o]! });
  for (const [device_id, at] of lastUploads) out.last_uploads.push({ device_id, at });
  return out;
}
