/**
 * Rollouts, as pure rules (the repository is rollouts-repo.ts, the steering job steering.ts). A
 * rollout offers one published release to a target — "all", "tag:<tag>" or listed device ids
 * (server/devices/tags.ts), resolved whenever it is evaluated — step by step:
 *
 *   steps: [{"target":"tag:canary"}, {"percent":1}, {"percent":10,"after_success":0.95,
 *            "min_results":5,"soak_seconds":3600}, {"percent":100}]
 *
 * The devices a rollout covers at step k are the devices of its target selected by any step up to
 * k: a `percent` step selects those whose bucket is below it, a `target` step the devices of that
 * target. Buckets are stable — bucket(rollout id, device id) is the first 4 bytes of
 * SHA-256("<rollout id>:<device id>") as a big-endian u32, mod 10000 — so the same devices are
 * chosen on every evaluation and coverage only ever grows: 10 % → 50 % keeps the first 10 %.
 *
 *   active ──pause / failure threshold / step success rate──▶ paused ──resume──▶ active
 *   active ──every covered device done (last step)──▶ completed
 *   active | paused | completed ──cancel──▶ cancelled
 *
 * An active or completed rollout offers its version to the devices it covers (completed: done
 * steering, still the fleet's assignment — a device that was offline or joins later still gets
 * it); paused and cancelled rollouts offer nothing. Step gates and the automatic advance are in
 * rollout-steps.ts; per-device progress in rollout-progress.ts.
 */
import { createHash } from 'node:crypto';
import semver from 'semver';
import { inTarget, type Target } from '../devices/tags.ts';
import { ConflictError } from '../errors.ts';
import type { DeviceRecord } from '../store/types.ts';

export type RolloutStatus = 'active' | 'paused' | 'completed' | 'cancelled';
export type PauseReason = 'manual' | 'failure_threshold' | 'step_success_rate';
/** Why a rollout finished: its devices were done, an admin cancelled it, or its release was yanked. */
export type FinishReason = 'all_devices_done' | 'cancelled' | 'release_yanked';

export interface ResultCounts {
  successes: number;
  failures: number;
}

/** One step: a `percent` of the rollout's target, or a `target` within it, and the gates to enter it. */
export interface RolloutStep {
  percent?: number;
  target?: Target;
  /** Success rate the previous step's results must reach (default 1 − failure_threshold). */
  after_success?: number;
  /** Results the previous step must have (default the rollout's min_results). */
  min_results?: number;
  /** Time the previous step must have run (default 0). */
  soak_seconds?: number;
}

export interface Rollout {
  id: string;
  version: string;
  target: Target;
  steps: RolloutStep[];
  /** Index of the current step. */
  step: number;
  /** When each step up to the current one started (epoch ms): a device's deadline runs from the first that covered it. */
  steps_started: number[];
  status: RolloutStatus;
  paused_reason: PauseReason | null;
  failure_threshold: number;
  min_results: number;
  /** A covered device that has not succeeded this long after it was first covered no longer holds up completion. */
  device_deadline_seconds: number;
  /** All results since creation. */
  results: ResultCounts;
  /** Results since creation or the last resume: what the failure threshold judges. */
  window: ResultCounts;
  /** Results since the current step started (or the last resume): what the next step's gates judge. */
  step_results: ResultCounts;
  notes: string;
  /** Epoch milliseconds. */
  created_at: number;
  updated_at: number;
  paused_at: number | null;
  finished_at: number | null;
  finish_reason: FinishReason | null;
}

export const BUCKETS = 10_000;
const ZERO: ResultCounts = Object.freeze({ successes: 0, failures: 0 });

/** The device's fixed position in [0, 10000) for this rollout. */
export function bucketOf(rolloutId: string, deviceId: string): number {
  const digest = createHash('sha256').update(`${rolloutId}:${deviceId}`).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

/** What steps 0..`step` select together: the highest percent, and every step target. */
export function coverageAt(r: Pick<Rollout, 'steps'>, step: number): { percent: number; targets: Target[] } {
  let percent = 0;
  const targets: Target[] = [];
  for (const s of r.steps.slice(0, step + 1)) {
    if (s.percent !== undefined) percent = Math.max(percent, s.percent);
    if (s.target !== undefined) targets.push(s.target);
  }
  return { percent, targets };
}

/** The share of the target the rollout covers now (the highest percent step reached). */
export function currentPercent(r: Pick<Rollout, 'steps' | 'step'>): number {
  return coverageAt(r, r.step).percent;
}

/** Whether steps 0..`step` select the (active) device; ignores the status. */
export function covers(r: Pick<Rollout, 'id' | 'target' | 'steps' | 'step'>, device: DeviceRecord, step = r.step): boolean {
  if (!inTarget(r.target, device)) return false;
  const c = coverageAt(r, step);
  return bucketOf(r.id, device.device_id) < Math.round(c.percent * 100) || c.targets.some((t) => inTarget(t, device));
}

/** When the device was first covered (the start of the first step selecting it), or null. */
export function coveredSince(r: Rollout, device: DeviceRecord): number | null {
  for (let i = 0; i <= r.step; i++) if (covers(r, device, i)) return r.steps_started[i] ?? r.created_at;
  return null;
}

/** Active and completed rollouts offer their version to the devices they cover. */
export function offers(r: Rollout): boolean {
  return r.status === 'active' || r.status === 'completed';
}

export function isFinished(r: Rollout): boolean {
  return r.status === 'completed' || r.status === 'cancelled';
}

/** The rollout a result for `version` from this device belongs to: the newest covering it, in any state. */
export function rolloutForResult(rollouts: readonly Rollout[], device: DeviceRecord, version: string): Rollout | undefined {
  return rollouts.filter((r) => r.version === version && covers(r, device)).sort((a, b) => b.created_at - a.created_at)[0];
}

/** Whether the window's failure rate trips the auto-pause. */
export function tripsThreshold(r: Pick<Rollout, 'window' | 'min_results' | 'failure_threshold'>): boolean {
  const total = r.window.successes + r.window.failures;
  return total >= r.min_results && total > 0 && r.window.failures / total > r.failure_threshold;
}

/** A transition's result; `changed: false` writes nothing and audits nothing. */
export interface RolloutChange {
  rollout: Rollout;
  changed: boolean;
}

/** The rollout after one result; an active rollout pauses when its failure threshold trips. */
export function afterResult(r: Rollout, success: boolean, now: number): RolloutChange & { paused: boolean } {
  const inc = (c: ResultCounts): ResultCounts => (success ? { ...c, successes: c.successes + 1 } : { ...c, failures: c.failures + 1 });
  const next: Rollout = { ...r, results: inc(r.results), window: inc(r.window), step_results: inc(r.step_results), updated_at: now };
  if (next.status === 'active' && tripsThreshold(next)) {
    return { rollout: { ...next, status: 'paused', paused_reason: 'failure_threshold', paused_at: now }, changed: true, paused: true };
  }
  return { rollout: next, changed: true, paused: false };
}

function requireUnfinished(r: Rollout, what: string): void {
  if (isFinished(r)) throw new ConflictError(`rollout ${r.id} is ${r.status}: it cannot be ${what}`, 'rollout_finished');
}

export function pauseRollout(r: Rollout, now: number, reason: PauseReason): RolloutChange {
  requireUnfinished(r, 'paused');
  if (r.status === 'paused') return { rollout: r, changed: false };
  return { rollout: { ...r, status: 'paused', paused_reason: reason, paused_at: now, updated_at: now }, changed: true };
}

/** Resuming starts over the failure window and the current step (its results and its soak). */
export function resumeRollout(r: Rollout, now: number): RolloutChange {
  requireUnfinished(r, 'resumed');
  if (r.status === 'active') return { rollout: r, changed: false };
  const steps_started = [...r.steps_started.slice(0, r.step), now];
  return {
    rollout: { ...r, status: 'active', paused_reason: null, paused_at: null, window: ZERO, step_results: ZERO, steps_started, updated_at: now },
    changed: true,
  };
}

export function cancelRollout(r: Rollout, now: number, reason: FinishReason = 'cancelled'): RolloutChange {
  if (r.status === 'cancelled') return { rollout: r, changed: false };
  return { rollout: { ...r, status: 'cancelled', paused_reason: null, finished_at: now, finish_reason: reason, updated_at: now }, changed: true };
}

/** The steering job's completion (it checked that every covered device is done). */
export function completeRollout(r: Rollout, now: number): RolloutChange {
  if (r.status !== 'active' || r.step !== r.steps.length - 1) return { rollout: r, changed: false };
  return { rollout: { ...r, status: 'completed', finished_at: now, finish_reason: 'all_devices_done', updated_at: now }, changed: true };
}

/** The next step, entered now with a fresh step window (the job checked its gates). */
export function advanceRollout(r: Rollout, now: number, fromStep: number): RolloutChange {
  if (r.status !== 'active' || r.step !== fromStep || r.step >= r.steps.length - 1) return { rollout: r, changed: false };
  return { rollout: { ...r, step: r.step + 1, steps_started: [...r.steps_started, now], step_results: ZERO, updated_at: now }, changed: true };
}

export interface RolloutPatch {
  percent?: number | undefined;
  target?: Target | undefined;
}

/**
 * An admin change: a new target, or a higher percent for a rollout of one percent step (coverage
 * only grows; a rollout with steps is steered by its steps, pause, resume and cancel).
 */
export function patchRollout(r: Rollout, patch: RolloutPatch, now: number): RolloutChange {
  requireUnfinished(r, 'changed');
  const next: Rollout = { ...r, updated_at: now };
  if (patch.percent !== undefined) {
    if (r.steps.length !== 1 || r.steps[0]!.target !== undefined) {
      throw new ConflictError(`rollout ${r.id} has steps: it advances by them (pause, resume or cancel it instead)`, 'rollout_has_steps');
    }
    const current = currentPercent(r);
    if (patch.percent < current) {
      throw new ConflictError(`rollout ${r.id} covers ${current} %: coverage only grows (cancel it and create another)`, 'percent_decrease');
    }
    next.steps = [{ ...r.steps[0], percent: patch.percent }];
  }
  if (patch.target !== undefined) next.target = patch.target;
  return { rollout: next, changed: true };
}

/**
 * A rollout as an older gateway stored it (one `percent`, status active or paused, no steps), or
 * as this one does: every field present, so both stores and every rule see one shape.
 */
export function upgradeRollout(raw: Partial<Rollout> & { id: string; version: string; percent?: number; created_at: number }): Rollout {
  const window = raw.window ?? ZERO;
  return {
    id: raw.id,
    version: raw.version,
    target: raw.target ?? 'all',
    steps: raw.steps ?? [{ percent: raw.percent ?? 100 }],
    step: raw.step ?? 0,
    steps_started: raw.steps_started ?? [raw.created_at],
    status: raw.status ?? 'active',
    paused_reason: raw.paused_reason ?? null,
    failure_threshold: raw.failure_threshold ?? 0.2,
    min_results: raw.min_results ?? 5,
    device_deadline_seconds: raw.device_deadline_seconds ?? DEFAULT_DEVICE_DEADLINE_SECONDS,
    results: raw.results ?? ZERO,
    window,
    step_results: raw.step_results ?? window,
    notes: raw.notes ?? '',
    created_at: raw.created_at,
    updated_at: raw.updated_at ?? raw.created_at,
    paused_at: raw.paused_at ?? null,
    finished_at: raw.finished_at ?? null,
    finish_reason: raw.finish_reason ?? null,
  };
}

/** A week: long enough for devices that check in daily, short enough for a rollout to finish. */
export const DEFAULT_DEVICE_DEADLINE_SECONDS = 7 * 86_400;

/** Newest first among rollouts of the highest version; for picking one of several. */
export function preferRollout(a: Rollout, b: Rollout): Rollout {
  const cmp = semver.compare(a.version, b.version);
  return cmp > 0 || (cmp === 0 && a.created_at > b.created_at) ? a : b;
}
