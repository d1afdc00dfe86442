/**
 * Where each device stands in a rollout, as pure rules: the stage a device reached (offered at
 * /ota/check, downloading at /ota/initiate or /ota/manifest, succeeded or failed at /ota/complete)
 * and the figures a rollout shows. Stages only move forward, except that a failed device may
 * download again; a success is final. A success is a success report for the rollout's version —
 * which this firmware sends only from the new image, once it booted and confirmed itself
 * (SPEC.md §12) — and a rollback is the failure `rolled_back`.
 */
import semver from 'semver';
import type { DeviceRecord } from '../store/types.ts';
import { covers, coveredSince, type Rollout } from './rollouts.ts';
import type { DeviceOtaState } from './state.ts';

export type DeviceStage = 'offered' | 'downloading' | 'succeeded' | 'failed';

export interface RolloutDeviceProgress {
  rollout_id: string;
  device_id: string;
  stage: DeviceStage;
  /** The failure's code and detail ("rolled_back: …"), for the last failure. */
  error: string | null;
  updated_at: number;
}

/** The stages a device may be in for `next` to replace it (absent = no record yet). */
export const STAGE_FROM: Readonly<Record<DeviceStage, readonly (DeviceStage | 'none')[]>> = {
  offered: ['none'],
  downloading: ['none', 'offered', 'failed'],
  succeeded: ['none', 'offered', 'downloading', 'failed'],
  failed: ['none', 'offered', 'downloading', 'failed'],
};

/** The record after an event, or undefined when the event does not change it. */
export function nextProgress(
  prev: RolloutDeviceProgress | undefined,
  event: { rollout_id: string; device_id: string; stage: DeviceStage; error?: string | null },
  now: number,
): RolloutDeviceProgress | undefined {
  if (!STAGE_FROM[event.stage].includes(prev?.stage ?? 'none')) return undefined;
  return { rollout_id: event.rollout_id, device_id: event.device_id, stage: event.stage, error: event.stage === 'failed' ? (event.error ?? null) : null, updated_at: now };
}

/** Whether a device has started on the rollout (a rollout no device started may be deleted). */
export function hasStarted(p: RolloutDeviceProgress): boolean {
  return p.stage !== 'offered';
}

/** "rolled_back: image 1.2.0 did not …" → "rolled_back"; a free-form error is counted as "other". */
export function errorCode(error: string | null): string {
  const code = /^([a-z][a-z0-9_]{0,40})(:|$)/.exec(error ?? '')?.[1];
  return code ?? 'other';
}

export interface RolloutFigures {
  /** Devices the rollout covers now (its target at its current step). */
  targeted: number;
  /** Devices of its target (what 100 % would cover). */
  in_target: number;
  offered: number;
  downloading: number;
  succeeded: number;
  failed: number;
  failed_by_error: Record<string, number>;
  /** Covered devices that run the version (or newer) or succeeded. */
  done: number;
  /** Covered, not done, past their deadline: they no longer hold up completion. */
  past_deadline: number;
  /** Covered devices still holding up completion. */
  pending: number;
}

/**
 * The figures of a rollout from its target's devices, their OTA state and their progress records
 * (records of devices it no longer covers still count in the stage totals: they happened).
 */
export function rolloutFigures(
  r: Rollout,
  devices: readonly DeviceRecord[],
  states: ReadonlyMap<string, DeviceOtaState>,
  progress: readonly RolloutDeviceProgress[],
  now: number,
): RolloutFigures {
  const f: RolloutFigures = { targeted: 0, in_target: 0, offered: 0, downloading: 0, succeeded: 0, failed: 0, failed_by_error: {}, done: 0, past_deadline: 0, pending: 0 };
  const byDevice = new Map<string, RolloutDeviceProgress>();
  for (const p of progress) {
    byDevice.set(p.device_id, p);
    f[p.stage]++;
    if (p.stage === 'failed') f.failed_by_error[errorCode(p.error)] = (f.failed_by_error[errorCode(p.error)] ?? 0) + 1;
  }
  const fullTarget = { ...r, steps: [{ percent: 100 }], step: 0 };
  for (const d of devices) {
    if (!covers(fullTarget, d)) continue;
    f.in_target++;
    if (!covers(r, d)) continue;
    f.targeted++;
    const running = states.get(d.device_id)?.current_version;
    const done = byDevice.get(d.device_id)?.stage === 'succeeded' || (running != null && semver.valid(running) !== null && semver.gte(running, r.version));
    if (done) f.done++;
    else if (now > (coveredSince(r, d) ?? now) + r.device_deadline_seconds * 1000) f.past_deadline++;
    else f.pending++;
  }
  return f;
}

/** The steering job completes a rollout at its last step once no covered device is pending. */
export function readyToComplete(r: Rollout, f: RolloutFigures): boolean {
  return r.status === 'active' && r.step === r.steps.length - 1 && f.targeted > 0 && f.pending === 0;
}
