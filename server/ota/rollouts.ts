/**
 * Staged rollouts, as pure rules (the repository in rollouts-repo.ts stores them). A rollout
 * assigns one firmware version to a target — a list of devices or the whole fleet — narrowed to a
 * stable percentage: a device is in iff bucket(rollout id, device id) < percent, where the bucket
 * is the first 4 bytes of SHA-256("<rollout id>:<device id>") as a big-endian u32, mod 10000
 * (so percent has two decimals). The bucket never changes, so the same devices are chosen on every
 * evaluation and raising the percentage only adds devices. Seeding with the rollout id makes two
 * rollouts sample different devices.
 *
 * A version with a rollout (active or paused) is *held*: it is offered only to devices an active
 * rollout of it covers, never as "the newest image" to everyone else — otherwise a 10 % rollout of
 * the newest build would reach 100 %. A paused rollout therefore offers its version to nobody.
 * When several active rollouts cover a device, the highest version wins. Each result reported by a
 * device of the rollout is counted; when, since creation or the last resume, at least
 * `min_results` results arrived and failures / results is above `failure_threshold`, the rollout
 * pauses itself (paused_reason "failure_threshold").
 */
import { createHash } from 'node:crypto';
import semver from 'semver';

export type RolloutStatus = 'active' | 'paused';
export type PauseReason = 'manual' | 'failure_threshold';

export interface ResultCounts {
  successes: number;
  failures: number;
}

export interface Rollout {
  id: string;
  version: string;
  /** "all" or explicit device ids. */
  target: 'all' | string[];
  /** 0..100, two decimals. */
  percent: number;
  status: RolloutStatus;
  paused_reason: PauseReason | null;
  failure_threshold: number;
  min_results: number;
  /** All results since creation. */
  results: ResultCounts;
  /** Results since creation or the last resume: what the auto-pause rule judges. */
  window: ResultCounts;
  notes: string;
  /** Epoch milliseconds. */
  created_at: number;
  updated_at: number;
  paused_at: number | null;
}

export const BUCKETS = 10_000;

/** The device's fixed position in [0, 10000) for this rollout. */
export function bucketOf(rolloutId: string, deviceId: string): number {
  const digest = createHash('sha256').update(`${rolloutId}:${deviceId}`).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

export function inTarget(r: Rollout, deviceId: string): boolean {
  return r.target === 'all' || r.target.includes(deviceId);
}

/** Whether the rollout's percentage selects the device (ignores status). */
export function covers(r: Rollout, deviceId: string): boolean {
  return inTarget(r, deviceId) && bucketOf(r.id, deviceId) < Math.round(r.percent * 100);
}

/** Versions offered only through rollouts. */
export function heldVersions(rollouts: readonly Rollout[]): Set<string> {
  return new Set(rollouts.map((r) => r.version));
}

/**
 * The active rollout assigning a version to the device: among active rollouts covering it whose
 * version `eligible` accepts (present in the catalog, counter not below the device's floor), the
 * highest version; ties go to the newest rollout.
 */
export function assignedRollout(rollouts: readonly Rollout[], deviceId: string, eligible: (version: string) => boolean): Rollout | undefined {
  let best: Rollout | undefined;
  for (const r of rollouts) {
    if (r.status !== 'active' || !covers(r, deviceId) || !eligible(r.version)) continue;
    if (!best) best = r;
    else {
      const cmp = semver.compare(r.version, best.version);
      if (cmp > 0 || (cmp === 0 && r.created_at > best.created_at)) best = r;
    }
  }
  return best;
}

/** The rollout a result for `version` from this device belongs to (active or paused), if any. */
export function rolloutForResult(rollouts: readonly Rollout[], deviceId: string, version: string): Rollout | undefined {
  return rollouts.filter((r) => r.version === version && covers(r, deviceId)).sort((a, b) => b.created_at - a.created_at)[0];
}

/** Whether the window's failure rate trips the auto-pause. */
export function tripsThreshold(r: Pick<Rollout, 'window' | 'min_results' | 'failure_threshold'>): boolean {
  const total = r.window.successes + r.window.failures;
  return total >= r.min_results && total > 0 && r.window.failures / total > r.failure_threshold;
}

/** The rollout after one result; pauses it when the threshold trips. */
export function afterResult(r: Rollout, success: boolean, now: number): { rollout: Rollout; paused: boolean } {
  const inc = (c: ResultCounts): ResultCounts => (success ? { ...c, successes: c.successes + 1 } : { ...c, failures: c.failures + 1 });
  const next: Rollout = { ...r, results: inc(r.results), window: inc(r.window), updated_at: now };
  if (next.status === 'active' && tripsThreshold(next)) {
    return { rollout: { ...next, status: 'paused', paused_reason: 'failure_threshold', paused_at: now }, paused: true };
  }
  return { rollout: next, paused: false };
}

export interface RolloutPatch {
  percent?: number | undefined;
  status?: RolloutStatus | undefined;
  target?: 'all' | string[] | undefined;
}

/** The rollout after an admin change. Resuming starts a new result window. */
export function applyPatch(r: Rollout, patch: RolloutPatch, now: number): Rollout {
  const next: Rollout = { ...r, updated_at: now };
  if (patch.percent !== undefined) next.percent = patch.percent;
  if (patch.target !== undefined) next.target = patch.target;
  if (patch.status === 'paused' && r.status !== 'paused') {
    next.status = 'paused';
    next.paused_reason = 'manual';
    next.paused_at = now;
  } else if (patch.status === 'active' && r.status !== 'active') {
    next.status = 'active';
    next.paused_reason = null;
    next.paused_at = null;
    next.window = { successes: 0, failures: 0 };
  }
  return next;
}

/** The rollout as the admin API shows it. */
export function rolloutView(r: Rollout, fleet?: readonly string[]) {
  const total = r.results.successes + r.results.failures;
  const windowTotal = r.window.successes + r.window.failures;
  return {
    id: r.id,
    version: r.version,
    devices: r.target,
    percent: r.percent,
    status: r.status,
    paused_reason: r.paused_reason,
    failure_threshold: r.failure_threshold,
    min_results: r.min_results,
    results: { ...r.results, total, failure_rate: total ? round(r.results.failures / total) : 0 },
    window: { ...r.window, total: windowTotal, failure_rate: windowTotal ? round(r.window.failures / windowTotal) : 0 },
    notes: r.notes,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
    paused_at: r.paused_at === null ? null : new Date(r.paused_at).toISOString(),
    ...(fleet ? { covered_devices: fleet.filter((id) => covers(r, id)).length, fleet_devices: fleet.length } : {}),
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
