/**
 * FleetActivityRepo contract, on every backend: increments add up per (device, hour) and per
 * (hour, outcome), a last upload only moves forward, load bounds each kind by its own hour,
 * prune forgets what is older, counts survive a restart, and two replicas adding at once add up.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import type { Activity } from '../../../server/fleet/activity-repo.ts';
import { contract } from './backends.ts';

const H = 490_000; // an epoch hour (2025)
const sorted = (a: Activity) => ({
  devices: [...a.devices].sort((x, y) => x.device_id.localeCompare(y.device_id) || x.hour - y.hour),
  fleet: [...a.fleet].sort((x, y) => x.hour - y.hour || x.outcome.localeCompare(y.outcome)),
  last_uploads: [...a.last_uploads].sort((x, y) => x.device_id.localeCompare(y.device_id)),
});

contract('increments add up; the last upload only moves forward; load and prune go by hour', async (store) => {
  const repo = store.fleetActivity;
  await repo.add({ devices: [], fleet: [], last_uploads: [] });
  await repo.add({
    devices: [
      { device_id: 'm1', hour: H, uploads: 2, rejected: 1 },
      { device_id: 'constructor', hour: H, uploads: 1, rejected: 0 },
      { device_id: 'm1', hour: H - 30, uploads: 9, rejected: 9 },
    ],
    fleet: [
      { hour: H, outcome: 'accepted', count: 3 },
      { hour: H, outcome: 'replay', count: 1 },
      { hour: H - 200, outcome: 'accepted', count: 5 },
    ],
    last_uploads: [{ device_id: 'm1', at: 2000 }],
  });
  await repo.add({
    devices: [{ device_id: 'm1', hour: H, uploads: 3, rejected: 0 }],
    fleet: [{ hour: H, outcome: 'accepted', count: 4 }],
    last_uploads: [
      { device_id: 'm1', at: 1000 },
      { device_id: 'constructor', at: 1500 },
    ],
  });
  assert.equal(sorted(await repo.load(H - 23, H - 7 * 24)), {
    devices: [
      { device_id: 'constructor', hour: H, uploads: 1, rejected: 0 },
      { device_id: 'm1', hour: H, uploads: 5, rejected: 1 },
    ],
    fleet: [
      { hour: H, outcome: 'accepted', count: 7 },
      { hour: H, outcome: 'replay', count: 1 },
    ],
    last_uploads: [
      { device_id: 'constructor', at: 1500 },
      { device_id: 'm1', at: 2000 },
    ],
  });
  assert.is((await repo.load(H - 100, H - 300)).fleet.length, 3);
  assert.is(await repo.prune(H - 23, H - 7 * 24), 2, 'the device hour of H-30 and the fleet hour of H-200');
  assert.is((await repo.load(0, 0)).devices.length, 2);
  assert.is((await repo.load(0, 0)).fleet.length, 2);
});

contract('counts survive a restart', async (store, { reopen, backend }) => {
  await store.fleetActivity.add({ devices: [{ device_id: 'd', hour: H, uploads: 1, rejected: 2 }], fleet: [], last_uploads: [{ device_id: 'd', at: 5 }] });
  if (backend === 'embedded') await store.close();
  const again = await reopen();
  const a = await again.fleetActivity.load(H, H);
  assert.equal(a.devices, [{ device_id: 'd', hour: H, uploads: 1, rejected: 2 }]);
  assert.equal(a.last_uploads, [{ device_id: 'd', at: 5 }]);
});

contract(
  'two replicas adding to the same hours at once add up',
  async (a, { reopen }) => {
    const b = await reopen();
    const one = { devices: [{ device_id: 'd', hour: H, uploads: 1, rejected: 1 }], fleet: [{ hour: H, outcome: 'accepted' as const, count: 1 }], last_uploads: [] };
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).fleetActivity.add(one)));
    const loaded = await a.fleetActivity.load(H, H);
    assert.equal(loaded.devices, [{ device_id: 'd', hour: H, uploads: 20, rejected: 20 }]);
    assert.equal(loaded.fleet, [{ hour: H, outcome: 'accepted', count: 20 }]);
  },
  { only: ['postgres'] },
);

test.run();
