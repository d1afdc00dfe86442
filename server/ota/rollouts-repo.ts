/**
 * Where rollouts and their per-device progress live, as an interface every store implements
 * (server/store/): one method per read-modify-write, so a SQL store makes each one transaction.
 * Every change applies a pure rule of rollouts.ts under the rollout's lock (`change`), so an
 * admin's pause and the steering job's advance, or results reported to two replicas, never
 * overwrite each other; `recordResult` counts a result, moves the device's stage and applies the
 * auto-pause atomically.
 */
import type { DeviceStage, RolloutDeviceProgress } from './rollout-progress.ts';
import type { Rollout, RolloutChange } from './rollouts.ts';

export interface RolloutRepo {
  /** Every rollout in creation order (on the hot path: stores answer it from memory). */
  list(): Promise<Rollout[]>;
  get(id: string): Promise<Rollout | undefined>;
  create(rollout: Rollout): Promise<Rollout>;
  /** Applies `rule` under the rollout's lock; undefined for an unknown id (the rule's errors propagate, nothing written). */
  change(id: string, rule: (r: Rollout) => RolloutChange): Promise<RolloutChange | undefined>;
  /**
   * Counts one device result and records the device's stage (succeeded, or failed with `error`);
   * pauses the rollout when its failure threshold trips. Undefined for an unknown id.
   */
  recordResult(id: string, deviceId: string, report: { success: boolean; error: string | null }, now: number): Promise<{ rollout: Rollout; paused: boolean } | undefined>;
  /** Moves the device to `stage` if the rules of rollout-progress.ts allow it (idempotent; an unknown rollout is ignored). */
  noteStage(id: string, deviceId: string, stage: Extract<DeviceStage, 'offered' | 'downloading'>, now: number): Promise<void>;
  /** Every device record of one rollout. */
  progress(id: string): Promise<RolloutDeviceProgress[]>;
  /** One device's records, in every rollout. */
  deviceProgress(deviceId: string): Promise<RolloutDeviceProgress[]>;
  /**
   * Deletes a rollout no device has started (no result, no device past `offered`), with its
   * records: 'started' (nothing deleted) otherwise, undefined for an unknown id.
   */
  delete(id: string): Promise<'deleted' | 'started' | undefined>;
}
