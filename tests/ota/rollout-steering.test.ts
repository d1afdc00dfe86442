/**
 * The steering job through a gateway with a fake clock (RolloutService.steer is the job's pass;
 * the last test lets the timer run it): a rollout to tag:canary first, advancing to 50 % and then
 * to everyone as results, success rate and soak time allow; pausing when a step's success rate
 * falls short; completing once every covered device is done or past its deadline (and still
 * offering its version to a device that joins later); cancelled when its release is yanked. Each
 * step by the job is one audit record by `system`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { FakeClock } from '../../server/clock.ts';
import { otaOf } from '../../server/ota/routes.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { otaFixture, otaGateway, publishImage, SimDevice, type OtaFixture } from './routes-helpers.ts';

type Json = Record<string, any>;

let fx: OtaFixture;
let gw: TestGateway;
let clock: FakeClock;

test.before.each(async () => {
  fx = await otaFixture([{ version: '1.0.0' }]);
  clock = new FakeClock();
  gw = await otaGateway(fx, { clock });
  await fx.addImage({ version: '2.0.0' });
  await publishImage(gw, '2.0.0', {});
});

test.after.each(async () => {
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

const steer = () => otaOf(gw.ctx).rollouts.steer();
const show = async (id: string) => ((await (await gw.admin('GET', `/ota/rollouts/${id}`)).json()) as { rollout: Json }).rollout;
const create = async (body: unknown) => ((await (await gw.admin('POST', '/ota/rollouts', body)).json()) as { rollout: Json }).rollout;
/** The update a device running 1.0.0 is offered (null: none; 1.0.0 itself is a general release). */
const offered = async (d: SimDevice) => {
  const { json } = await d.request('GET', `/ota/check/${d.id}?version=1.0.0`);
  return json.update_available ? json.latest_version : null;
};
const report = async (d: SimDevice, success: boolean) =>
  (await d.request('POST', `/ota/complete/${d.id}`, success ? { success: true, version: '2.0.0' } : { success: false, version: '2.0.0', error: 'rolled_back: did not confirm' })).json;
const systemAudit = async () =>
  ((await (await gw.admin('GET', '/audit?actor=system&action=rollout.')).json()) as { entries: Json[] }).entries.map((e) => [e.action, e.details.step, e.details.reason ?? null]);

async function fleet(n: number, canaries: number): Promise<SimDevice[]> {
  const devices: SimDevice[] = [];
  for (let i = 0; i < n; i++) {
    const id = `m-${i}`;
    devices.push(await SimDevice.register(gw, id));
    if (i < canaries) assert.is((await gw.admin('PUT', `/devices/${id}/tags`, ['canary'])).status, 200);
  }
  return devices;
}

test('canaries first, then 50 % once soaked with enough successes, then everyone; pauses when a step falls short', async () => {
  const devices = await fleet(40, 3);
  const r = await create({
    version: '2.0.0',
    target: 'all',
    failure_threshold: 0.9,
    steps: [{ target: 'tag:canary' }, { percent: 50, min_results: 3, soak_seconds: 600 }, { percent: 100, after_success: 0.75, min_results: 4 }],
  });
  const canaries = devices.slice(0, 3);
  for (const d of devices) assert.is(await offered(d), canaries.includes(d) ? '2.0.0' : null, d.id);
  for (const d of canaries) await report(d, true);
  assert.equal((await steer()).advanced, [], 'the soak is not over');
  assert.equal((await show(r.id)).step.waiting_for, ['600 s more soak']);
  clock.advance(600_000);
  assert.equal((await steer()).advanced, [r.id]);
  let now = await show(r.id);
  assert.equal([now.step.index, now.percent], [1, 50]);
  const inStep1 = [];
  for (const d of devices) if ((await offered(d)) === '2.0.0') inStep1.push(d);
  for (const d of canaries) assert.ok(inStep1.includes(d), 'the canaries stay in');
  assert.ok(inStep1.length > 3 && inStep1.length < 40, `${inStep1.length}`);
  // The next step needs 75 % success among 4 results: 2 of 4 is not enough — paused, not advanced.
  const fresh = inStep1.filter((d) => !canaries.includes(d));
  assert.ok(fresh.length >= 9, `${fresh.length} devices new in step 1`); // 37 devices at 50 %: fewer than 9 has odds below 1e-4
  await report(fresh[0]!, true);
  await report(fresh[1]!, false);
  await report(fresh[2]!, false);
  assert.equal(await steer(), { advanced: [], paused: [], completed: [], cancelled: [] }, '3 results of 4');
  await report(fresh[3]!, true);
  assert.equal((await steer()).paused, [r.id]);
  now = await show(r.id);
  assert.equal([now.status, now.paused_reason, now.step.index], ['paused', 'step_success_rate', 1]);
  assert.is(await offered(fresh[8]!), null, 'paused: nobody is offered it');
  // Fixed in the field: resume starts the step over, four successes (of devices that had not
  // reported: a device repeating its last report is not counted again) take it to everyone.
  await gw.admin('POST', `/ota/rollouts/${r.id}/resume`);
  for (const d of fresh.slice(4, 8)) await report(d, true);
  assert.equal((await steer()).advanced, [r.id]);
  for (const d of devices) assert.is(await offered(d), '2.0.0');
  assert.equal(await systemAudit(), [
    ['rollout.advanced', 1, null],
    ['rollout.paused', 1, 'step_success_rate'],
    ['rollout.advanced', 2, null],
  ]);
});

test('completed once every covered device succeeded or passed its deadline; it keeps offering to a device that joins later', async () => {
  const devices = await fleet(4, 0);
  const r = await create({ version: '2.0.0', target: 'all', device_deadline_seconds: 3600 });
  for (const d of devices.slice(0, 3)) await report(d, true);
  assert.equal((await steer()).completed, [], 'one device is still pending');
  let now = await show(r.id);
  assert.equal([now.figures.targeted, now.figures.succeeded, now.figures.pending, now.figures.past_deadline], [4, 3, 1, 0]);
  clock.advance(3_600_001);
  assert.equal((await steer()).completed, [r.id]);
  now = await show(r.id);
  assert.equal([now.status, now.finish_reason, now.figures.past_deadline], ['completed', 'all_devices_done', 1]);
  const late = await SimDevice.register(gw, 'late-1');
  assert.is(await offered(late), '2.0.0', 'a completed rollout is still the fleet assignment');
  assert.is((await gw.admin('POST', `/ota/rollouts/${r.id}/pause`)).status, 409);
  assert.is((await gw.admin('POST', `/ota/rollouts/${r.id}/cancel`)).status, 200);
  assert.is(await offered(late), null, 'cancelled: it offers nothing');
  assert.equal(await systemAudit(), [['rollout.completed', 0, null]]);
});

test('a device already running the version counts as done; a rollout that covers nobody never completes', async () => {
  const [a] = await fleet(1, 0);
  await a!.request('GET', '/ota/check/m-0?version=2.0.0');
  const r = await create({ version: '2.0.0', target: 'all' });
  const empty = await create({ version: '2.0.0', target: 'tag:nobody' });
  assert.equal((await steer()).completed, [r.id]);
  assert.is((await show(empty.id)).status, 'active');
});

test('a yanked release cancels its rollouts (by the job, as system)', async () => {
  await fleet(2, 0);
  const r = await create({ version: '2.0.0', target: 'all', percent: 50 });
  assert.is((await gw.admin('POST', '/ota/images/2.0.0/yank', { reason: 'bad' })).status, 200);
  assert.equal((await steer()).cancelled, [r.id]);
  const now = await show(r.id);
  assert.equal([now.status, now.finish_reason], ['cancelled', 'release_yanked']);
  assert.equal(await systemAudit(), [['rollout.cancelled', 0, 'release_yanked']]);
  assert.equal((await steer()).cancelled, [], 'once');
});

test('the job runs by itself every ROLLOUT_STEER_INTERVAL_SECONDS', async () => {
  await gw.destroy();
  gw = await otaGateway(fx, { env: { ROLLOUT_STEER_INTERVAL_SECONDS: '1' } });
  await fleet(2, 0);
  const r = await create({ version: '2.0.0', target: 'all', steps: [{ percent: 1 }, { percent: 100, min_results: 0 }] });
  const deadline = Date.now() + 5000;
  while ((await show(r.id)).step.index === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
  assert.is((await show(r.id)).step.index, 1);
  assert.equal((await systemAudit()).map((e) => e[0]), ['rollout.advanced']);
});

test.run();
