/**
 * Storage of fleet activity counts by the hour, as an interface every store implements
 * (server/store/): per device, accepted uploads and rejected messages in each hour (the fleet
 * view's "last 24 h" columns); fleet-wide, device-message outcomes in each hour (the security
 * page's chart); and each device's last accepted upload. Counts are added as increments, so
 * several gateways sharing a store add up; the read model (model.ts) keeps them in memory and
 * writes what it counted every few seconds — they are statistics, not decisions, so a crash may
 * lose the last few seconds of them, never more.
 */
import type { Outcome } from '../security/stats.ts';

/** Hours since the epoch (UTC): `Math.floor(ms / 3_600_000)`. */
export type EpochHour = number;

export const HOUR_MS = 3_600_000;

export const hourOf = (ms: number): EpochHour => Math.floor(ms / HOUR_MS);

export interface DeviceHour {
  device_id: string;
  hour: EpochHour;
  uploads: number;
  rejected: number;
}

export interface OutcomeHour {
  hour: EpochHour;
  outcome: Outcome;
  count: number;
}

export interface LastUpload {
  device_id: string;
  /** Epoch ms. */
  at: number;
}

/** Increments to add (`add`), or the stored totals (`load`): one entry per key. */
export interface Activity {
  devices: DeviceHour[];
  fleet: OutcomeHour[];
  last_uploads: LastUpload[];
}

export interface FleetActivityRepo {
  /** Adds the counts (a last upload only moves forward); one transaction. */
  add(delta: Activity): Promise<void>;
  /** Device hours from `deviceSince`, fleet outcome hours from `fleetSince`, and every device's last upload. */
  load(deviceSince: EpochHour, fleetSince: EpochHour): Promise<Activity>;
  /** Forgets device hours before `deviceBefore` and fleet hours before `fleetBefore`; returns how many entries went. */
  prune(deviceBefore: EpochHour, fleetBefore: EpochHour): Promise<number>;
}

export const emptyActivity = (): Activity => ({ devices: [], fleet: [], last_uploads: [] });
