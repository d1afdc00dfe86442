/**
 * Rollouts: the stable percentage rule (same devices on every evaluation, monotone as the percent
 * grows, roughly the asked share), assignment through /ota/check (held versions reach only the
 * covered devices, a paused rollout reaches nobody, the highest covering version wins), explicit
 * device lists, validation (404 unknown version/device/rollout, 400 percent), pause / resume /
 * PATCH, the auto-pause after ≥5 results with >20 % failures, and durability across a restart.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { bucketOf, covers, type Rollout } from '../../server/ota/rollouts.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { otaFixture, otaGateway, SimDevice, type OtaFixture } from './routes-helpers.ts';

type Json = Record<string, unknown>;
interface RolloutJson {
  id: string;
  version: string;
  percent: number;
  status: string;
  paused_reason: string | null;
  covered_devices: number;
  results: { successes: number; failures: number; total: number };
  window: { total: number };
}

let fx: OtaFixture;
let gw: TestGateway;

test.before.each(async () => {
  fx = await otaFixture([{ version: '1.0.0' }, { version: '1.1.0' }, { version: '2.0.0' }]);
  gw = await otaGateway(fx);
});

test.after.each(async () => {
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

const create = async (body: unknown) => {
  const res = await gw.admin('POST', '/ota/rollouts', body);
  return { status: res.status, json: (await res.json()) as { rollout: RolloutJson; error?: { code: string } } };
};

const ids = (n: number, prefix = 'm-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('percent rule: stable per device, monotone in percent, close to the asked share', () => {
  const base: Rollout = {
    id: 'ro_fixed',
    version: '2.0.0',
    target: 'all',
    percent: 0,
    status: 'active',
    paused_reason: null,
    failure_threshold: 0.2,
    min_results: 5,
    results: { successes: 0, failures: 0 },
    window: { successes: 0, failures: 0 },
    notes: '',
    created_at: 0,
    updated_at: 0,
    paused_at: null,
  };
  const fleet = ids(5000);
  let previous = new Set<string>();
  for (const percent of [0, 1, 5, 10, 25, 50, 99.5, 100]) {
    const r = { ...base, percent };
    const chosen = new Set(fleet.filter((id) => covers(r, id)));
    assert.equal(new Set(fleet.filter((id) => covers(r, id))), chosen, 'same set on re-evaluation');
    for (const id of previous) assert.ok(chosen.has(id), `${id} dropped out at ${percent}%`);
    assert.ok(Math.abs(chosen.size / fleet.length - percent / 100) < 0.02, `${percent}%: ${chosen.size}`);
    previous = chosen;
  }
  assert.is(previous.size, 5000);
  assert.is(bucketOf('ro_fixed', 'm-1'), bucketOf('ro_fixed', 'm-1'));
  assert.is.not(
    fleet.filter((id) => covers({ ...base, percent: 10 }, id)).join(),
    fleet.filter((id) => covers({ ...base, id: 'ro_other', percent: 10 }, id)).join(),
    'another rollout samples other devices',
  );
});

test('check: covered devices get the rollout version, others the newest image not held', async () => {
  const devices = await Promise.all(ids(40).map((id) => SimDevice.register(gw, id)));
  const { status, json } = await create({ version: '2.0.0', devices: 'all', percent: 30 });
  assert.is(status, 201);
  const r = json.rollout;
  assert.ok(r.id.startsWith('ro_'));
  assert.is(r.covered_devices, devices.filter((d) => covers({ id: r.id, target: 'all', percent: 30 } as Rollout, d.id)).length);
  const offered = async () => {
    const out = new Map<string, unknown>();
    for (const d of devices) out.set(d.id, (await d.request('GET', `/ota/check/${d.id}?version=1.0.0`)).json.latest_version);
    return out;
  };
  const first = await offered();
  const inRollout = [...first].filter(([, v]) => v === '2.0.0').map(([id]) => id);
  assert.is(inRollout.length, r.covered_devices);
  assert.ok(inRollout.length > 0 && inRollout.length < 40, `${inRollout.length} of 40`);
  for (const [id, v] of first) if (!inRollout.includes(id)) assert.is(v, '1.1.0', `${id}: 2.0.0 is held by the rollout`);
  assert.equal(await offered(), first, 'stable across checks');

  // Growing the percentage keeps everyone who was in.
  const patched = (await (await gw.admin('PATCH', `/ota/rollouts/${r.id}`, { percent: 60 })).json()) as { rollout: RolloutJson };
  assert.is(patched.rollout.percent, 60);
  const second = await offered();
  for (const id of inRollout) assert.is(second.get(id), '2.0.0');
  assert.ok([...second.values()].filter((v) => v === '2.0.0').length >= inRollout.length);

  // Paused: the held version reaches nobody.
  const paused = (await (await gw.admin('POST', `/ota/rollouts/${r.id}/pause`)).json()) as { rollout: RolloutJson };
  assert.is(paused.rollout.status, 'paused');
  assert.is(paused.rollout.paused_reason, 'manual');
  for (const v of (await offered()).values()) assert.is(v, '1.1.0');
  const resumed = (await (await gw.admin('POST', `/ota/rollouts/${r.id}/resume`)).json()) as { rollout: RolloutJson };
  assert.is(resumed.rollout.status, 'active');
  assert.equal(await offered(), second);

  // 100 % of everyone: the full release.
  await gw.admin('PATCH', `/ota/rollouts/${r.id}`, { percent: 100 });
  for (const v of (await offered()).values()) assert.is(v, '2.0.0');
  const list = (await (await gw.admin('GET', '/ota/rollouts')).json()) as { count: number; rollouts: RolloutJson[] };
  assert.is(list.count, 1);
  assert.is(list.rollouts[0]!.covered_devices, 40);
});

test('explicit device list; highest covering version wins; a device outside gets no held version', async () => {
  const [a, b, c] = await Promise.all(['lab-a', 'lab-b', 'lab-c'].map((id) => SimDevice.register(gw, id)));
  await create({ version: '1.1.0', devices: ['lab-a', 'lab-b'] });
  await create({ version: '2.0.0', devices: ['lab-b'] });
  const offer = async (d: SimDevice) => (await d.request('GET', `/ota/check/${d.id}?version=1.0.0`)).json;
  assert.is((await offer(a!)).latest_version, '1.1.0');
  const ob = await offer(b!);
  assert.is(ob.latest_version, '2.0.0');
  assert.ok(typeof ob.rollout_id === 'string');
  assert.equal(await offer(c!), { update_available: false, current_version: '1.0.0', latest_version: '1.0.0', reason: 'up_to_date' });
  const status = (await (await gw.admin('GET', '/ota/status/lab-b')).json()) as Json;
  assert.is(status.offered_version, '2.0.0');
  assert.is(status.rollout_id, ob.rollout_id);
});

test('validation: unknown version/device/rollout → 404, bad percent or target → 400', async () => {
  await SimDevice.register(gw, 'x-1');
  const code = async (body: unknown) => {
    const r = await create(body);
    return [r.status, r.json.error?.code];
  };
  assert.equal(await code({ version: '9.9.9', devices: 'all' }), [404, 'firmware_not_found']);
  assert.equal(await code({ version: '2.0.0', devices: ['x-1', 'ghost'] }), [404, 'unknown_device']);
  assert.equal((await code({ version: '2.0.0', devices: 'all', percent: 101 }))[0], 400);
  assert.equal((await code({ version: '2.0.0', devices: 'all', percent: -1 }))[0], 400);
  assert.equal((await code({ version: '2.0.0', devices: 'all', percent: 10.001 }))[0], 400);
  assert.equal((await code({ version: '2.0.0', devices: 'all', percent: '10' }))[0], 400);
  assert.equal((await code({ version: '2.0.0', devices: [] }))[0], 400);
  assert.equal((await code({ version: '2.0.0', devices: ['bad id!'] }))[0], 400);
  assert.equal((await code({ version: '2.0.0' }))[0], 400);
  assert.equal((await code({ version: 'latest', devices: 'all' }))[0], 400);
  assert.is((await gw.admin('GET', '/ota/rollouts/ro_nope')).status, 404);
  assert.is((await gw.admin('POST', '/ota/rollouts/ro_nope/pause')).status, 404);
  const ok = await create({ version: '2.0.0', devices: 'all', percent: 12.5 });
  assert.is(ok.status, 201);
  assert.is(ok.json.rollout.percent, 12.5);
  const id = ok.json.rollout.id;
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${id}`, {})).status, 400);
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${id}`, { percent: 200 })).status, 400);
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${id}`, { status: 'done' })).status, 400);
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${id}`, { version: '1.0.0' })).status, 400);
  assert.is((await gw.app.request('/ota/rollouts', { method: 'POST', body: '{}' })).status, 401);
});

test('auto-pause: 5 results with 2 failures (40 %) pause the rollout; 1 in 5 (20 %) does not', async () => {
  const devices = await Promise.all(ids(12, 'ap-').map((id) => SimDevice.register(gw, id)));
  const { json } = await create({ version: '2.0.0', devices: devices.map((d) => d.id) });
  const id = json.rollout.id;
  const report = async (d: SimDevice, success: boolean) => {
    const init = await d.request('POST', `/ota/initiate/${d.id}`, { firmware_version: '2.0.0' });
    assert.is(init.status, 200);
    return (await d.request('POST', `/ota/complete/${d.id}`, success ? { success: true } : { success: false, error: 'boot loop' })).json;
  };
  // 4 successes + 1 failure = 20 %: not above the threshold.
  for (let i = 0; i < 4; i++) await report(devices[i]!, true);
  let last = await report(devices[4]!, false);
  assert.equal(last.rollout, { id, status: 'active', paused_reason: null });
  // 4 + 2 = 33 % after 6 results: paused.
  last = await report(devices[5]!, false);
  assert.equal(last.rollout, { id, status: 'paused', paused_reason: 'failure_threshold' });
  const r = ((await (await gw.admin('GET', `/ota/rollouts/${id}`)).json()) as { rollout: RolloutJson }).rollout;
  assert.equal([r.results.successes, r.results.failures], [4, 2]);
  // Paused: nobody is offered 2.0.0 any more.
  const check = await devices[6]!.request('GET', `/ota/check/${devices[6]!.id}?version=1.0.0`);
  assert.is(check.json.latest_version, '1.1.0');
  // Resume starts a new window: two more failures do not pause it before 5 results.
  await gw.admin('POST', `/ota/rollouts/${id}/resume`);
  last = await report(devices[6]!, false);
  last = await report(devices[7]!, false);
  assert.is((last.rollout as Json).status, 'active');
  const after = ((await (await gw.admin('GET', `/ota/rollouts/${id}`)).json()) as { rollout: RolloutJson }).rollout;
  assert.is(after.window.total, 2);
  assert.is(after.results.total, 8);
});

test('auto-pause with a small early sample waits for min_results; per-rollout threshold', async () => {
  const devices = await Promise.all(ids(6, 'mr-').map((id) => SimDevice.register(gw, id)));
  const { json } = await create({ version: '2.0.0', devices: 'all', failure_threshold: 0.5, min_results: 3 });
  const id = json.rollout.id;
  const report = async (d: SimDevice, success: boolean) => (await d.request('POST', `/ota/complete/${d.id}`, { success, version: '2.0.0' })).json;
  // Results without a session are attributed to the covering rollout.
  assert.is(((await report(devices[0]!, false)).rollout as Json).status, 'active');
  assert.is(((await report(devices[1]!, false)).rollout as Json).status, 'active');
  assert.is(((await report(devices[2]!, true)).rollout as Json).status, 'paused', '2/3 > 0.5 after 3 results');
  const r = ((await (await gw.admin('GET', `/ota/rollouts/${id}`)).json()) as { rollout: RolloutJson }).rollout;
  assert.is(r.paused_reason, 'failure_threshold');
});

test('rollouts survive a restart', async () => {
  await SimDevice.register(gw, 'keep-1');
  const { json } = await create({ version: '2.0.0', devices: ['keep-1'], percent: 100 });
  await gw.admin('POST', `/ota/rollouts/${json.rollout.id}/pause`);
  await gw.close();
  gw = await otaGateway(fx);
  const r = ((await (await gw.admin('GET', `/ota/rollouts/${json.rollout.id}`)).json()) as { rollout: RolloutJson }).rollout;
  assert.is(r.status, 'paused');
  assert.is(r.version, '2.0.0');
});

test.run();
