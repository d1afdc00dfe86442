/**
 * Rollouts through the routes: the stable percentage rule (same devices on every evaluation, only
 * growing — 10 % → 50 % keeps the first 10 %), offers as the union of covering rollouts and general
 * releases (a rollout of a general version takes nothing away), targets by tag resolved at each
 * evaluation, assignment enforced on every route that serves a build (409 not_assigned), pause,
 * resume, cancel (finished rollouts stay listed and refuse changes), delete only before any device
 * started, the auto-pause on failures, validation, and durability across a restart.
 *
 * The fixture: 1.0.0 and 1.1.0 are in FIRMWARE_DIR when the gateway starts (published to every
 * device, as images present before releases existed); 2.0.0 is packaged afterwards and published
 * for rollouts only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { bucketOf, covers, upgradeRollout } from '../../server/ota/rollouts.ts';
import type { DeviceRecord } from '../../server/store/types.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { otaFixture, otaGateway, publishImage, SimDevice, type OtaFixture } from './routes-helpers.ts';

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
  figures?: Record<string, unknown>;
}

let fx: OtaFixture;
let gw: TestGateway;

test.before.each(async () => {
  fx = await otaFixture([{ version: '1.0.0' }, { version: '1.1.0' }]);
  gw = await otaGateway(fx);
  await fx.addImage({ version: '2.0.0' });
  await publishImage(gw, '2.0.0', {});
});

test.after.each(async () => {
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

const create = async (body: unknown) => {
  const res = await gw.admin('POST', '/ota/rollouts', body);
  return { status: res.status, json: (await res.json()) as { rollout: RolloutJson; error?: { code: string } } };
};
const get = async (id: string) => ((await (await gw.admin('GET', `/ota/rollouts/${id}`)).json()) as { rollout: RolloutJson }).rollout;
const ids = (n: number, prefix = 'm-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const device = (id: string, tags: string[] = []): DeviceRecord => ({ device_id: id, created_at: '', key_mode: 'derived', key_version: 1, tags });
const offered = async (devices: SimDevice[], running = '1.0.0') => {
  const out = new Map<string, unknown>();
  for (const d of devices) out.set(d.id, (await d.request('GET', `/ota/check/${d.id}?version=${running}`)).json.latest_version);
  return out;
};

test('percent rule: stable per device, only growing, close to the asked share; a tag step adds its devices', () => {
  const fleet = ids(5000).map((id) => device(id, id.endsWith('7') ? ['canary'] : []));
  let previous = new Set<string>();
  for (const percent of [0, 1, 5, 10, 25, 50, 99.5, 100]) {
    const r = upgradeRollout({ id: 'ro_fixed', version: '2.0.0', steps: [{ percent }], created_at: 0 });
    const chosen = new Set(fleet.filter((d) => covers(r, d)).map((d) => d.device_id));
    assert.equal(new Set(fleet.filter((d) => covers(r, d)).map((d) => d.device_id)), chosen, 'same set on re-evaluation');
    for (const id of previous) assert.ok(chosen.has(id), `${id} dropped out at ${percent}%`);
    assert.ok(Math.abs(chosen.size / fleet.length - percent / 100) < 0.02, `${percent}%: ${chosen.size}`);
    previous = chosen;
  }
  assert.is(previous.size, 5000);
  assert.is(bucketOf('ro_fixed', 'm-1'), bucketOf('ro_fixed', 'm-1'));
  const plan = upgradeRollout({ id: 'ro_plan', version: '2.0.0', steps: [{ target: 'tag:canary' }, { percent: 10 }], created_at: 0 });
  const canaries = fleet.filter((d) => covers(plan, d, 0));
  assert.is(canaries.length, 500);
  assert.ok(canaries.every((d) => d.tags!.includes('canary')));
  const second = fleet.filter((d) => covers(plan, d, 1));
  for (const d of canaries) assert.ok(second.includes(d), 'the canaries stay in at the next step');
  assert.ok(second.length > 500 + 400 && second.length < 500 + 500);
  const other = upgradeRollout({ id: 'ro_other', version: '2.0.0', steps: [{ percent: 10 }], created_at: 0 });
  const tenth = upgradeRollout({ id: 'ro_fixed', version: '2.0.0', steps: [{ percent: 10 }], created_at: 0 });
  assert.is.not(fleet.filter((d) => covers(tenth, d)).join(), fleet.filter((d) => covers(other, d)).join(), 'another rollout samples other devices');
  assert.not.ok(covers(tenth, { ...device('m-1'), revoked_at: 'x' }) && covers(other, { ...device('m-1'), revoked_at: 'x' }), 'never a revoked device');
});

test('offers: covered devices get the rollout version, the rest the general release; 10 % → 50 % keeps the first 10 %', async () => {
  const devices = await Promise.all(ids(60).map((id) => SimDevice.register(gw, id)));
  assert.ok([...(await offered(devices)).values()].every((v) => v === '1.1.0'), 'published for rollouts only: offered to nobody yet');
  const { status, json } = await create({ version: '2.0.0', target: 'all', percent: 10 });
  assert.is(status, 201);
  const r = json.rollout;
  assert.ok(r.id.startsWith('ro_'));
  const first = await offered(devices);
  const inRollout = [...first].filter(([, v]) => v === '2.0.0').map(([id]) => id);
  assert.is(inRollout.length, r.covered_devices);
  assert.ok(inRollout.length > 0 && inRollout.length < 20, `${inRollout.length} of 60`); // none of 60 at 10 %: odds below 0.2 %
  for (const [id, v] of first) if (!inRollout.includes(id)) assert.is(v, '1.1.0', `${id} keeps being offered the general release`);
  assert.equal(await offered(devices), first, 'stable across checks');

  const patched = (await (await gw.admin('PATCH', `/ota/rollouts/${r.id}`, { percent: 50 })).json()) as { rollout: RolloutJson };
  assert.is(patched.rollout.percent, 50);
  const second = await offered(devices);
  for (const id of inRollout) assert.is(second.get(id), '2.0.0', `${id} was in at 10 % and stays in at 50 %`);
  assert.ok([...second.values()].filter((v) => v === '2.0.0').length > inRollout.length);
  const lower = await gw.admin('PATCH', `/ota/rollouts/${r.id}`, { percent: 5 });
  assert.is(lower.status, 409, 'coverage only grows');
  assert.is(((await lower.json()) as { error: { code: string } }).error.code, 'percent_decrease');

  const paused = (await (await gw.admin('POST', `/ota/rollouts/${r.id}/pause`)).json()) as { rollout: RolloutJson };
  assert.equal([paused.rollout.status, paused.rollout.paused_reason], ['paused', 'manual']);
  for (const v of (await offered(devices)).values()) assert.is(v, '1.1.0', 'a paused rollout offers nothing');
  await gw.admin('POST', `/ota/rollouts/${r.id}/resume`);
  assert.equal(await offered(devices), second);
  await gw.admin('PATCH', `/ota/rollouts/${r.id}`, { percent: 100 });
  for (const v of (await offered(devices)).values()) assert.is(v, '2.0.0');
  const list = (await (await gw.admin('GET', '/ota/rollouts')).json()) as { count: number; rollouts: RolloutJson[] };
  assert.is(list.count, 1);
  assert.is(list.rollouts[0]!.covered_devices, 60);
});

test('a rollout of a version already out takes it from nobody: general releases stay offered to everyone', async () => {
  const devices = await Promise.all(ids(20, 'g-').map((id) => SimDevice.register(gw, id)));
  const { json } = await create({ version: '1.1.0', target: 'all', percent: 10 });
  assert.ok(json.rollout.covered_devices < 20);
  for (const v of (await offered(devices)).values()) assert.is(v, '1.1.0', 'covered or not, every device is still offered 1.1.0');
  await gw.admin('POST', `/ota/rollouts/${json.rollout.id}/cancel`);
  for (const v of (await offered(devices)).values()) assert.is(v, '1.1.0');
});

test('targets: device ids and tags (resolved at each evaluation); the highest covering version wins', async () => {
  const [a, b, c] = await Promise.all(['lab-a', 'lab-b', 'lab-c'].map((id) => SimDevice.register(gw, id)));
  await fx.addImage({ version: '1.5.0' });
  await publishImage(gw, '1.5.0', {});
  await create({ version: '1.5.0', target: ['lab-a', 'lab-b'] });
  await create({ version: '2.0.0', target: 'tag:canary' });
  const offer = async (d: SimDevice) => (await d.request('GET', `/ota/check/${d.id}?version=1.0.0`)).json;
  assert.is((await offer(a!)).latest_version, '1.5.0');
  assert.is((await offer(b!)).latest_version, '1.5.0');
  assert.is((await offer(c!)).latest_version, '1.1.0');
  assert.is((await gw.admin('PUT', '/devices/lab-b/tags', ['canary'])).status, 200);
  const ob = await offer(b!);
  assert.is(ob.latest_version, '2.0.0', 'tagged now: the canary rollout covers it');
  assert.ok(typeof ob.rollout_id === 'string');
  const status = (await (await gw.admin('GET', '/ota/status/lab-b')).json()) as Json;
  assert.equal([status.offered_version, status.rollout_id], ['2.0.0', ob.rollout_id]);
  assert.is((await gw.admin('PUT', '/devices/lab-b/tags', [])).status, 200);
  assert.is((await offer(b!)).latest_version, '1.5.0', 'untagged: back to the list rollout');
});

test('a device outside a rollout cannot start its version: initiate, manifest, hashes and downloads are 409 not_assigned', async () => {
  const inside = await SimDevice.register(gw, 'in-1');
  const outside = await SimDevice.register(gw, 'out-1');
  await fx.addImage({ version: '2.1.0', formatVersion: 2, size: 20_000, chunkSize: 4096 });
  await publishImage(gw, '2.1.0', {});
  await create({ version: '2.1.0', target: ['in-1'] });
  const code = (r: { status: number; json: Json }) => [r.status, (r.json.error as Json | undefined)?.code];
  assert.equal(code(await outside.request('POST', '/ota/initiate/out-1', { firmware_version: '2.1.0' })), [409, 'not_assigned']);
  assert.equal(code(await outside.request('GET', '/ota/manifest/2.1.0')), [409, 'not_assigned']);
  assert.equal(code(await outside.request('GET', '/ota/hashes/2.1.0?page=0')), [409, 'not_assigned']);
  const range = await outside.download('/ota/firmware/2.1.0', { range: 'bytes=0-4095' });
  assert.is(range.res.status, 409);
  assert.is(JSON.parse(range.bytes.toString()).error.code, 'not_assigned');
  // The device it is assigned to gets all of it; an admin may download it too.
  assert.is((await inside.request('POST', '/ota/initiate/in-1', { firmware_version: '2.1.0' })).status, 200);
  assert.is((await inside.request('GET', '/ota/manifest/2.1.0')).status, 200);
  assert.is((await inside.download('/ota/firmware/2.1.0', { range: 'bytes=0-4095' })).res.status, 206);
  assert.is((await gw.admin('GET', '/ota/firmware/2.1.0')).status, 200);
  // General releases are anyone's; a version that exists nowhere is still 404.
  assert.is((await outside.request('POST', '/ota/initiate/out-1', { firmware_version: '1.1.0' })).status, 200);
  assert.equal(code(await outside.request('GET', '/ota/manifest/9.9.9')), [404, 'firmware_not_found']);
});

test('a download under way may finish when its rollout is paused or cancelled; a new one may not start', async () => {
  const [a, b] = await Promise.all(['dl-a', 'dl-b'].map((id) => SimDevice.register(gw, id)));
  const { json } = await create({ version: '2.0.0', target: ['dl-a', 'dl-b'] });
  assert.is((await a!.request('POST', '/ota/initiate/dl-a', { firmware_version: '2.0.0' })).status, 200);
  await gw.admin('POST', `/ota/rollouts/${json.rollout.id}/cancel`);
  assert.is((await a!.request('GET', '/ota/chunk/dl-a?version=2.0.0&chunk=0')).status, 200, 'the session goes on');
  assert.is((await a!.request('POST', '/ota/initiate/dl-a', { firmware_version: '2.0.0' })).json.outcome, 'resumed');
  assert.is((await b!.request('POST', '/ota/initiate/dl-b', { firmware_version: '2.0.0' })).status, 409, 'no new session');
});

test('drafts cannot be rolled out; cancel and completed/cancelled rollouts refuse changes but stay listed; delete before any device started', async () => {
  await SimDevice.register(gw, 'x-1');
  await fx.addImage({ version: '3.0.0' });
  const draft = await create({ version: '3.0.0', target: 'all' });
  assert.equal([draft.status, draft.json.error?.code], [409, 'release_not_published']);
  const a = (await create({ version: '2.0.0', target: 'all' })).json.rollout;
  const cancelled = (await (await gw.admin('POST', `/ota/rollouts/${a.id}/cancel`)).json()) as { rollout: RolloutJson & { finish_reason: string } };
  assert.equal([cancelled.rollout.status, cancelled.rollout.finish_reason], ['cancelled', 'cancelled']);
  for (const path of [`/ota/rollouts/${a.id}/pause`, `/ota/rollouts/${a.id}/resume`]) {
    const res = await gw.admin('POST', path);
    assert.equal([res.status, ((await res.json()) as { error: { code: string } }).error.code], [409, 'rollout_finished'], path);
  }
  assert.is((await gw.admin('POST', `/ota/rollouts/${a.id}/cancel`)).status, 200, 'cancelling again is a no-op');
  assert.is((await get(a.id)).status, 'cancelled', 'stays in the history');
  assert.is((await gw.admin('DELETE', `/ota/rollouts/${a.id}`)).status, 200, 'no device ever started on it');
  assert.is((await gw.admin('GET', `/ota/rollouts/${a.id}`)).status, 404);

  const b = (await create({ version: '2.0.0', target: ['x-1'] })).json.rollout;
  const d = new SimDevice(gw, 'x-1', (await gw.admin('POST', '/devices/x-1/rotate-key', {}).then((r) => r.json()).then((j) => Buffer.from((j as { hmac_key: string }).hmac_key, 'hex'))));
  assert.is((await d.request('GET', '/ota/check/x-1?version=1.0.0')).json.latest_version, '2.0.0');
  assert.is((await gw.admin('DELETE', `/ota/rollouts/${b.id}`)).status, 200, 'offered is not started');
  const c = (await create({ version: '2.0.0', target: ['x-1'] })).json.rollout;
  assert.is((await d.request('GET', '/ota/manifest/2.0.0')).status, 200);
  const refused = await gw.admin('DELETE', `/ota/rollouts/${c.id}`);
  assert.equal([refused.status, ((await refused.json()) as { error: { code: string } }).error.code], [409, 'rollout_started']);
});

test('validation: unknown version/device/rollout → 404, bad percent, steps or target → 400', async () => {
  await SimDevice.register(gw, 'x-1');
  const code = async (body: unknown) => {
    const r = await create(body);
    return [r.status, r.json.error?.code];
  };
  assert.equal(await code({ version: '9.9.9', target: 'all' }), [404, 'firmware_not_found']);
  assert.equal(await code({ version: '2.0.0', target: ['x-1', 'ghost'] }), [404, 'unknown_device']);
  assert.equal(await code({ version: '2.0.0', devices: ['ghost'] }), [404, 'unknown_device'], '"devices", the older name of "target"');
  for (const bad of [
    { version: '2.0.0', target: 'all', percent: 101 },
    { version: '2.0.0', target: 'all', percent: -1 },
    { version: '2.0.0', target: 'all', percent: 10.001 },
    { version: '2.0.0', target: 'all', percent: '10' },
    { version: '2.0.0', target: [] },
    { version: '2.0.0', target: ['bad id!'] },
    { version: '2.0.0', target: 'tag:Bad' },
    { version: '2.0.0' },
    { version: '2.0.0', target: 'all', devices: 'all' },
    { version: 'latest', target: 'all' },
    { version: '2.0.0', target: 'all', percent: 10, steps: [{ percent: 10 }] },
    { version: '2.0.0', target: 'all', steps: [] },
    { version: '2.0.0', target: 'all', steps: [{ percent: 50 }, { percent: 10 }] },
    { version: '2.0.0', target: 'all', steps: [{ percent: 10, min_results: 3 }] },
    { version: '2.0.0', target: 'all', steps: [{ percent: 10, target: 'tag:x' }] },
    { version: '2.0.0', target: 'all', steps: [{ percent: 10 }, { percent: 20, after_success: 2 }] },
  ]) {
    assert.equal((await code(bad))[0], 400, JSON.stringify(bad));
  }
  assert.is((await gw.admin('GET', '/ota/rollouts/ro_nope')).status, 404);
  assert.is((await gw.admin('POST', '/ota/rollouts/ro_nope/pause')).status, 404);
  assert.is((await gw.admin('DELETE', '/ota/rollouts/ro_nope')).status, 404);
  const ok = await create({ version: '2.0.0', target: 'all', percent: 12.5 });
  assert.is(ok.status, 201);
  assert.is(ok.json.rollout.percent, 12.5);
  const id = ok.json.rollout.id;
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${id}`, {})).status, 400);
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${id}`, { percent: 200 })).status, 400);
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${id}`, { status: 'done' })).status, 400);
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${id}`, { version: '1.0.0' })).status, 400);
  const stepped = await create({ version: '2.0.0', target: 'all', steps: [{ percent: 1 }, { percent: 10 }] });
  assert.is((await gw.admin('PATCH', `/ota/rollouts/${stepped.json.rollout.id}`, { percent: 50 })).status, 409);
  assert.is((await gw.app.request('/ota/rollouts', { method: 'POST', body: '{}' })).status, 401);
});

test('auto-pause: 5 results with 2 failures (40 %) pause the rollout; 1 in 5 (20 %) does not; figures by error', async () => {
  const devices = await Promise.all(ids(12, 'ap-').map((id) => SimDevice.register(gw, id)));
  const { json } = await create({ version: '2.0.0', target: devices.map((d) => d.id) });
  const id = json.rollout.id;
  const report = async (d: SimDevice, success: boolean, error = 'rolled_back: did not confirm') => {
    const init = await d.request('POST', `/ota/initiate/${d.id}`, { firmware_version: '2.0.0' });
    assert.is(init.status, 200);
    return (await d.request('POST', `/ota/complete/${d.id}`, success ? { success: true } : { success: false, error })).json;
  };
  for (let i = 0; i < 4; i++) await report(devices[i]!, true);
  let last = await report(devices[4]!, false);
  assert.equal(last.rollout, { id, status: 'active', paused_reason: null });
  last = await report(devices[5]!, false, 'chunk_hash: chunk 3 kept failing');
  assert.equal(last.rollout, { id, status: 'paused', paused_reason: 'failure_threshold' });
  const r = await get(id);
  assert.equal([r.results.successes, r.results.failures], [4, 2]);
  const f = r.figures as { targeted: number; succeeded: number; failed: number; failed_by_error: Json; failure_rate: number; failure_threshold: number };
  assert.equal([f.targeted, f.succeeded, f.failed, f.failed_by_error, f.failure_rate, f.failure_threshold], [12, 4, 2, { rolled_back: 1, chunk_hash: 1 }, 0.3333, 0.2]);
  const check = await devices[6]!.request('GET', `/ota/check/${devices[6]!.id}?version=1.0.0`);
  assert.is(check.json.latest_version, '1.1.0', 'paused: 2.0.0 is offered to nobody');
  await gw.admin('POST', `/ota/rollouts/${id}/resume`);
  last = await report(devices[6]!, false);
  last = await report(devices[7]!, false);
  assert.is((last.rollout as Json).status, 'active', 'resume starts a new window');
  const after = await get(id);
  assert.is(after.window.total, 2);
  assert.is(after.results.total, 8);
});

test('results without a session count on the rollout the device is in; min_results and the rollout threshold apply', async () => {
  const devices = await Promise.all(ids(6, 'mr-').map((id) => SimDevice.register(gw, id)));
  const { json } = await create({ version: '2.0.0', target: 'all', failure_threshold: 0.5, min_results: 3 });
  const report = async (d: SimDevice, success: boolean) => (await d.request('POST', `/ota/complete/${d.id}`, { success, version: '2.0.0' })).json;
  assert.is(((await report(devices[0]!, false)).rollout as Json).status, 'active');
  assert.is(((await report(devices[1]!, false)).rollout as Json).status, 'active');
  assert.is(((await report(devices[2]!, true)).rollout as Json).status, 'paused', '2/3 > 0.5 after 3 results');
  assert.is((await get(json.rollout.id)).paused_reason, 'failure_threshold');
});

test('each rollout action is one audit record naming the token; a no-op none; the auto-pause is by system', async () => {
  const ops = ((await (await gw.admin('POST', '/tokens', { name: 'ops', role: 'operator' })).json()) as { token: string }).token;
  const viewer = ((await (await gw.admin('POST', '/tokens', { name: 'val', role: 'viewer' })).json()) as { token: string }).token;
  const devices = await Promise.all(ids(2, 'au-').map((id) => SimDevice.register(gw, id)));
  const as = async (token: string, method: string, path: string, body?: unknown) =>
    (await gw.app.request(path, { method, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })).status;
  const log = async () => ((await (await gw.admin('GET', '/audit?action=rollout.&limit=1000')).json()) as { entries: Json[] }).entries.map((e) => [e.actor, e.action]);
  assert.is(await as(viewer, 'POST', '/ota/rollouts', { version: '2.0.0', target: 'all' }), 403);
  const created = (await (await gw.app.request('/ota/rollouts', { method: 'POST', headers: { authorization: `Bearer ${ops}` }, body: JSON.stringify({ version: '2.0.0', target: 'all', percent: 10, min_results: 2, failure_threshold: 0.4 }) })).json()) as { rollout: RolloutJson };
  const id = created.rollout.id;
  for (const [method, path, body] of [
    ['PATCH', `/ota/rollouts/${id}`, { percent: 100 }],
    ['POST', `/ota/rollouts/${id}/pause`, undefined],
    ['POST', `/ota/rollouts/${id}/pause`, undefined],
    ['POST', `/ota/rollouts/${id}/resume`, undefined],
  ] as const) {
    assert.is(await as(ops, method, path, body), 200, `${method} ${path}`);
  }
  for (const d of devices) await d.request('POST', `/ota/complete/${d.id}`, { success: false, version: '2.0.0', error: 'rolled_back: x' });
  assert.is(await as(ops, 'POST', `/ota/rollouts/${id}/cancel`), 200);
  const spare = (await create({ version: '2.0.0', target: 'tag:none' })).json.rollout.id;
  assert.is(await as(ops, 'DELETE', `/ota/rollouts/${spare}`), 200);
  assert.equal(await log(), [
    ['token:ops', 'rollout.created'],
    ['token:ops', 'rollout.updated'],
    ['token:ops', 'rollout.paused'],
    ['token:ops', 'rollout.resumed'],
    ['system', 'rollout.paused'],
    ['token:ops', 'rollout.cancelled'],
    ['token:bootstrap', 'rollout.created'],
    ['token:ops', 'rollout.deleted'],
  ]);
});

test('rollouts survive a restart', async () => {
  await SimDevice.register(gw, 'keep-1');
  const { json } = await create({ version: '2.0.0', target: ['keep-1'], steps: [{ percent: 50 }, { percent: 100, soak_seconds: 60 }] });
  await gw.admin('POST', `/ota/rollouts/${json.rollout.id}/pause`);
  await gw.close();
  gw = await otaGateway(fx);
  const r = await get(json.rollout.id);
  assert.equal([r.status, r.version, r.percent], ['paused', '2.0.0', 50]);
});

test.run();
