import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../server/clock.ts';
import { errorCode, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { SimDevice, diag, json } from '../control-plane/device.ts';

let gw: TestGateway;
let dev: SimDevice;
const ID = 'inverter-7';

interface DeviceConfig {
  poll_frequency: number;
  upload_frequency: number;
  registers: string[];
  compression_enabled: boolean;
  compression_method: string;
  heartbeat_interval: number;
}
interface ConfigReply {
  success: true;
  config_version: number;
  config: DeviceConfig;
}
interface AdminView extends ConfigReply {
  overrides: Partial<DeviceConfig>;
  applied_version: number | null;
  behind: boolean;
  changed?: boolean;
}

const DEFAULTS: DeviceConfig = {
  poll_frequency: 5,
  upload_frequency: 60,
  registers: ['voltage', 'current', 'power'],
  compression_enabled: true,
  compression_method: 'smart',
  heartbeat_interval: 60,
};

test.before.each(async () => {
  gw = await startTestGateway({ clock: new FakeClock() });
  dev = await SimDevice.register(gw, ID);
});
test.after.each(async () => gw.destroy());

test('GET /config (signed) returns the built-in defaults and version 1, with a verifiable signature', async () => {
  const r = await dev.request<ConfigReply>('GET', '/config');
  assert.is(r.status, 200);
  assert.ok(r.signed);
  assert.equal(r.json, { success: true, config_version: 1, config: DEFAULTS });
  const unsigned = await gw.app.request('/config');
  assert.is(unsigned.status, 400);
  assert.is(await errorCode(unsigned), 'missing_signature_headers');
});

test('fleet defaults: PUT merges, validates and bumps the version; an unchanged PUT does not', async () => {
  const put = await gw.admin('PUT', '/config/defaults', { upload_frequency: 120, registers: ['voltage', 'pac', 'temp'] });
  assert.is(put.status, 200);
  const body = await json<ConfigReply & { changed: boolean; values: Partial<DeviceConfig> }>(put);
  assert.is(body.changed, true);
  assert.is(body.config_version, 2);
  assert.equal(body.values, { upload_frequency: 120, registers: ['voltage', 'pac', 'temp'] });
  assert.is(body.config.poll_frequency, 5);
  const same = await json<{ changed: boolean; config_version: number }>(await gw.admin('PUT', '/config/defaults', { upload_frequency: 120 }));
  assert.equal([same.changed, same.config_version], [false, 2]);
  const get = await json<ConfigReply>(await gw.admin('GET', '/config/defaults'));
  assert.is(get.config.upload_frequency, 120);
  const seen = await dev.request<ConfigReply>('GET', '/config');
  assert.is(seen.json.config_version, 2);
  assert.equal(seen.json.config.registers, ['voltage', 'pac', 'temp']);
});

test('concurrent PUTs of the defaults each answer the version and values their own write stored', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => json<{ changed: boolean; config_version: number; values: Partial<DeviceConfig> }>(await gw.admin('PUT', '/config/defaults', { heartbeat_interval: 30 + i }))),
  );
  const versions = answers.map((a) => a.config_version);
  assert.is(new Set(versions).size, 20, `versions answered twice: ${versions.join(',')}`);
  // Each answer shows the write that got its version, not one another request made later.
  const byVersion = new Map(answers.map((a, i) => [a.config_version, [a.values.heartbeat_interval, 30 + i]]));
  for (const [v, [shown, written]] of byVersion) assert.is(shown, written, `version ${v}`);
});

test('every field is validated: types, ranges, unknown fields → 400 naming the field', async () => {
  const cases: [unknown, string][] = [
    [{ poll_frequency: 0 }, 'poll_frequency'],
    [{ poll_frequency: 3601 }, 'poll_frequency'],
    [{ poll_frequency: 2.5 }, 'poll_frequency'],
    [{ poll_frequency: '5' }, 'poll_frequency'],
    [{ upload_frequency: 9 }, 'upload_frequency'],
    [{ upload_frequency: 86_401 }, 'upload_frequency'],
    [{ registers: [] }, 'registers'],
    [{ registers: 'voltage' }, 'registers'],
    [{ registers: ['voltage', 'voltage'] }, 'registers'],
    [{ registers: ['1abc'] }, 'registers.0'],
    [{ registers: ['Pac'] }, 'registers.0'],
    [{ registers: Array.from({ length: 33 }, (_, i) => `r${i}`) }, 'registers'],
    [{ compression_enabled: 'yes' }, 'compression_enabled'],
    [{ compression_method: 'zip' }, 'compression_method'],
    [{ heartbeat_interval: 9 }, 'heartbeat_interval'],
    [{ heartbeat_interval: null }, 'heartbeat_interval'],
    [{ sampling_rate: 10 }, 'sampling_rate'],
    [{ poll_frequency: 120, upload_frequency: 60 }, 'upload_frequency'],
    [{}, '(body)'],
  ];
  for (const [body, field] of cases) {
    const res = await gw.admin('PUT', '/config/defaults', body);
    assert.is(res.status, 400, JSON.stringify(body));
    const j = await json<{ error: { field: string; message: string } }>(res);
    assert.is(j.error.field, field, `${JSON.stringify(body)} → ${j.error.message}`);
  }
  // the same rules for device overrides (where null is allowed: it drops the override)
  const bad = await gw.admin('PUT', `/config/${ID}`, { compression_method: 'lz4' });
  assert.is(bad.status, 400);
  assert.is((await json<{ error: { field: string } }>(bad)).error.field, 'compression_method');
  const cross = await gw.admin('PUT', `/config/${ID}`, { poll_frequency: 600 });
  assert.is(cross.status, 400, 'checked against the effective config: upload 60 < poll 600');
  // nothing changed
  assert.is((await json<ConfigReply>(await gw.admin('GET', '/config/defaults'))).config_version, 1);
});

test('device overrides overlay the defaults; null drops one; DELETE drops all; versions only increase', async () => {
  const put = await json<AdminView>(await gw.admin('PUT', `/config/${ID}`, { heartbeat_interval: 30, compression_method: 'delta' }));
  assert.equal(put.overrides, { heartbeat_interval: 30, compression_method: 'delta' });
  assert.is(put.config.heartbeat_interval, 30);
  assert.is(put.config_version, 2);
  // a fleet change after the override: the device's version follows it and keeps its override
  await gw.admin('PUT', '/config/defaults', { heartbeat_interval: 90, poll_frequency: 10 });
  let mine = await dev.request<ConfigReply>('GET', '/config');
  assert.is(mine.json.config_version, 3);
  assert.is(mine.json.config.heartbeat_interval, 30);
  assert.is(mine.json.config.poll_frequency, 10);
  // another device is unaffected by the override
  const other = await SimDevice.register(gw, 'inverter-8');
  assert.is((await other.request<ConfigReply>('GET', '/config')).json.config.heartbeat_interval, 90);

  const dropped = await json<AdminView>(await gw.admin('PUT', `/config/${ID}`, { heartbeat_interval: null }));
  assert.equal(dropped.overrides, { compression_method: 'delta' });
  assert.is(dropped.config.heartbeat_interval, 90);
  assert.is(dropped.config_version, 4);
  const cleared = await json<AdminView>(await gw.admin('DELETE', `/config/${ID}`));
  assert.equal(cleared.overrides, {});
  assert.is(cleared.config_version, 5);
  assert.is(cleared.config.compression_method, 'smart');
  const again = await json<AdminView>(await gw.admin('DELETE', `/config/${ID}`));
  assert.equal([again.changed, again.config_version], [false, 5]);
  mine = await dev.request<ConfigReply>('GET', '/config');
  assert.is(mine.json.config_version, 5);

  assert.is((await gw.admin('PUT', '/config/nobody', { heartbeat_interval: 30 })).status, 404);
  assert.is((await gw.admin('GET', '/config/nobody')).status, 404);
  assert.is((await gw.admin('DELETE', '/config/nobody')).status, 404);
  const log = await json<{ entries: { action: string; actor: string }[] }>(await gw.admin('GET', '/audit?action=config.'));
  assert.equal(log.entries.map((e) => e.action), [
    'config.device_updated',
    'config.defaults_updated',
    'config.device_updated',
    'config.device_cleared',
  ]);
  assert.ok(log.entries.every((e) => e.actor === 'token:bootstrap'));
});

test('walkthrough: change a value, the device notices from its diagnostics reply, fetches, applies, reports', async () => {
  // device boots, fetches config v1 and reports it applied
  const v1 = (await dev.request<ConfigReply>('GET', '/config')).json.config_version;
  assert.is((await dev.diagnostics(diag({ config_version: v1 }))).json.config_version, v1);
  let view = await json<AdminView>(await gw.admin('GET', `/config/${ID}`));
  assert.equal([view.applied_version, view.behind], [v1, false]);

  await gw.admin('PUT', `/config/${ID}`, { upload_frequency: 300 });
  view = await json<AdminView>(await gw.admin('GET', `/config/${ID}`));
  assert.equal([view.applied_version, view.behind, view.config_version], [v1, true, 2]);
  const fleet = await json<{ latest_version: number; devices: number; up_to_date: number; behind: { device_id: string; config_version: number; applied_version: number | null }[] }>(
    await gw.admin('GET', '/config/fleet'),
  );
  assert.equal(fleet.behind, [{ device_id: ID, config_version: 2, applied_version: 1 }]);
  assert.equal([fleet.latest_version, fleet.devices, fleet.up_to_date], [2, 1, 0]);

  // its next diagnostics reply says version 2 exists; it fetches, applies, reports
  const reply = await dev.diagnostics(diag({ config_version: v1 }));
  assert.is(reply.json.config_version, 2);
  const fresh = await dev.request<ConfigReply>('GET', '/config');
  assert.is(fresh.json.config.upload_frequency, 300);
  await dev.diagnostics(diag({ config_version: fresh.json.config_version }));
  view = await json<AdminView>(await gw.admin('GET', `/config/${ID}`));
  assert.equal([view.applied_version, view.behind], [2, false]);
  assert.equal((await json<{ behind: unknown[] }>(await gw.admin('GET', '/config/fleet'))).behind, []);
});

test('a device that never reported is behind; revoked devices are left out of the fleet view', async () => {
  await gw.register('quiet');
  await gw.register('retired');
  await gw.admin('DELETE', '/devices/retired');
  const fleet = await json<{ devices: number; behind: { device_id: string; applied_version: number | null }[] }>(await gw.admin('GET', '/config/fleet'));
  assert.is(fleet.devices, 2);
  assert.equal(fleet.behind.map((b) => [b.device_id, b.applied_version]), [
    [ID, null],
    ['quiet', null],
  ]);
});

test('a replayed GET /config gets the stored answer of the original, not the current config', async () => {
  // Attack (issue 12.2): a recorded config request re-sent after the config changed.
  const first = await dev.request<ConfigReply>('GET', '/config');
  await gw.admin('PUT', '/config/defaults', { poll_frequency: 7 });
  const again = await dev.send<ConfigReply>(first.nonce, 'GET', '/config');
  assert.is(again.status, 200);
  assert.ok(again.signed);
  assert.ok(again.body.equals(first.body), 'byte-identical stored reply');
  assert.is.not(again.json.config.poll_frequency, 7);
  assert.is((await dev.request<ConfigReply>('GET', '/config')).json.config.poll_frequency, 7, 'a new request sees the change');
});

test('a device id that names an inherited property (constructor) is just data', async () => {
  // (`__proto__` cannot be tested end to end: the core device registry does not store that id.)
  const proto = await SimDevice.register(gw, 'constructor');
  assert.equal((await json<AdminView>(await gw.admin('GET', '/config/constructor'))).overrides, {});
  const put = await gw.admin('PUT', '/config/constructor', { heartbeat_interval: 45 });
  assert.is(put.status, 200);
  assert.is((await proto.request<ConfigReply>('GET', '/config')).json.config.heartbeat_interval, 45);
  assert.is((await dev.request<ConfigReply>('GET', '/config')).json.config.heartbeat_interval, 60);
  await proto.diagnostics(diag({ config_version: 2 }));
  assert.is((await json<AdminView>(await gw.admin('GET', '/config/constructor'))).applied_version, 2);
});

test.run();
