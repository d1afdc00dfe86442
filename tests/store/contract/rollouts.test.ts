/**
 * RolloutRepo contract, on every backend: create, get and list (in creation order); admin changes
 * (percent, target, manual pause, resume starting a new result window); results counted with the
 * auto-pause rule of rollouts.ts; state surviving a restart. On PostgreSQL, two replicas on one
 * database: results reported to both all count, a threshold tripped by results arriving at both at
 * once pauses the rollout exactly once, and a pause made on one replica reaches the other's
 * cached list.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { NotFoundError } from '../../../server/errors.ts';
import type { Rollout } from '../../../server/ota/rollouts.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 1);
const rollout = (id: string, over: Partial<Rollout> = {}): Rollout => ({
  id,
  version: '1.2.0',
  target: 'all',
  percent: 12.5,
  status: 'active',
  paused_reason: null,
  failure_threshold: 0.2,
  min_results: 5,
  results: { successes: 0, failures: 0 },
  window: { successes: 0, failures: 0 },
  notes: 'canary',
  created_at: T,
  updated_at: T,
  paused_at: null,
  ...over,
});

contract('create, get, list in creation order; an unknown id is undefined', async (store) => {
  const b = rollout('ro_b', { target: ['dev-2', 'dev-1'], percent: 100, created_at: T + 1 });
  assert.equal(await store.rollouts.create(rollout('ro_z')), rollout('ro_z'));
  await store.rollouts.create(b);
  await store.rollouts.create(rollout('constructor', { version: '2.0.0-rc.1', failure_threshold: 0.125 }));
  assert.equal(await store.rollouts.get('ro_b'), b);
  assert.is(await store.rollouts.get('nope'), undefined);
  assert.equal((await store.rollouts.list()).map((r) => r.id), ['ro_z', 'ro_b', 'constructor']);
  assert.equal((await store.rollouts.list())[2], rollout('constructor', { version: '2.0.0-rc.1', failure_threshold: 0.125 }));
});

contract('update: percent and target, manual pause, resume starts a new window; unknown id is a NotFoundError', async (store) => {
  await store.rollouts.create(rollout('r'));
  let r = await store.rollouts.update('r', { percent: 50.25, target: ['x'] }, T + 1);
  assert.equal([r.percent, r.target, r.updated_at], [50.25, ['x'], T + 1]);
  await store.rollouts.recordResult('r', false, T + 2);
  r = await store.rollouts.update('r', { status: 'paused' }, T + 3);
  assert.equal([r.status, r.paused_reason, r.paused_at], ['paused', 'manual', T + 3]);
  r = await store.rollouts.update('r', { status: 'active' }, T + 4);
  assert.equal([r.status, r.paused_reason, r.paused_at, r.window, r.results], ['active', null, null, { successes: 0, failures: 0 }, { successes: 0, failures: 1 }]);
  assert.equal(await store.rollouts.get('r'), r);
  try {
    await store.rollouts.update('nope', { percent: 1 }, T);
    assert.unreachable('expected NotFoundError');
  } catch (err) {
    assert.instance(err, NotFoundError);
  }
});

contract('recordResult counts results and pauses once the failure rate trips after min_results', async (store) => {
  await store.rollouts.create(rollout('r', { min_results: 4, failure_threshold: 0.5 }));
  const outcomes = [];
  for (const ok of [true, false, false, true, false, false]) outcomes.push(await store.rollouts.recordResult('r', ok, T + outcomes.length));
  assert.equal(outcomes.map((o) => o?.paused), [false, false, false, false, true, false]);
  const r = await store.rollouts.get('r');
  assert.equal([r?.status, r?.paused_reason, r?.paused_at, r?.results, r?.window], ['paused', 'failure_threshold', T + 4, { successes: 2, failures: 4 }, { successes: 2, failures: 4 }]);
  assert.is(await store.rollouts.recordResult('nope', true, T), undefined);
});

contract('rollouts and their counts survive a restart', async (store, { reopen }) => {
  await store.rollouts.create(rollout('r'));
  await store.rollouts.recordResult('r', true, T + 1);
  await store.rollouts.update('r', { percent: 30 }, T + 2);
  await store.close();
  const again = await reopen();
  const r = await again.rollouts.get('r');
  assert.equal([r?.percent, r?.results.successes, r?.updated_at], [30, 1, T + 2]);
  assert.equal((await again.rollouts.list()).map((x) => x.id), ['r']);
});

contract(
  'two replicas: results reported to both all count; a threshold tripped at both at once pauses exactly once',
  async (a, { reopen }) => {
    const b = await reopen();
    await a.rollouts.create(rollout('count', { min_results: 1_000_000 }));
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).rollouts.recordResult('count', i % 3 === 0, T + i)));
    const counted = await b.rollouts.get('count');
    assert.equal(counted?.results, { successes: 20, failures: 40 });
    for (let n = 0; n < 20; n++) {
      await a.rollouts.create(rollout(`trip${n}`, { min_results: 4, failure_threshold: 0.5 }));
      await a.rollouts.recordResult(`trip${n}`, true, T);
      await b.rollouts.recordResult(`trip${n}`, false, T);
      // Two failures arrive at once: either one alone makes 2 of 3 failed (no pause, 3 < 4), both make 3 of 4.
      const both = await Promise.all([a.rollouts.recordResult(`trip${n}`, false, T + 1), b.rollouts.recordResult(`trip${n}`, false, T + 1)]);
      assert.equal(both.map((o) => o?.paused).sort(), [false, true], `rollout trip${n} pauses once`);
      const late = await Promise.all([a.rollouts.recordResult(`trip${n}`, false, T + 2), b.rollouts.recordResult(`trip${n}`, false, T + 2)]);
      assert.equal(late.map((o) => o?.paused), [false, false], 'a paused rollout is not paused again');
      const r = await a.rollouts.get(`trip${n}`);
      assert.equal([r?.status, r?.paused_at, r?.results.failures], ['paused', T + 1, 5]);
    }
  },
  { only: ['postgres'] },
);

contract(
  "two replicas: a pause made on one reaches the other's list at once (no stale cache)",
  async (a, { reopen }) => {
    const b = await reopen();
    await a.rollouts.create(rollout('r'));
    const deadline = Date.now() + 2000;
    while ((await b.rollouts.list()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.is((await b.rollouts.list())[0]?.status, 'active', 'b lists (and caches) r');
    await a.rollouts.update('r', { status: 'paused' }, T + 1);
    while ((await b.rollouts.list())[0]?.status !== 'paused' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.is((await b.rollouts.list())[0]?.status, 'paused');
  },
  { only: ['postgres'] },
);

test.run();
