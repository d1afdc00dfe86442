/**
 * Rollouts behind the routes: create (a published release, a target, a plan of steps), list and
 * show with their figures, the admin's steering (pause, resume, cancel, a wider percent, a new
 * target, delete while no device has started), and the steering job (`steer`, run under
 * `store.exclusive('rollouts')` every ROLLOUT_STEER_INTERVAL_SECONDS: one replica at a time)
 * that advances steps whose gates are met, pauses those whose success rate falls short, completes
 * rollouts whose covered devices are all done and cancels those whose release was yanked. Every
 * change is one audit record: the admin's token, or `system` for the job and the auto-pause.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../audit/log.ts';
import type { AppContext } from '../context.ts';
import { targetSchema, type Target } from '../devices/tags.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseWith } from '../http/validate.ts';
import type { DeviceRecord } from '../store/types.ts';
import type { ReleaseIndex } from './offers.ts';
import { readyToComplete, rolloutFigures, type RolloutFigures } from './rollout-progress.ts';
import { gatesOf, percentSchema, stepsSchema, steerDecision } from './rollout-steps.ts';
import {
  advanceRollout,
  cancelRollout,
  completeRollout,
  covers,
  currentPercent,
  patchRollout,
  pauseRollout,
  resumeRollout,
  type Rollout,
  type RolloutChange,
} from './rollouts.ts';
import type { RolloutRepo } from './rollouts-repo.ts';
import { semverString } from './service.ts';

export const createRolloutSchema = z
  .object({
    version: semverString,
    target: targetSchema.optional(),
    /** The older name of `target`. */
    devices: targetSchema.optional(),
    percent: percentSchema.optional(),
    steps: stepsSchema.optional(),
    failure_threshold: z.number().min(0).max(1).optional(),
    min_results: z.number().int().min(1).max(1_000_000).optional(),
    device_deadline_seconds: z.number().int().min(60).max(365 * 86_400).optional(),
    notes: z.string().max(500).default(''),
  })
  .strict()
  .refine((b) => (b.target === undefined) !== (b.devices === undefined), { message: 'send "target": "all", "tag:<tag>" or device ids', path: ['target'] })
  .refine((b) => b.percent === undefined || b.steps === undefined, { message: 'send "percent" or "steps", not both', path: ['steps'] });

export const patchRolloutSchema = z
  .object({
    percent: percentSchema.optional(),
    status: z.enum(['active', 'paused']).optional(),
    target: targetSchema.optional(),
    devices: targetSchema.optional(),
  })
  .strict()
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'send "percent", "status" or "target"');

export interface RolloutDeps {
  releases(): Promise<ReleaseIndex>;
  /** The version's current build is a published release (throws 404 / 409 otherwise). */
  requirePublished(version: string): Promise<void>;
}

export class RolloutService {
  constructor(
    private readonly ctx: AppContext,
    readonly repo: RolloutRepo,
    private readonly deps: RolloutDeps,
  ) {}

  private now(): number {
    return this.ctx.clock.now();
  }

  private async fleet(): Promise<DeviceRecord[]> {
    return (await this.ctx.store.devices.list()).filter((d) => !d.revoked_at);
  }

  /** Listed ids must be registered devices (404 names the first unknown one). */
  private async requireKnownDevices(...targets: (Target | undefined)[]): Promise<void> {
    const ids = targets.flatMap((t) => (Array.isArray(t) ? t : []));
    if (ids.length === 0) return;
    const known = new Set((await this.ctx.store.devices.list()).map((d) => d.device_id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new NotFoundError(`unknown device ${unknown[0]}${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''}`, 'unknown_device');
  }

  private async audit(actor: Actor, action: string, r: Rollout, extra: Record<string, unknown> = {}): Promise<void> {
    await this.ctx.audit.record({
      actor,
      action,
      details: { rollout_id: r.id, version: r.version, status: r.status, step: r.step, percent: currentPercent(r), ...extra },
    });
  }

  async create(body: unknown, by: Actor) {
    const b = parseWith(createRolloutSchema, body);
    await this.deps.requirePublished(b.version);
    const target = (b.target ?? b.devices)!;
    const steps = b.steps ?? [{ percent: b.percent ?? 100 }];
    await this.requireKnownDevices(target, ...steps.map((s) => s.target));
    const now = this.now();
    const r = await this.repo.create({
      id: `ro_${randomBytes(6).toString('hex')}`,
      version: b.version,
      target,
      steps,
      step: 0,
      steps_started: [now],
      status: 'active',
      paused_reason: null,
      failure_threshold: b.failure_threshold ?? this.ctx.config.ROLLOUT_FAILURE_THRESHOLD,
      min_results: b.min_results ?? this.ctx.config.ROLLOUT_MIN_RESULTS,
      device_deadline_seconds: b.device_deadline_seconds ?? this.ctx.config.ROLLOUT_DEVICE_DEADLINE_SECONDS,
      results: { successes: 0, failures: 0 },
      window: { successes: 0, failures: 0 },
      step_results: { successes: 0, failures: 0 },
      notes: b.notes,
      created_at: now,
      updated_at: now,
      paused_at: null,
      finished_at: null,
      finish_reason: null,
    });
    await this.audit(by, 'rollout.created', r, { target: r.target, steps: r.steps.length });
    this.ctx.logger.info({ rollout_id: r.id, version: r.version, target: r.target, steps: r.steps.length }, 'rollout created');
    return this.view(r, await this.fleet());
  }

  async list() {
    const [fleet, rollouts] = await Promise.all([this.fleet(), this.repo.list()]);
    return rollouts.map((r) => this.view(r, fleet));
  }

  private async require(id: string): Promise<Rollout> {
    const r = await this.repo.get(id);
    if (!r) throw new NotFoundError(`rollout ${id} not found`, 'rollout_not_found');
    return r;
  }

  async show(id: string) {
    const r = await this.require(id);
    const fleet = await this.fleet();
    return { ...this.view(r, fleet), figures: await this.figures(r, fleet) };
  }

  async figures(r: Rollout, fleet: readonly DeviceRecord[]): Promise<RolloutFigures & { failure_rate: number; failure_threshold: number }> {
    const [states, progress] = await Promise.all([this.ctx.store.otaState.devices(), this.repo.progress(r.id)]);
    const f = rolloutFigures(r, fleet, new Map(states.map((s) => [s.device_id, s])), progress, this.now());
    const total = r.window.successes + r.window.failures;
    return { ...f, failure_rate: total ? round(r.window.failures / total) : 0, failure_threshold: r.failure_threshold };
  }

  /** Applies an admin transition; 404 for an unknown id; one audit record when it changed something. */
  private async steerBy(id: string, by: Actor, action: string, rule: (r: Rollout) => RolloutChange) {
    const out = await this.repo.change(id, rule);
    if (!out) throw new NotFoundError(`rollout ${id} not found`, 'rollout_not_found');
    if (out.changed) {
      await this.audit(by, action, out.rollout);
      this.ctx.logger.info({ rollout_id: id, status: out.rollout.status, by }, action.replace('.', ' '));
    }
    return { ...this.view(out.rollout, await this.fleet()), changed: out.changed };
  }

  pause(id: string, by: Actor) {
    return this.steerBy(id, by, 'rollout.paused', (r) => pauseRollout(r, this.now(), 'manual'));
  }

  resume(id: string, by: Actor) {
    return this.steerBy(id, by, 'rollout.resumed', (r) => resumeRollout(r, this.now()));
  }

  cancel(id: string, by: Actor) {
    return this.steerBy(id, by, 'rollout.cancelled', (r) => cancelRollout(r, this.now()));
  }

  async patch(id: string, body: unknown, by: Actor) {
    const p = parseWith(patchRolloutSchema, body);
    if (p.target !== undefined && p.devices !== undefined) throw new ValidationError('target: send "target" or "devices", not both', 'invalid_request', { field: 'target' });
    const target = p.target ?? p.devices;
    await this.requireKnownDevices(target);
    if (p.status === 'paused' && p.percent === undefined && target === undefined) return this.pause(id, by);
    if (p.status === 'active' && p.percent === undefined && target === undefined) return this.resume(id, by);
    const now = this.now();
    return this.steerBy(id, by, 'rollout.updated', (r) => {
      let out = patchRollout(r, { percent: p.percent, target }, now);
      if (p.status === 'paused') out = { rollout: pauseRollout(out.rollout, now, 'manual').rollout, changed: true };
      if (p.status === 'active') out = { rollout: resumeRollout(out.rollout, now).rollout, changed: true };
      return out;
    });
  }

  async delete(id: string, by: Actor) {
    const r = await this.require(id);
    const out = await this.repo.delete(id);
    if (out === undefined) throw new NotFoundError(`rollout ${id} not found`, 'rollout_not_found');
    if (out === 'started') {
      throw new ConflictError(`devices have started on rollout ${id}: it stays in the history (cancel it to stop it)`, 'rollout_started');
    }
    await this.audit(by, 'rollout.deleted', r);
    return { success: true, deleted: id };
  }

  // ------------------------------------------------------------------------------------------
  // The steering job

  /** One pass over every rollout; what it did, for logs and tests. */
  async steer(): Promise<{ advanced: string[]; paused: string[]; completed: string[]; cancelled: string[] }> {
    const done = { advanced: [] as string[], paused: [] as string[], completed: [] as string[], cancelled: [] as string[] };
    const [rollouts, releases] = await Promise.all([this.repo.list(), this.deps.releases()]);
    let fleet: DeviceRecord[] | undefined;
    for (const listed of rollouts) {
      if (listed.status === 'cancelled') continue;
      const now = this.now();
      const yanked = releases.all.some((x) => x.version === listed.version && x.state === 'yanked') && !releases.all.some((x) => x.version === listed.version && x.state === 'published');
      if (yanked) {
        if (await this.system(listed.id, 'rollout.cancelled', (r) => cancelRollout(r, now, 'release_yanked'), { reason: 'release_yanked' })) done.cancelled.push(listed.id);
        continue;
      }
      if (listed.status !== 'active') continue;
      const decision = steerDecision(listed, now);
      if (decision.action === 'advance') {
        const from = listed.step;
        if (await this.system(listed.id, 'rollout.advanced', (r) => advanceRollout(r, now, from), { from_step: from, success_rate: round(decision.success_rate) })) done.advanced.push(listed.id);
        continue;
      }
      if (decision.action === 'pause') {
        const extra = { reason: 'step_success_rate', success_rate: round(decision.success_rate), needed: decision.needed };
        if (await this.system(listed.id, 'rollout.paused', (r) => (r.step === listed.step ? pauseRollout(r, now, 'step_success_rate') : { rollout: r, changed: false }), extra)) {
          this.ctx.logger.warn({ rollout_id: listed.id, ...extra }, 'rollout paused: the step success rate is below what the next step needs');
          done.paused.push(listed.id);
        }
        continue;
      }
      if (listed.step !== listed.steps.length - 1) continue;
      fleet ??= await this.fleet();
      const f = await this.figures(listed, fleet);
      if (readyToComplete(listed, f)) {
        const extra = { done: f.done, past_deadline: f.past_deadline, targeted: f.targeted };
        if (await this.system(listed.id, 'rollout.completed', (r) => completeRollout(r, now), extra)) done.completed.push(listed.id);
      }
    }
    return done;
  }

  /** A change by the gateway itself: audited as `system` when it changed something. */
  private async system(id: string, action: string, rule: (r: Rollout) => RolloutChange, extra: Record<string, unknown>): Promise<boolean> {
    const out = await this.repo.change(id, (r) => (r.status === 'cancelled' ? { rollout: r, changed: false } : rule(r)));
    if (!out?.changed) return false;
    await this.audit('system', action, out.rollout, extra);
    this.ctx.logger.info({ rollout_id: id, action, ...extra }, 'rollout steered');
    return true;
  }

  /** A result reported by a device, counted on `rolloutId`; an auto-pause is audited as `system`. */
  async recordResult(rolloutId: string, deviceId: string, report: { success: boolean; error: string | null }) {
    const out = await this.repo.recordResult(rolloutId, deviceId, report, this.now());
    if (out?.paused) {
      const w = out.rollout.window;
      const extra = { reason: 'failure_threshold', failures: w.failures, results: w.successes + w.failures, threshold: out.rollout.failure_threshold };
      await this.audit('system', 'rollout.paused', out.rollout, extra);
      this.ctx.logger.warn({ rollout_id: rolloutId, ...extra }, 'rollout paused: failure rate above threshold');
    }
    return out?.rollout;
  }

  /** The rollout as the admin API shows it (`fleet`: the active devices, for the coverage counts). */
  view(r: Rollout, fleet?: readonly DeviceRecord[]) {
    const total = r.results.successes + r.results.failures;
    const windowTotal = r.window.successes + r.window.failures;
    const iso = (ms: number) => new Date(ms).toISOString();
    const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
    const next = r.step < r.steps.length - 1 ? { index: r.step + 1, ...r.steps[r.step + 1], gates: gatesOf(r, r.step + 1) } : null;
    const decision = steerDecision(r, this.now());
    return {
      id: r.id,
      version: r.version,
      target: r.target,
      devices: r.target,
      percent: currentPercent(r),
      steps: r.steps,
      step: {
        index: r.step,
        of: r.steps.length,
        started_at: iso(r.steps_started[r.step] ?? r.created_at),
        results: { ...r.step_results, total: r.step_results.successes + r.step_results.failures },
        next,
        waiting_for: decision.action === 'none' ? decision.waiting_for : [],
      },
      status: r.status,
      paused_reason: r.paused_reason,
      failure_threshold: r.failure_threshold,
      min_results: r.min_results,
      device_deadline_seconds: r.device_deadline_seconds,
      results: { ...r.results, total, failure_rate: total ? round(r.results.failures / total) : 0 },
      window: { ...r.window, total: windowTotal, failure_rate: windowTotal ? round(r.window.failures / windowTotal) : 0 },
      notes: r.notes,
      created_at: iso(r.created_at),
      updated_at: iso(r.updated_at),
      paused_at: isoOrNull(r.paused_at),
      finished_at: isoOrNull(r.finished_at),
      finish_reason: r.finish_reason,
      ...(fleet ? { covered_devices: fleet.filter((d) => covers(r, d)).length, fleet_devices: fleet.length } : {}),
    };
  }
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
