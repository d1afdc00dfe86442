/**
 * The embedded RolloutRepo: every rollout in one lowdb document, DATA_DIR/ota-rollouts.json.
 */
import { join } from 'node:path';
import { NotFoundError } from '../../errors.ts';
import type { RolloutRepo } from '../../ota/rollouts-repo.ts';
import { afterResult, applyPatch, type Rollout, type RolloutPatch } from '../../ota/rollouts.ts';
import { JsonDocument } from './json-document.ts';

interface RolloutDoc {
  rollouts: Rollout[];
}

export class LowdbRolloutRepo implements RolloutRepo {
  private constructor(private readonly doc: JsonDocument<RolloutDoc>) {}

  static async open(dataDir: string): Promise<LowdbRolloutRepo> {
    return new LowdbRolloutRepo(await JsonDocument.open<RolloutDoc>(join(dataDir, 'ota-rollouts.json'), { rollouts: [] }));
  }

  async list(): Promise<Rollout[]> {
    return this.doc.data.rollouts;
  }

  async get(id: string): Promise<Rollout | undefined> {
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
