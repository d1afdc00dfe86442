/**
 * SecurityStatsRepo contract, on every backend: `since` set on first use and kept, every outcome
 * counter added fleet-wide and per device, a restart — and two replicas (one store for embedded)
 * adding at once: the totals add up.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { OUTCOMES, zeroCounters, type Counters, type StatsDelta } from '../../../server/security/stats.ts';
import { contract } from './backends.ts';

const T = Date.UTC(2026, 0, 10, 12);

/** Counters with a different value for each outcome (so a column mixed up shows). */
function counts(scale: number): Counters {
  const c = zeroCounters();
  OUTCOMES.forEach((o, i) => (c[o] = scale * (i + 1)));
  c.total = OUTCOMES.reduce((n, o) => n + c[o], 0);
  return c;
}

const delta = (scale: number, devices: Record<string, number>): StatsDelta => ({
  fleet: counts(scale),
  devices: new Map(Object.entries(devices).map(([id, s]) => [id, counts(s)])),
});

contract('since is set on first load and kept; adds accumulate per outcome, fleet-wide and per device', async (store) => {
  const empty = await store.securityStats.load(T);
  assert.equal(empty, { since: new Date(T).toISOString(), fleet: zeroCounters(), devices: new Map() });
  await store.securityStats.add(delta(1, { a: 1, constructor: 2 }));
  await store.securityStats.add(delta(2, { a: 3, b: 1 }));
  await store.securityStats.add({ fleet: counts(1), devices: new Map() });
  const s = await store.securityStats.load(T + 5000);
  assert.is(s.since, new Date(T).toISOString());
  assert.equal(s.fleet, counts(4));
  assert.equal(new Map([...s.devices].sort()), new Map([['a', counts(4)], ['b', counts(1)], ['constructor', counts(2)]]));
});

contract('totals survive a restart', async (store, { reopen }) => {
  await store.securityStats.load(T);
  await store.securityStats.add(delta(1, { a: 1 }));
  await store.close();
  const again = await reopen();
  const s = await again.securityStats.load(T + 1);
  assert.equal([s.since, s.fleet, s.devices.get('a')], [new Date(T).toISOString(), counts(1), counts(1)]);
});

contract('two replicas adding at once: the totals add up', async (a, { replica }) => {
  const b = await replica();
  await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).securityStats.add(delta(1, { [`d${i % 5}`]: 1, shared: 2 }))));
  const s = await b.securityStats.load(T);
  assert.equal(s.fleet, counts(40));
  assert.equal(s.devices.get('shared'), counts(80));
  assert.equal(s.devices.get('d0'), counts(8));
  assert.is(s.devices.size, 6);
});

test.run();
