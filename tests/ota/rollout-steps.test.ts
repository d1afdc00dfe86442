/**
 * The pure rules of rollout steps (server/ota/rollout-steps.ts) and of the rollout state machine
 * (rollouts.ts), each on its own: gates and their defaults, waiting for results and soak, advancing
 * when they are met, pausing when the success rate falls short, a finished rollout refusing
 * changes, coverage at each step, the deadline clock of each device, and the upgrade of a rollout
 * an older gateway stored.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConflictError } from '../../server/errors.ts';
import { gatesOf, steerDecision, stepsSchema } from '../../server/ota/rollout-steps.ts';
import {
  advanceRollout,
  afterResult,
  cancelRollout,
  completeRollout,
  coveredSince,
  covers,
  currentPercent,
  pauseRollout,
  resumeRollout,
  upgradeRollout,
  type Rollout,
} from '../../server/ota/rollouts.ts';
import type { DeviceRecord } from '../../server/store/types.ts';

const T = Date.UTC(2026, 0, 1);
const plan = (over: Partial<Rollout> = {}): Rollout =>
  upgradeRollout({
    id: 'ro_plan',
    version: '2.0.0',
    steps: [{ target: 'tag:canary' }, { percent: 10, after_success: 0.95, min_results: 5, soak_seconds: 3600 }, { percent: 100 }],
    created_at: T,
    ...over,
  });
const withResults = (r: Rollout, ok: number, bad: number): Rollout => ({ ...r, step_results: { successes: ok, failures: bad } });
const device = (id: string, tags: string[] = []): DeviceRecord => ({ device_id: id, created_at: '', key_mode: 'derived', key_version: 1, tags });

test('gates: a step says what it needs; unsaid gates default to the rollout (1 − failure threshold, its min_results, no soak)', () => {
  const r = plan({ failure_threshold: 0.1, min_results: 7 });
  assert.equal(gatesOf(r, 1), { after_success: 0.95, min_results: 5, soak_seconds: 3600 });
  assert.equal(gatesOf(r, 2), { after_success: 0.9, min_results: 7, soak_seconds: 0 });
});

test('steer: waits for the results and the soak, names what it waits for', () => {
  const r = plan();
  assert.equal(steerDecision(withResults(r, 4, 0), T + 10_000), { action: 'none', waiting_for: ['1 more result', '3590 s more soak'] });
  assert.equal(steerDecision(withResults(r, 5, 0), T + 3_599_000), { action: 'none', waiting_for: ['1 s more soak'] });
  assert.equal(steerDecision(withResults(r, 2, 0), T + 3_600_000), { action: 'none', waiting_for: ['3 more results'] });
});

test('steer: advances once results, success rate and soak are met; pauses when the success rate falls short', () => {
  const r = plan();
  assert.equal(steerDecision(withResults(r, 19, 1), T + 3_600_000), { action: 'advance', success_rate: 0.95 });
  assert.equal(steerDecision(withResults(r, 9, 1), T + 3_600_000), { action: 'pause', success_rate: 0.9, needed: 0.95 });
  assert.equal(steerDecision({ ...withResults(r, 9, 1), status: 'paused' }, T + 3_600_000), { action: 'none', waiting_for: [] }, 'only active rollouts');
  const last = { ...r, step: 2 };
  assert.equal(steerDecision(last, T + 10 ** 9), { action: 'none', waiting_for: [] }, 'nothing after the last step');
  const noEvidence = plan({ steps: [{ percent: 1 }, { percent: 100, min_results: 0 }] });
  assert.equal(steerDecision(noEvidence, T), { action: 'advance', success_rate: 1 }, 'min_results 0: an explicit choice');
});

test('advance: the next step from the one decided on, with a fresh step window; never twice, never from a stale step', () => {
  const r = withResults(plan(), 5, 0);
  const next = advanceRollout(r, T + 5, 0);
  assert.equal([next.changed, next.rollout.step, next.rollout.steps_started, next.rollout.step_results], [true, 1, [T, T + 5], { successes: 0, failures: 0 }]);
  assert.is(advanceRollout(next.rollout, T + 6, 0).changed, false, 'decided at step 0, already at step 1');
  assert.is(advanceRollout({ ...next.rollout, status: 'paused' }, T + 6, 1).changed, false, 'an admin paused it meanwhile');
  assert.is(advanceRollout({ ...r, step: 2 }, T + 6, 2).changed, false);
});

test('coverage: a target step, then percent steps; only ever growing; revoked devices never', () => {
  const r = plan();
  const fleet = Array.from({ length: 2000 }, (_, i) => device(`d${i}`, i % 50 === 0 ? ['canary'] : []));
  const at = (step: number) => new Set(fleet.filter((d) => covers(r, d, step)).map((d) => d.device_id));
  const [s0, s1, s2] = [at(0), at(1), at(2)];
  assert.is(s0.size, 40);
  for (const id of s0) assert.ok(s1.has(id) && s2.has(id));
  for (const id of s1) assert.ok(s2.has(id));
  assert.ok(s1.size > 40 + 150 && s1.size < 40 + 250, `${s1.size}`);
  assert.is(s2.size, 2000);
  assert.equal([currentPercent(r), currentPercent({ ...r, step: 1 })], [0, 10]);
  assert.not.ok(covers(r, { ...device('x', ['canary']), revoked_at: '2026-01-01' }));
  const onlyLab = { ...r, target: 'tag:lab' as const };
  assert.is(fleet.filter((d) => covers(onlyLab, d, 2)).length, 0, 'steps select within the rollout target');
});

test('deadline clock: a device is covered from the start of the first step that selected it', () => {
  const r = { ...plan(), step: 2, steps_started: [T, T + 1000, T + 2000] };
  const canary = device('c', ['canary']);
  assert.is(coveredSince(r, canary), T);
  const later = Array.from({ length: 500 }, (_, i) => device(`p${i}`)).find((d) => !covers(r, d, 1))!;
  assert.is(coveredSince(r, later), T + 2000);
  assert.is(coveredSince({ ...r, target: ['only'] }, later), null);
});

test('states: pause and resume (a fresh window and step), cancel from any state, complete only at the last step; finished refuses', () => {
  let r = afterResult(plan(), false, T + 1).rollout;
  r = pauseRollout(r, T + 2, 'manual').rollout;
  assert.equal([r.status, r.paused_reason], ['paused', 'manual']);
  r = resumeRollout(r, T + 3).rollout;
  assert.equal([r.status, r.window, r.step_results, r.steps_started, r.results.failures], ['active', { successes: 0, failures: 0 }, { successes: 0, failures: 0 }, [T + 3], 1]);
  assert.is(completeRollout(r, T + 4).changed, false, 'not at the last step');
  const done = completeRollout({ ...r, step: 2 }, T + 4).rollout;
  assert.equal([done.status, done.finish_reason, done.finished_at], ['completed', 'all_devices_done', T + 4]);
  for (const finished of [done, cancelRollout(r, T + 5).rollout]) {
    for (const change of [() => pauseRollout(finished, T, 'manual'), () => resumeRollout(finished, T)]) {
      try {
        change();
        assert.unreachable('a finished rollout changed');
      } catch (err) {
        assert.instance(err, ConflictError);
        assert.is((err as ConflictError).code, 'rollout_finished');
      }
    }
  }
  const cancelled = cancelRollout(done, T + 6, 'release_yanked');
  assert.equal([cancelled.changed, cancelled.rollout.status, cancelled.rollout.finish_reason], [true, 'cancelled', 'release_yanked'], 'a completed rollout can be cancelled (it stops offering)');
  assert.is(cancelRollout(cancelled.rollout, T + 7).changed, false);
});

test('auto-pause: judged on the window after min_results; only an active rollout pauses', () => {
  let r = plan({ min_results: 3, failure_threshold: 0.5 });
  r = afterResult(r, false, T).rollout;
  r = afterResult(r, false, T).rollout;
  const third = afterResult(r, true, T);
  assert.equal([third.paused, third.rollout.status, third.rollout.paused_reason], [true, 'paused', 'failure_threshold']);
  assert.is(afterResult(third.rollout, false, T).paused, false);
  assert.equal(third.rollout.step_results, { successes: 1, failures: 2 }, 'the step window counts too');
});

test('plans: percents never decrease, a step is a percent or a target, the first has no gates, gates within range', () => {
  const ok = (steps: unknown) => stepsSchema.safeParse(steps).success;
  assert.ok(ok([{ target: 'tag:canary' }, { percent: 1 }, { percent: 10, after_success: 0.95, min_results: 5, soak_seconds: 3600 }, { percent: 100 }]));
  assert.ok(ok([{ target: ['a', 'b'] }, { target: 'tag:lab', min_results: 2 }]));
  for (const bad of [[], [{ percent: 10 }, { percent: 5 }], [{ percent: 10, target: 'all' }], [{}], [{ percent: 1, soak_seconds: 5 }], [{ percent: 1 }, { percent: 2, after_success: 1.5 }], [{ percent: 1 }, { percent: 2, extra: 1 }]]) {
    assert.not.ok(ok(bad), JSON.stringify(bad));
  }
  assert.not.ok(ok(Array.from({ length: 21 }, () => ({ percent: 100 }))), 'at most 20 steps');
});

test('an older gateway stored one percent and no steps: it reads as a one-step plan started at creation', () => {
  const old = upgradeRollout({ id: 'ro_old', version: '1.0.0', percent: 30, created_at: T, window: { successes: 2, failures: 1 } } as never);
  assert.equal([old.steps, old.step, old.steps_started, old.step_results, old.status, old.finished_at], [[{ percent: 30 }], 0, [T], { successes: 2, failures: 1 }, 'active', null]);
});

test.run();
