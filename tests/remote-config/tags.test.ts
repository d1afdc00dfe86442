/**
 * Config layers by tag (issue 15, device groups): PUT/GET/DELETE /config/tags/:tag and GET
 * /config/tags — operator role, validation naming the field, a device with the tag gets the
 * layer's values under its own overrides, several tags resolved by priority then tag name, the
 * source of each value in the admin view, and the effective version rising with every change a
 * device must learn of: a layer change, and a change of the device's tags that adds or removes a
 * layer (untagging included); audit records naming the actor.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../server/clock.ts';
import { controlPlaneOf } from '../../server/control-plane/index.ts';
import type { TagView as ServedTagView } from '../../server/remote-config/service.ts';
import { ADMIN_TOKEN, errorCode, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { SimDevice, diag, json } from '../control-plane/device.ts';

let gw: TestGateway;
let dev: SimDevice;
let clock: FakeClock;
const ID = 'meter-1';

interface ConfigReply {
  success: true;
  config_version: number;
  config: Record<string, unknown>;
}
interface AdminView extends ConfigReply {
  sources: Record<string, string>;
  tags: string[];
  tag_layers: { tag: string; priority: number; config_version: number; values: Record<string, unknown> }[];
  overrides: Record<string, unknown>;
  applied_version: number | null;
  behind: boolean;
}
type TagView = ServedTagView & { changed?: boolean };

const view = async (id = ID) => json<AdminView>(await gw.admin('GET', `/config/${id}`));
const fetched = async (d = dev) => (await d.request<ConfigReply>('GET', '/config')).json;
const tag = (id: string, tags: string[]) => gw.admin('PUT', `/devices/${id}/tags`, tags);

async function tokenFor(role: string): Promise<string> {
  const res = await gw.admin('POST', '/tokens', { name: role.slice(0, 3), role });
  return ((await res.json()) as { token: string }).token;
}

const as = (token: string, method: string, path: string, body?: unknown) =>
  gw.app.request(path, { method, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

test.before.each(async () => {
  clock = new FakeClock();
  gw = await startTestGateway({ clock });
  dev = await SimDevice.register(gw, ID);
});
test.after.each(async () => gw.destroy());

test('a device with the tag gets the layer; its own override still wins; the source of each value is shown', async () => {
  await tag(ID, ['canary']);
  const other = await SimDevice.register(gw, 'meter-2');
  const put = await json<TagView>(await gw.admin('PUT', '/config/tags/canary', { upload_frequency: 120, heartbeat_interval: 30 }));
  assert.equal([put.changed, put.tag, put.values, put.priority, put.devices, put.updated_by], [true, 'canary', { upload_frequency: 120, heartbeat_interval: 30 }, 0, 1, 'token:bootstrap']);
  const mine = await fetched();
  assert.equal([mine.config_version, mine.config.upload_frequency, mine.config.heartbeat_interval], [put.config_version, 120, 30]);
  assert.is((await fetched(other)).config.upload_frequency, 60, 'a device without the tag keeps the default');

  await gw.admin('PUT', '/config/defaults', { upload_frequency: 300, compression_method: 'delta' });
  await gw.admin('PUT', `/config/${ID}`, { heartbeat_interval: 15 });
  const v = await view();
  assert.equal([v.config.upload_frequency, v.config.heartbeat_interval, v.config.compression_method, v.config.poll_frequency], [120, 15, 'delta', 5]);
  assert.equal(v.sources, {
    poll_frequency: 'built-in',
    upload_frequency: 'tag:canary',
    registers: 'built-in',
    compression_enabled: 'built-in',
    compression_method: 'defaults',
    heartbeat_interval: 'device',
  });
  assert.equal([v.tags, v.tag_layers.map((l) => [l.tag, l.values])], [['canary'], [['canary', { upload_frequency: 120, heartbeat_interval: 30 }]]]);
  assert.equal(await fetched(), { success: true, config_version: v.config_version, config: v.config }, 'the device gets what the admin view shows');

  const list = await json<{ tags: TagView[] }>(await gw.admin('GET', '/config/tags'));
  assert.equal(list.tags.map((t) => [t.tag, t.devices]), [['canary', 1]]);
  const never = await json<TagView>(await gw.admin('GET', '/config/tags/site:lyon'));
  assert.equal([never.values, never.config_version, never.updated_at, never.devices], [{}, 0, null, 0]);
});

test('several tags setting one field: the higher priority wins, equal priorities go by tag name (the later wins)', async () => {
  await tag(ID, ['canary', 'site:lyon']);
  await gw.admin('PUT', '/config/tags/canary', { upload_frequency: 120, poll_frequency: 2 });
  await gw.admin('PUT', '/config/tags/site:lyon', { upload_frequency: 90 });
  let v = await view();
  assert.equal([v.config.upload_frequency, v.sources.upload_frequency, v.config.poll_frequency, v.sources.poll_frequency], [90, 'tag:site:lyon', 2, 'tag:canary']);
  assert.equal(v.tag_layers.map((l) => l.tag), ['canary', 'site:lyon'], 'in the order applied');
  const before = v.config_version;
  const raised = await json<TagView>(await gw.admin('PUT', '/config/tags/canary', { priority: 10 }));
  assert.equal([raised.changed, raised.priority], [true, 10]);
  v = await view();
  assert.equal([v.config.upload_frequency, v.sources.upload_frequency], [120, 'tag:canary']);
  assert.ok(v.config_version > before, 'a priority change is a change the device must learn of');
  assert.equal(v.tag_layers.map((l) => [l.tag, l.priority]), [['site:lyon', 0], ['canary', 10]]);
  assert.is((await fetched()).config.upload_frequency, 120);
  const reset = await json<TagView>(await gw.admin('PUT', '/config/tags/canary', { priority: null }));
  assert.equal([reset.changed, reset.priority], [true, 0], 'null: back to 0');
  assert.equal([(await view()).config.upload_frequency], [90]);
});

test('tagging raises the effective version and changes the signed GET /config answer; untagging raises it again', async () => {
  const v1 = await fetched();
  await gw.admin('PUT', '/config/tags/canary', { upload_frequency: 120 });
  await gw.admin('PUT', '/config/tags/site:lyon', { compression_method: 'rle' });
  // The device reports v1 applied; tag layers it does not carry do not make it behind.
  await dev.diagnostics(diag({ config_version: v1.config_version }));
  assert.equal([(await view()).config_version, (await view()).behind], [v1.config_version, false]);

  const tagged = await json<{ device: { tags: string[] } }>(await tag(ID, ['canary']));
  assert.equal(tagged.device.tags, ['canary']);
  const reply = await dev.diagnostics(diag({ config_version: v1.config_version }));
  const afterTag = await dev.request<ConfigReply>('GET', '/config');
  assert.ok(afterTag.signed);
  assert.ok(afterTag.json.config_version > v1.config_version);
  assert.is(reply.json.config_version, afterTag.json.config_version, 'the diagnostics reply tells the device');
  assert.is(afterTag.json.config.upload_frequency, 120);
  assert.ok((await view()).behind);
  // A version above the canary layer's own, though the layer is older than site:lyon's.
  const lyon = await json<TagView>(await gw.admin('GET', '/config/tags/site:lyon'));
  assert.ok(afterTag.json.config_version > lyon.config_version);

  // Adding a tag without a layer changes nothing the device must fetch.
  await tag(ID, ['canary', 'floor-2']);
  assert.is((await fetched()).config_version, afterTag.json.config_version);

  // Swap canary for site:lyon: dropping the canary layer must not lower anything.
  await tag(ID, ['site:lyon']);
  const swapped = await fetched();
  assert.ok(swapped.config_version > afterTag.json.config_version);
  assert.equal([swapped.config.upload_frequency, swapped.config.compression_method], [60, 'rle']);
  await tag(ID, []);
  const untagged = await fetched();
  assert.ok(untagged.config_version > swapped.config_version, 'untagging lowers nothing: the version still rises');
  assert.equal(untagged.config, v1.config);
  const audit = await json<{ entries: { details: { tags: string[]; config_version?: number } }[] }>(await gw.admin('GET', '/audit?action=device.tagged'));
  assert.equal(audit.entries.map((e) => [e.details.tags, e.details.config_version ?? null]), [
    [['canary'], afterTag.json.config_version],
    [['canary', 'floor-2'], null],
    [['site:lyon'], swapped.config_version],
    [[], untagged.config_version],
  ]);
});

test('a layer change reaches the devices with the tag: their version rises, GET /config/fleet lists them behind', async () => {
  await gw.admin('POST', '/devices/bulk', { devices: [{ device_id: 'b-1', tags: ['canary'] }, { device_id: 'b-2' }] });
  await tag(ID, ['canary']);
  const v1 = (await fetched()).config_version;
  for (const id of [ID]) assert.is((await view(id)).config_version, v1);
  await dev.diagnostics(diag({ config_version: v1 }));
  const put = await json<TagView>(await gw.admin('PUT', '/config/tags/canary', { registers: ['voltage', 'pac'] }));
  assert.is(put.devices, 2, 'meter-1 and b-1 from the bulk add');
  assert.equal((await view('b-1')).config.registers, ['voltage', 'pac'], 'a device added in bulk with the tag');
  assert.equal((await view('b-2')).config.registers, ['voltage', 'current', 'power']);
  const fleet = await json<{ latest_version: number; up_to_date: number; behind: { device_id: string; config_version: number; applied_version: number | null }[] }>(
    await gw.admin('GET', '/config/fleet'),
  );
  assert.equal(fleet.behind.filter((b) => b.device_id === ID), [{ device_id: ID, config_version: put.config_version, applied_version: v1 }]);
  assert.is(fleet.latest_version, put.config_version);
  await dev.diagnostics(diag({ config_version: put.config_version }));
  assert.is((await view()).behind, false);

  const cleared = await json<TagView>(await gw.admin('DELETE', '/config/tags/canary'));
  assert.equal([cleared.changed, cleared.values, cleared.priority], [true, {}, 0]);
  assert.ok(cleared.config_version > put.config_version);
  const after = await fetched();
  assert.equal([after.config_version, after.config.registers], [cleared.config_version, ['voltage', 'current', 'power']]);
  assert.equal((await view()).sources.registers, 'built-in');
  assert.equal((await json<{ tags: TagView[] }>(await gw.admin('GET', '/config/tags'))).tags, [], 'an emptied layer is not listed');
  const again = await json<TagView>(await gw.admin('DELETE', '/config/tags/canary'));
  assert.equal([again.changed, again.config_version], [false, cleared.config_version]);
  const same = await json<TagView>(await gw.admin('PUT', '/config/tags/canary', { registers: null }));
  assert.is(same.changed, false);
});

test('validation: 400 naming the field, as for device overrides; nothing changes', async () => {
  const cases: [unknown, string][] = [
    [{ upload_frequency: 5 }, 'upload_frequency'],
    [{ registers: ['Pac'] }, 'registers.0'],
    [{ compression_method: 'zip' }, 'compression_method'],
    [{ sampling_rate: 10 }, 'sampling_rate'],
    [{ priority: -1 }, 'priority'],
    [{ priority: 1.5 }, 'priority'],
    [{ priority: 1001 }, 'priority'],
    [{ poll_frequency: 120 }, 'upload_frequency'],
    [{}, '(body)'],
  ];
  for (const [body, field] of cases) {
    const res = await gw.admin('PUT', '/config/tags/canary', body);
    assert.is(res.status, 400, JSON.stringify(body));
    const j = await json<{ error: { code: string; field: string; message: string } }>(res);
    assert.equal([j.error.code, j.error.field], ['invalid_config', field], `${JSON.stringify(body)} → ${j.error.message}`);
  }
  for (const bad of ['Canary', 'a%20b', 'x'.repeat(65)]) {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await gw.admin(method, `/config/tags/${bad}`, method === 'PUT' ? { upload_frequency: 120 } : undefined);
      assert.is(res.status, 400, `${method} ${bad}`);
      assert.is(await errorCode(res), 'invalid_tag');
    }
  }
  // `tags` is a path segment beside /config/:device_id now: no device may take that id.
  assert.is(await errorCode(await gw.admin('POST', '/devices', { device_id: 'tags' })), 'invalid_device_id');
  // A device override is checked over its tag layers: upload 30 (tag) < poll 60 (override) is refused.
  await tag(ID, ['canary']);
  assert.is((await gw.admin('PUT', '/config/tags/canary', { upload_frequency: 30 })).status, 200);
  const cross = await gw.admin('PUT', `/config/${ID}`, { poll_frequency: 60 });
  assert.is(cross.status, 400);
  assert.is((await json<{ error: { field: string } }>(cross)).error.field, 'upload_frequency');
  assert.is((await json<{ latest_version: number }>(await gw.admin('GET', '/config/fleet'))).latest_version, 2, 'only the one valid change got a version');
});

// Found in review: each layer was checked only over the fleet defaults, so two layers valid alone
// (or a layer and a device's overrides) could combine into a config the device refuses whole.
test('a write that would combine layers into a config a device cannot apply is refused, whichever layer it is; nothing changes', async () => {
  const ok = async (res: Response, what: string) => assert.is(res.status, 200, `${what}: ${res.status === 200 ? '' : await res.text()}`);
  const refused = async (res: Response, what: string, device = ID) => {
    assert.is(res.status, 400, what);
    const body = (await res.json()) as { error: { code: string; device_id: string; message: string } };
    assert.equal([body.error.code, body.error.device_id], ['invalid_config', device], what);
    assert.match(body.error.message, new RegExp(`${device}.*upload_frequency`), what);
  };
  await ok(await tag(ID, ['a', 'b']), 'tags');
  await ok(await gw.admin('PUT', '/config/tags/a', { poll_frequency: 120, upload_frequency: 300 }), 'a');
  const before = await view();
  // b alone over the defaults is fine (upload 60 >= poll 5); meter-1 carries a and b: poll 120, upload 60.
  await refused(await gw.admin('PUT', '/config/tags/b', { upload_frequency: 60 }), 'a second tag layer');
  await ok(await gw.admin('PUT', '/config/tags/c', { upload_frequency: 60 }), 'nobody carries c yet');
  await refused(await tag(ID, ['a', 'c']), 'retagging into a conflict');
  await refused(await gw.admin('POST', '/devices', { device_id: 'meter-9', tags: ['a', 'c'] }), 'registering with conflicting tags', 'meter-9');
  assert.is((await gw.admin('GET', '/devices/meter-9')).status, 404, 'not registered');
  await refused(await gw.admin('POST', '/devices/bulk', { devices: [{ device_id: 'meter-8' }, { device_id: 'meter-9', tags: ['a', 'c'] }] }), 'bulk', 'meter-9');
  assert.is((await gw.admin('GET', '/devices/meter-8')).status, 404, 'bulk registers all or none');
  // the device's own overrides: a layer above one, and clearing one a layer combination relies on
  await ok(await gw.admin('PUT', `/config/${ID}`, { upload_frequency: 150 }), 'override');
  await refused(await gw.admin('PUT', '/config/tags/a', { poll_frequency: 200 }), 'a layer above the override');
  await ok(await gw.admin('PUT', '/config/tags/b', { upload_frequency: 60, priority: 10 }), 'b now wins upload, under the override');
  await refused(await gw.admin('DELETE', `/config/${ID}`), 'clearing the override: poll 120 from a, upload 60 from b');
  // clearing a layer that masked a conflict between two others
  await SimDevice.register(gw, 'meter-2');
  await ok(await tag('meter-2', ['d', 'e', 'f']), 'tags of meter-2');
  await ok(await gw.admin('PUT', '/config/tags/d', { poll_frequency: 100, upload_frequency: 100 }), 'd');
  await ok(await gw.admin('PUT', '/config/tags/e', { upload_frequency: 120, priority: 10 }), 'e');
  await ok(await gw.admin('PUT', '/config/tags/f', { upload_frequency: 60 }), 'f: e still wins upload');
  await refused(await gw.admin('DELETE', '/config/tags/e'), 'clearing e leaves poll 100 with upload 60', 'meter-2');
  // fleet defaults valid alone, not under a device's layer
  await SimDevice.register(gw, 'meter-3');
  await ok(await tag('meter-3', ['g']), 'tags of meter-3');
  await ok(await gw.admin('PUT', '/config/tags/g', { poll_frequency: 50 }), 'g');
  await refused(await gw.admin('PUT', '/config/defaults', { upload_frequency: 45 }), 'defaults', 'meter-3');
  // untagging can uncover a conflict a layer was masking
  await SimDevice.register(gw, 'meter-4');
  await ok(await tag('meter-4', ['h']), 'tags of meter-4');
  await ok(await gw.admin('PUT', '/config/tags/h', { upload_frequency: 600 }), 'h');
  await ok(await gw.admin('PUT', '/config/meter-4', { poll_frequency: 300 }), 'poll 300 under upload 600');
  await refused(await tag('meter-4', []), 'untagging: poll 300 with the default upload 60', 'meter-4');
  // a revoked device is in no check; coming back, it is
  await SimDevice.register(gw, 'meter-5');
  await ok(await tag('meter-5', ['k']), 'tags of meter-5');
  await ok(await gw.admin('PUT', '/config/meter-5', { upload_frequency: 550 }), 'override of meter-5');
  await ok(await gw.admin('DELETE', '/devices/meter-5'), 'revoke');
  await ok(await gw.admin('PUT', '/config/tags/k', { poll_frequency: 590, upload_frequency: 600 }), 'k: nobody active carries it');
  await refused(await gw.admin('POST', '/devices/meter-5/reinstate'), 'reinstating into poll 590 with upload 550', 'meter-5');
  const after = await view();
  assert.equal([after.tags, after.overrides, after.config.poll_frequency, after.config.upload_frequency], [['a', 'b'], { upload_frequency: 150 }, 120, 150]);
  assert.ok(after.config_version > before.config_version, 'the accepted writes raised it');
  const served = (await fetched()).config as { poll_frequency: number; upload_frequency: number };
  assert.equal([served.poll_frequency, served.upload_frequency], [120, 150], 'what the device is served');
});

test('roles: a viewer reads but gets 403 on every change; an operator changes tag layers; one audit record each, naming the token', async () => {
  const viewer = await tokenFor('viewer');
  const operator = await tokenFor('operator');
  assert.is((await as(viewer, 'GET', '/config/tags')).status, 200);
  assert.is((await as(viewer, 'GET', '/config/tags/canary')).status, 200);
  for (const [method, body] of [['PUT', { upload_frequency: 120 }], ['DELETE', undefined]] as const) {
    const res = await as(viewer, method, '/config/tags/canary', body);
    assert.is(res.status, 403, method);
    assert.equal([await errorCode(res)], ['forbidden']);
  }
  assert.is((await as(operator, 'PUT', '/config/tags/canary', { upload_frequency: 120 })).status, 200);
  assert.is((await as(operator, 'PUT', '/config/tags/canary', { upload_frequency: 120 })).status, 200, 'unchanged: no record');
  assert.is((await as(operator, 'PUT', '/config/tags/canary', { upload_frequency: null, priority: 3 })).status, 200);
  assert.is((await as(operator, 'DELETE', '/config/tags/canary')).status, 200);
  assert.is((await as(operator, 'DELETE', '/config/tags/canary')).status, 200, 'nothing to clear: no record');
  const log = await json<{ entries: { actor: string; action: string; details: { tag: string; config_version: number; changes?: unknown } }[] }>(
    await as(ADMIN_TOKEN, 'GET', '/audit?action=config.'),
  );
  assert.equal(
    log.entries.filter((e) => e.action.startsWith('config.tag')).map((e) => [e.actor, e.action, e.details.tag, e.details.config_version, e.details.changes ?? null]),
    [
      ['token:ope', 'config.tag_updated', 'canary', 2, { upload_frequency: 120 }],
      ['token:ope', 'config.tag_updated', 'canary', 3, { upload_frequency: null, priority: 3 }],
      ['token:ope', 'config.tag_cleared', 'canary', 4, null],
    ],
  );
});

test('the offline sweep follows a heartbeat_interval set by a tag layer (and an override over it)', async () => {
  await tag(ID, ['fast']);
  await gw.admin('PUT', '/config/tags/fast', { heartbeat_interval: 10 });
  const other = await SimDevice.register(gw, 'meter-2');
  const third = await SimDevice.register(gw, 'meter-3');
  await tag('meter-3', ['fast']);
  await gw.admin('PUT', '/config/meter-3', { heartbeat_interval: 60 });
  for (const [d, boot] of [[dev, 'b1'], [other, 'b2'], [third, 'b3']] as const) await d.diagnostics(diag({ boot_id: boot }));
  clock.advance(31_000);
  await controlPlaneOf(gw.ctx).sweep();
  await controlPlaneOf(gw.ctx).events.idle();
  const events = await json<{ events: { device_id: string; type: string }[] }>(await gw.admin('GET', '/events'));
  assert.equal(events.events.map((e) => [e.device_id, e.type]), [[ID, 'offline']], 'meter-2 keeps the 60 s default, meter-3 its own 60 s');
});

test.run();
