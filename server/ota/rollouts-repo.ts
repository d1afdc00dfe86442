/**
 * Where rollouts live, as an interface every store implements (server/store/): one method per
 * read-modify-write, so a SQL store makes each one transaction (recordResult counts a result and
 * applies the auto-pause rule of rollouts.ts atomically, whichever gateway the device reported to).
 */
import type { Rollout, RolloutPatch } from './rollouts.ts';

export interface RolloutRepo {
  list(): Promise<Rollout[]>;
  get(id: string): Promise<Rollout | undefined>;
  create(rollout: Rollout): Promise<Rollout>;
  /** Throws NotFoundError for an unknown id. */
  update(id: string, patch: RolloutPatch, now: number): Promise<Rollout>;
  /** Count one device result; pauses the rollout when its failure threshold trips. */
  recordResult(id: string, success: boolean, now: number): Promise<{ rollout: Rollout; paused: boolean } | undefined>;
}
