/**
 * RolloutRepo contract, on every backend: create, get and list (in creation order); transitions
 * through the pure rules of rollouts.ts (a percent that only grows, pause, resume starting a new
 * window and step, advance, cancel; a finished rollout refuses changes; a no-op writes nothing);
 * results counted with the auto-pause rule and the device's stage; stages moving only forward;
 * delete refused once a device started; state surviving a restart. On PostgreSQL, two replicas on
 * one database: results reported to both all count, a threshold tripped by results arriving at
 * both at once pauses the rollout exactly once, a pause made on one replica reaches the other's
 * cached list, and stage updates raced from both never move a device back.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { ConflictError } from '../../../server/errors.ts';
import {
  advanceRollout,
  cancelRollout,
  patchRollout,
  pauseRollout,
  resumeRollout,
  upgradeRollout,
  type Rollout,
} from '../../../server/ota/rollouts.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const rollout = (id: string, over: Partial<Rollout> = {}): Rollout =>
  upgradeRollout({ id, version: '1.2.0', target: 'all', steps: [{ percent: 12.5 }], notes: 'canary', created_at: T, ...over });
const ok = { success: true, error: null };
const failed = (error = 'rolled_back: did not confirm') => ({ success: false, error });

async function conflict(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
    assert.unreachable(`expected ConflictError ${code}`);
  } catch (err) {
    assert.instance(err, ConflictError);
    assert.is((err as ConflictError).code, code);
  }
}

contract('create, get, list in creation order; an unknown id is undefined', async (store) => {
  const b = rollout('ro_b', { target: ['dev-2', 'dev-1'], steps: [{ target: 'tag:canary' }, { percent: 10, min_results: 3, soak_seconds: 60 }], created_at: T + 1 });
  assert.equal(await store.rollouts.create(rollout('ro_z')), rollout('ro_z'));
  await store.rollouts.create(b);
  await store.rollouts.create(rollout('constructor', { version: '2.0.0-rc.1', failure_threshold: 0.125 }));
  assert.equal(await store.rollouts.get('ro_b'), b);
  assert.is(await store.rollouts.get('nope'), undefined);
  assert.equal((await store.rollouts.list()).map((r) => r.id), ['ro_z', 'ro_b', 'constructor']);
  assert.equal((await store.rollouts.list())[2], rollout('constructor', { version: '2.0.0-rc.1', failure_threshold: 0.125 }));
});

contract('transitions: percent grows only, pause, resume starts over, advance, cancel; finished refuses; unknown is undefined', async (store) => {
  await store.rollouts.create(rollout('r'));
  let out = await store.rollouts.change('r', (r) => patchRollout(r, { percent: 50.25, target: ['x'] }, T + 1));
  assert.equal([out?.rollout.steps, out?.rollout.target, out?.rollout.updated_at], [[{ percent: 50.25 }], ['x'], T + 1]);
  await conflict(store.rollouts.change('r', (r) => patchRollout(r, { percent: 10 }, T + 2)), 'percent_decrease');
  await store.rollouts.recordResult('r', 'x', failed(), T + 2);
  out = await store.rollouts.change('r', (r) => pauseRollout(r, T + 3, 'manual'));
  assert.equal([out?.rollout.status, out?.rollout.paused_reason, out?.rollout.paused_at], ['paused', 'manual', T + 3]);
  assert.equal((await store.rollouts.change('r', (r) => pauseRollout(r, T + 4, 'manual')))?.changed, false, 'pausing a paused rollout');
  out = await store.rollouts.change('r', (r) => resumeRollout(r, T + 5));
  const r = out!.rollout;
  assert.equal([r.status, r.paused_reason, r.paused_at, r.window, r.step_results, r.results, r.steps_started], [
    'active',
    null,
    null,
    { successes: 0, failures: 0 },
    { successes: 0, failures: 0 },
    { successes: 0, failures: 1 },
    [T + 5],
  ]);
  assert.equal(await store.rollouts.get('r'), r);
  out = await store.rollouts.change('r', (x) => cancelRollout(x, T + 6));
  assert.equal([out?.rollout.status, out?.rollout.finished_at, out?.rollout.finish_reason], ['cancelled', T + 6, 'cancelled']);
  await conflict(store.rollouts.change('r', (x) => resumeRollout(x, T + 7)), 'rollout_finished');
  assert.equal((await store.rollouts.get('r'))?.updated_at, T + 6, 'the refusal wrote nothing');
  assert.is(await store.rollouts.change('nope', (x) => pauseRollout(x, T, 'manual')), undefined);

  await store.rollouts.create(rollout('steps', { steps: [{ percent: 1 }, { percent: 10 }, { percent: 100 }] }));
  out = await store.rollouts.change('steps', (x) => advanceRollout(x, T + 8, 0));
  assert.equal([out?.rollout.step, out?.rollout.steps_started], [1, [T, T + 8]]);
  assert.equal((await store.rollouts.change('steps', (x) => advanceRollout(x, T + 9, 0)))?.changed, false, 'advancing from a step it left');
  await conflict(store.rollouts.change('steps', (x) => patchRollout(x, { percent: 50 }, T + 9)), 'rollout_has_steps');
});

contract('recordResult counts results, moves the stage and pauses once the failure rate trips after min_results', async (store) => {
  await store.rollouts.create(rollout('r', { min_results: 4, failure_threshold: 0.5 }));
  const outcomes = [];
  for (const good of [true, false, false, true, false, false]) {
    outcomes.push(await store.rollouts.recordResult('r', `d${outcomes.length}`, good ? ok : failed(), T + outcomes.length));
  }
  assert.equal(outcomes.map((o) => o?.paused), [false, false, false, false, true, false]);
  const r = await store.rollouts.get('r');
  assert.equal([r?.status, r?.paused_reason, r?.paused_at, r?.results, r?.window, r?.step_results], [
    'paused',
    'failure_threshold',
    T + 4,
    { successes: 2, failures: 4 },
    { successes: 2, failures: 4 },
    { successes: 2, failures: 4 },
  ]);
  const progress = await store.rollouts.progress('r');
  assert.equal(progress.map((p) => [p.device_id, p.stage, p.error]).sort(), [
    ['d0', 'succeeded', null],
    ['d1', 'failed', 'rolled_back: did not confirm'],
    ['d2', 'failed', 'rolled_back: did not confirm'],
    ['d3', 'succeeded', null],
    ['d4', 'failed', 'rolled_back: did not confirm'],
    ['d5', 'failed', 'rolled_back: did not confirm'],
  ]);
  assert.is(await store.rollouts.recordResult('nope', 'd', ok, T), undefined);
});

contract('stages only move forward: offered → downloading → succeeded; a failed device may download again', async (store) => {
  await store.rollouts.create(rollout('r'));
  await store.rollouts.create(rollout('s'));
  const stage = async (id = 'r', device = 'd') => (await store.rollouts.progress(id)).find((p) => p.device_id === device)?.stage;
  await store.rollouts.noteStage('r', 'd', 'downloading', T);
  await store.rollouts.noteStage('r', 'd', 'offered', T + 1);
  assert.is(await stage(), 'downloading', 'offered does not move it back');
  await store.rollouts.recordResult('r', 'd', failed('chunk_hash: chunk 3'), T + 2);
  assert.is(await stage(), 'failed');
  await store.rollouts.noteStage('r', 'd', 'downloading', T + 3);
  assert.is(await stage(), 'downloading', 'a retry');
  await store.rollouts.recordResult('r', 'd', ok, T + 4);
  await store.rollouts.recordResult('r', 'd', failed(), T + 5);
  await store.rollouts.noteStage('r', 'd', 'downloading', T + 6);
  assert.is(await stage(), 'succeeded', 'a success is final');
  await store.rollouts.noteStage('s', 'd', 'offered', T);
  await store.rollouts.noteStage('nope', 'd', 'offered', T);
  assert.equal((await store.rollouts.deviceProgress('d')).map((p) => [p.rollout_id, p.stage]).sort(), [['r', 'succeeded'], ['s', 'offered']]);
  assert.equal(await store.rollouts.deviceProgress('other'), []);
});

contract('delete: only while no device started (offered is not started); unknown is undefined', async (store) => {
  await store.rollouts.create(rollout('fresh'));
  await store.rollouts.noteStage('fresh', 'd', 'offered', T);
  assert.is(await store.rollouts.delete('fresh'), 'deleted');
  assert.is(await store.rollouts.get('fresh'), undefined);
  assert.equal(await store.rollouts.progress('fresh'), []);
  await store.rollouts.create(rollout('started'));
  await store.rollouts.noteStage('started', 'd', 'downloading', T);
  assert.is(await store.rollouts.delete('started'), 'started');
  await store.rollouts.create(rollout('reported'));
  await store.rollouts.recordResult('reported', 'd', failed(), T);
  assert.is(await store.rollouts.delete('reported'), 'started');
  assert.equal((await store.rollouts.list()).map((r) => r.id), ['started', 'reported']);
  assert.is(await store.rollouts.delete('nope'), undefined);
});

contract('rollouts, counts and stages survive a restart', async (store, { reopen }) => {
  await store.rollouts.create(rollout('r', { steps: [{ percent: 1 }, { percent: 100, soak_seconds: 30 }] }));
  await store.rollouts.recordResult('r', 'd1', ok, T + 1);
  await store.rollouts.noteStage('r', 'd2', 'downloading', T + 1);
  await store.rollouts.change('r', (r) => advanceRollout(r, T + 2, 0));
  await store.close();
  const again = await reopen();
  const r = await again.rollouts.get('r');
  assert.equal([r?.step, r?.steps_started, r?.results.successes, r?.updated_at], [1, [T, T + 2], 1, T + 2]);
  assert.equal((await again.rollouts.list()).map((x) => x.id), ['r']);
  assert.equal((await again.rollouts.progress('r')).map((p) => [p.device_id, p.stage]), [['d1', 'succeeded'], ['d2', 'downloading']]);
});

contract(
  'two replicas: results reported to both all count; a threshold tripped at both at once pauses exactly once',
  async (a, { reopen }) => {
    const b = await reopen();
    await a.rollouts.create(rollout('count', { min_results: 1_000_000 }));
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).rollouts.recordResult('count', `d${i}`, i % 3 === 0 ? ok : failed(), T + i)));
    const counted = await b.rollouts.get('count');
    assert.equal(counted?.results, { successes: 20, failures: 40 });
    assert.is((await a.rollouts.progress('count')).length, 60);
    for (let n = 0; n < 20; n++) {
      await a.rollouts.create(rollout(`trip${n}`, { min_results: 4, failure_threshold: 0.5 }));
      await a.rollouts.recordResult(`trip${n}`, 'x', ok, T);
      await b.rollouts.recordResult(`trip${n}`, 'y', failed(), T);
      // Two failures arrive at once: either one alone makes 2 of 3 failed (no pause, 3 < 4), both make 3 of 4.
      const both = await Promise.all([a.rollouts.recordResult(`trip${n}`, 'z1', failed(), T + 1), b.rollouts.recordResult(`trip${n}`, 'z2', failed(), T + 1)]);
      assert.equal(both.map((o) => o?.paused).sort(), [false, true], `rollout trip${n} pauses once`);
      const late = await Promise.all([a.rollouts.recordResult(`trip${n}`, 'z3', failed(), T + 2), b.rollouts.recordResult(`trip${n}`, 'z4', failed(), T + 2)]);
      assert.equal(late.map((o) => o?.paused), [false, false], 'a paused rollout is not paused again');
      const r = await a.rollouts.get(`trip${n}`);
      assert.equal([r?.status, r?.paused_at, r?.results.failures], ['paused', T + 1, 5]);
    }
  },
  { only: ['postgres'] },
);

contract(
  "two replicas: a pause made on one reaches the other's list at once; raced stages never move back",
  async (a, { reopen }) => {
    const b = await reopen();
    await a.rollouts.create(rollout('r'));
    const deadline = Date.now() + 2000;
    while ((await b.rollouts.list()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.is((await b.rollouts.list())[0]?.status, 'active', 'b lists (and caches) r');
    await a.rollouts.change('r', (r) => pauseRollout(r, T + 1, 'manual'));
    while ((await b.rollouts.list())[0]?.status !== 'paused' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.is((await b.rollouts.list())[0]?.status, 'paused');
    for (let i = 0; i < 20; i++) {
      await Promise.all([a.rollouts.noteStage('r', `s${i}`, 'offered', T), b.rollouts.noteStage('r', `s${i}`, 'downloading', T), a.rollouts.recordResult('r', `s${i}`, ok, T)]);
    }
    assert.equal(new Set((await a.rollouts.progress('r')).map((p) => p.stage)), new Set(['succeeded']));
  },
  { only: ['postgres'] },
);

test.run();
