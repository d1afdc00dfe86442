/**
 * Rollout steps: how a plan is written (the zod schema the API validates with), the gates of a
 * step, and the steering job's decision for one rollout (steering.ts applies it).
 *
 * A step is `{"percent": p}` or `{"target": "tag:canary" | ids}`; every step but the first may
 * carry gates for entering it, judged on the results that arrived while the previous step was
 * current (or since the last resume):
 *   after_success  success rate needed (default 1 − the rollout's failure_threshold)
 *   min_results    results needed (default the rollout's min_results)
 *   soak_seconds   time the previous step must have run (default 0)
 * When the results and the soak are there, the rollout advances if the success rate is met and
 * pauses (`step_success_rate`) if not; otherwise it waits. Percents never decrease along a plan.
 */
import { z } from 'zod';
import { targetSchema } from '../devices/tags.ts';
import type { Rollout, RolloutStep } from './rollouts.ts';

export const MAX_STEPS = 20;

export const percentSchema = z
  .number()
  .min(0)
  .max(100)
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, 'at most two decimals');

const stepSchema = z
  .object({
    percent: percentSchema.optional(),
    target: targetSchema.optional(),
    after_success: z.number().min(0).max(1).optional(),
    min_results: z.number().int().min(0).max(1_000_000).optional(),
    soak_seconds: z.number().int().min(0).max(365 * 86_400).optional(),
  })
  .strict()
  .refine((s) => (s.percent === undefined) !== (s.target === undefined), 'a step has either "percent" or "target"');

export const stepsSchema = z
  .array(stepSchema)
  .min(1)
  .max(MAX_STEPS)
  .superRefine((steps, ctx) => {
    // zod runs this even when min(1) already failed: an empty plan must not throw here.
    const first = steps[0];
    if (first && (first.after_success !== undefined || first.min_results !== undefined || first.soak_seconds !== undefined)) {
      ctx.addIssue({ code: 'custom', path: [0], message: 'the first step starts at once: gates belong to the steps after it' });
    }
    let percent = -1;
    steps.forEach((s, i) => {
      if (s.percent === undefined) return;
      if (s.percent < percent) ctx.addIssue({ code: 'custom', path: [i, 'percent'], message: `percents never decrease (${s.percent} after ${percent})` });
      percent = s.percent;
    });
  });

export interface StepGates {
  after_success: number;
  min_results: number;
  soak_seconds: number;
}

/** The gates of entering step `index` (> 0), defaults filled in from the rollout. */
export function gatesOf(r: Pick<Rollout, 'steps' | 'failure_threshold' | 'min_results'>, index: number): StepGates {
  const s: RolloutStep = r.steps[index] ?? {};
  return {
    after_success: s.after_success ?? Math.round((1 - r.failure_threshold) * 10_000) / 10_000,
    min_results: s.min_results ?? r.min_results,
    soak_seconds: s.soak_seconds ?? 0,
  };
}

export type SteerDecision =
  | { action: 'none'; waiting_for: string[] }
  | { action: 'advance'; success_rate: number }
  | { action: 'pause'; success_rate: number; needed: number };

/** What the steering job does with an active rollout that has a next step. */
export function steerDecision(r: Rollout, now: number): SteerDecision {
  if (r.status !== 'active' || r.step >= r.steps.length - 1) return { action: 'none', waiting_for: [] };
  const gates = gatesOf(r, r.step + 1);
  const results = r.step_results.successes + r.step_results.failures;
  const waiting: string[] = [];
  if (results < gates.min_results) waiting.push(`${gates.min_results - results} more result${gates.min_results - results === 1 ? '' : 's'}`);
  const started = r.steps_started[r.step] ?? r.created_at;
  const soakLeft = Math.ceil((started + gates.soak_seconds * 1000 - now) / 1000);
  if (soakLeft > 0) waiting.push(`${soakLeft} s more soak`);
  if (waiting.length > 0) return { action: 'none', waiting_for: waiting };
  const rate = results === 0 ? 1 : r.step_results.successes / results;
  if (rate < gates.after_success) return { action: 'pause', success_rate: rate, needed: gates.after_success };
  return { action: 'advance', success_rate: rate };
}
