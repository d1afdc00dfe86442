/**
 * Device groups (issue 15): tags set at registration (one or in bulk) and with PUT
 * /devices/:id/tags (validated, sorted, unique, at most 32), filterable with GET /devices?tag=,
 * audited; targets ("all", "tag:<tag>", ids) for commands: one command per active device of the
 * target, one audit record for the request with the count, an empty or unknown target refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { configBusy } from '../../server/remote-config/repo.ts';
import { errorCode, startTestGateway } from '../helpers/gateway.ts';

test('tags: set at registration and by PUT, validated, listed and filtered; audited', async () => {
  const gw = await startTestGateway();
  assert.is((await gw.admin('POST', '/devices', { device_id: 'a', tags: ['site:lyon', 'canary', 'canary'] })).status, 201);
  assert.is((await gw.admin('POST', '/devices/bulk', { devices: [{ device_id: 'b', tags: ['site:lyon'] }, { device_id: 'c' }] })).status, 201);
  const list = async (q = '') => ((await (await gw.admin('GET', `/devices${q}`)).json()) as { devices: { device_id: string; tags: string[] }[] }).devices;
  assert.equal((await list()).map((d) => [d.device_id, d.tags]), [['a', ['canary', 'site:lyon']], ['b', ['site:lyon']], ['c', []]]);
  assert.equal((await list('?tag=site:lyon')).map((d) => d.device_id), ['a', 'b']);
  const put = await gw.admin('PUT', '/devices/c/tags', ['canary', 'floor-2']);
  assert.is(put.status, 200);
  assert.equal(((await put.json()) as { device: { tags: string[] } }).device.tags, ['canary', 'floor-2']);
  assert.equal((await list('?tag=canary')).map((d) => d.device_id), ['a', 'c']);
  for (const bad of [['UPPER'], ['a b'], ['x'.repeat(65)], Array.from({ length: 33 }, (_, i) => `t${i}`), '"canary"', [1]]) {
    const res = await gw.admin('PUT', '/devices/c/tags', bad);
    assert.is(res.status, 400, JSON.stringify(bad));
    assert.is(await errorCode(res), 'invalid_tags');
  }
  assert.is((await gw.admin('PUT', '/devices/nobody/tags', ['x'])).status, 404);
  assert.is((await gw.admin('GET', '/devices?tag=Bad Tag')).status, 400);
  const audit = (await (await gw.admin('GET', '/audit?action=device.tagged')).json()) as { entries: { device_id: string; details: { tags: string[] } }[] };
  assert.equal(audit.entries.map((e) => [e.device_id, e.details.tags]), [['c', ['canary', 'floor-2']]]);
  await gw.destroy();
});

// Found in review: the tag guard ran before the existence check, so re-registering an existing id
// with tags whose layers clash answered 400 invalid_config, about a configuration it never gets.
test('an id that exists is 409 device_exists whatever its tags would do, in bulk or alone; nothing registered or retagged', async () => {
  const gw = await startTestGateway();
  assert.is((await gw.admin('POST', '/devices', { device_id: 'd-1', tags: ['a'] })).status, 201);
  assert.is((await gw.admin('POST', '/devices', { device_id: 'r-1' })).status, 201);
  assert.is((await gw.admin('DELETE', '/devices/r-1')).status, 200);
  // a and c together: upload 60 < poll 120, a configuration no device can apply
  assert.is((await gw.admin('PUT', '/config/tags/a', { poll_frequency: 120, upload_frequency: 300 })).status, 200);
  assert.is((await gw.admin('PUT', '/config/tags/c', { upload_frequency: 60 })).status, 200);
  const conflict = async (res: Response, message: RegExp, what: string) => {
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal([res.status, error.code], [409, 'device_exists'], `${what}: ${error.message}`);
    assert.match(error.message, message, what);
  };
  const bulk = (...devices: { device_id: string; tags?: string[] }[]) => gw.admin('POST', '/devices/bulk', { devices });
  for (const tags of [['a'], ['x'], ['a', 'c']]) {
    await conflict(await bulk({ device_id: 'n-1' }, { device_id: 'd-1', tags }), /^devices already exist: d-1; nothing was registered$/, `bulk, tags ${tags}`);
  }
  await conflict(await bulk({ device_id: 'n-1' }, { device_id: 'r-1', tags: ['a', 'c'] }), /^devices already exist: r-1;/, 'a revoked id');
  await conflict(await gw.admin('POST', '/devices', { device_id: 'd-1', tags: ['a', 'c'] }), /^device d-1 already exists$/, 'one device');
  // A new id with those tags is still refused for its configuration.
  assert.is(await errorCode(await bulk({ device_id: 'n-1', tags: ['a', 'c'] })), 'invalid_config');
  const listed = (await (await gw.admin('GET', '/devices')).json()) as { devices: { device_id: string; tags: string[] }[] };
  assert.equal(listed.devices.map((d) => [d.device_id, d.tags]), [['d-1', ['a']], ['r-1', []]]);
  const audit = (await (await gw.admin('GET', '/audit?action=device.created')).json()) as { count: number };
  assert.is(audit.count, 2);
  await gw.destroy();
});

test('POST /commands to a target: one command per active device, one audit record with the count', async () => {
  const gw = await startTestGateway({ env: { COMMAND_QUEUE_LIMIT: '1' } });
  for (const [id, tags] of [['m1', ['canary']], ['m2', ['canary']], ['m3', []], ['m4', ['canary']]] as const) {
    await gw.admin('POST', '/devices', { device_id: id, tags });
  }
  await gw.admin('DELETE', '/devices/m4');
  const res = await gw.admin('POST', '/commands', { target: 'tag:canary', command_type: 'set_relay', parameters: { relay: 1, state: 'on' } });
  assert.is(res.status, 201);
  const out = (await res.json()) as { queued: number; command_ids: string[]; skipped: unknown[] };
  assert.is(out.queued, 2, 'm1 and m2; m4 is revoked');
  const queuedFor = async (id: string) => ((await (await gw.admin('GET', `/commands/${id}`)).json()) as { count: number }).count;
  assert.equal([await queuedFor('m1'), await queuedFor('m2'), await queuedFor('m3')], [1, 1, 0]);
  // the queue limit (1 here) skips a full device and names it
  const all = (await (await gw.admin('POST', '/commands', { target: 'all', command_type: 'reboot' })).json()) as { queued: number; skipped: { device_id: string }[] };
  assert.equal([all.queued, all.skipped.map((s) => s.device_id)], [1, ['m1', 'm2']]);
  const listed = (await (await gw.admin('POST', '/commands', { target: ['m3'], command_type: 'reboot' })).json()) as { queued: number; skipped: { device_id: string; reason: string }[] };
  assert.equal([listed.queued, listed.skipped], [0, [{ device_id: 'm3', reason: 'queue_full' }]], 'a list target; m3 already holds the limit');
  const audit = (await (await gw.admin('GET', '/audit?action=command.created')).json()) as { entries: { details: { count: number; target: unknown } }[] };
  assert.equal(audit.entries.map((e) => [e.details.target, e.details.count]), [['tag:canary', 2], ['all', 1], [['m3'], 0]]);
  for (const [body, code] of [
    [{ target: 'tag:nobody', command_type: 'reboot' }, 'empty_target'],
    [{ target: ['ghost'], command_type: 'reboot' }, 'unknown_device'],
    [{ target: 'everyone', command_type: 'reboot' }, 'invalid_command'],
    [{ target: 'all', command_type: 'self_destruct' }, 'invalid_command'],
  ] as const) {
    const bad = await gw.admin('POST', '/commands', body);
    assert.is(bad.status, 400, JSON.stringify(body));
    assert.is(await errorCode(bad), code);
  }
  await gw.destroy();
});

test('set_config to a target while configuration changes are stuck: the devices done keep theirs, the rest are named skipped', async () => {
  const gw = await startTestGateway();
  for (const id of ['m1', 'm2', 'm3', 'm4']) await gw.admin('POST', '/devices', { device_id: id });
  // From the third device on, every configuration change finds another one stuck past the bound.
  const store = gw.ctx.store;
  const configWrite = store.configWrite.bind(store);
  let changes = 0;
  store.configWrite = (work) => (++changes > 2 ? Promise.reject(configBusy(10_000)) : configWrite(work));
  const res = await gw.admin('POST', '/commands', { target: 'all', command_type: 'set_config', parameters: { upload_frequency: 120 } });
  assert.is(res.status, 201, await res.clone().text());
  const out = (await res.json()) as { queued: number; skipped: { device_id: string; reason: string }[] };
  assert.equal(out.queued, 2);
  assert.equal(out.skipped, [
    { device_id: 'm3', reason: 'config_busy' },
    { device_id: 'm4', reason: 'config_busy' },
  ]);
  assert.is(changes, 3, 'stopped at the first busy device instead of waiting out the bound for each');
  const queuedFor = async (id: string) => ((await (await gw.admin('GET', `/commands/${id}`)).json()) as { count: number }).count;
  assert.equal(await Promise.all(['m1', 'm2', 'm3', 'm4'].map(queuedFor)), [1, 1, 0, 0]);
  await gw.destroy();
});

test.run();
