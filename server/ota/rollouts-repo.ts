/**
 * Where rollouts live: the RolloutRepo interface (one method per read-modify-write, so a SQL store
 * makes each one statement — e.g. recordResult is one UPDATE whose CASE applies the auto-pause
 * rule) and its lowdb implementation, DATA_DIR/ota-rollouts.json. Rules are in rollouts.ts.
 */
import { join } from 'node:path';
import { NotFoundError } from '../errors.ts';
import { JsonDocument } from '../store/json-document.ts';
import { afterResult, applyPatch, type Rollout, type RolloutPatch } from './rollouts.ts';

export interface RolloutRepo {
  list(): Rollout[];
  get(id: string): Rollout | undefined;
  create(rollout: Rollout): Promise<Rollout>;
  /** Throws NotFoundError for an unknown id. */
  update(id: string, patch: RolloutPatch, now: number): Promise<Rollout>;
  /** Count one device result; pauses the rollout when its failure threshold trips. */
  recordResult(id: string, success: boolean, now: number): Promise<{ rollout: Rollout; paused: boolean } | undefined>;
}

interface RolloutDoc {
  rollouts: Rollout[];
}

export class LowdbRolloutRepo implements RolloutRepo {
  private constructor(private readonly doc: JsonDocument<RolloutDoc>) {}

  static async open(dataDir: string): Promise<LowdbRolloutRepo> {
    return new LowdbRolloutRepo(await JsonDocument.open<RolloutDoc>(join(dataDir, 'ota-rollouts.json'), { rollouts: [] }));
  }

  list(): Rollout[] {
    return this.doc.data.rollouts;
  }

  get(id: string): Rollout | undefined {
    return this.doc.data.rollouts.find((r) => r.id === id);
  }

  create(rollout: Rollout): Promise<Rollout> {
    return this.doc.mutate((d) => {
      d.rollouts.push(rollout);
      return rollout;
    });
  }

  update(id: string, patch: RolloutPatch, now: number): Promise<Rollout> {
    return this.doc.mutate((d) => {
      const i = indexOf(d, id);
      d.rollouts[i] = applyPatch(d.rollouts[i]!, patch, now);
      return d.rollouts[i]!;
    });
  }

  recordResult(id: string, success: boolean, now: number) {
    return this.doc.mutate((d) => {
      const i = d.rollouts.findIndex((r) => r.id === id);
      if (i < 0) return undefined;
      const out = afterResult(d.rollouts[i]!, success, now);
      d.rollouts[i] = out.rollout;
      return out;
    });
  }
}

function indexOf(d: RolloutDoc, id: string): number {
  const i = d.rollouts.findIndex((r) => r.id === id);
  if (i < 0) throw new NotFoundError(`rollout ${id} not found`, 'rollout_not_found');
  return i;
}
