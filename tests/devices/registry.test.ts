import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '../../server/clock.ts';
import { bytesToHex, hexToBytes } from '../../server/crypto/hmac.ts';
import { errorCode, samples, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

let gw: TestGateway;
let clock: FakeClock;

test.before.each(async () => {
  clock = new FakeClock();
  gw = await startTestGateway({ clock });
});
test.after.each(async () => gw.destroy());

test('POST /devices returns a fresh 64-hex key once; duplicate is 409', async () => {
  const res = await gw.admin('POST', '/devices', { device_id: 'ESP32_EcoWatt_Smart' });
  assert.is(res.status, 201);
  const json = (await res.json()) as { device_id: string; hmac_key: string };
  assert.is(json.device_id, 'ESP32_EcoWatt_Smart');
  assert.match(json.hmac_key, /^[0-9a-f]{64}$/);
  const dup = await gw.admin('POST', '/devices', { device_id: 'ESP32_EcoWatt_Smart' });
  assert.is(dup.status, 409);
  assert.is(await errorCode(dup), 'device_exists');
  const other = (await (await gw.admin('POST', '/devices', { device_id: 'b' })).json()) as { hmac_key: string };
  assert.is.not(other.hmac_key, json.hmac_key);
});

test('device id validation', async () => {
  for (const id of ['', 'a'.repeat(65), 'a b', 'a/b', '..', '.', '__proto__', 'ü', 5, null]) {
    const res = await gw.admin('POST', '/devices', { device_id: id });
    assert.is(res.status, 400, `id ${JSON.stringify(id)}`);
    assert.is(await errorCode(res), 'invalid_device_id');
  }
  for (const id of ['a', 'a'.repeat(64), 'A-b_c.9']) assert.is((await gw.admin('POST', '/devices', { device_id: id })).status, 201);
});

test('admin body is parsed as JSON even with a form content type (curl -d)', async () => {
  const res = await gw.app.request('/devices', {
    method: 'POST',
    headers: { authorization: 'Bearer test-admin-token-0123456789abcdef', 'content-type': 'application/x-www-form-urlencoded' },
    body: '{"device_id":"curl-dev"}',
  });
  assert.is(res.status, 201);
});

test('GET /devices lists last seen and last nonce, never keys', async () => {
  const key = await gw.register('dev1');
  assert.is((await gw.upload('dev1', key, 42, { aggregated_data: samples(1) })).status, 200);
  const text = await (await gw.admin('GET', '/devices')).text();
  assert.not.ok(text.includes(bytesToHex(key)), 'key leaked in list');
  const json = JSON.parse(text) as { devices: { device_id: string; last_nonce: number; last_seen: string; status: string }[] };
  assert.is(json.devices[0]!.last_nonce, 42);
  assert.is(json.devices[0]!.last_seen, new Date(clock.now()).toISOString());
  assert.is(json.devices[0]!.status, 'active');
});

test('data files never hold the device key', async () => {
  const key = bytesToHex(await gw.register('dev1'));
  await gw.upload('dev1', hexToBytes(key), 1, { aggregated_data: samples(1) });
  const dataDir = gw.config.DATA_DIR;
  for (const f of await readdir(dataDir, { recursive: true })) {
    const path = join(dataDir, String(f));
    if ((await stat(path)).isFile()) assert.not.ok((await readFile(path, 'utf8')).includes(key), `key found in ${f}`);
  }
});

test('rotate-key: old key works during the grace period, then stops', async () => {
  const oldKey = await gw.register('dev1');
  const res = await gw.admin('POST', '/devices/dev1/rotate-key');
  assert.is(res.status, 200);
  const newKey = hexToBytes(((await res.json()) as { hmac_key: string }).hmac_key);
  assert.is.not(bytesToHex(newKey), bytesToHex(oldKey));
  assert.is((await gw.upload('dev1', oldKey, 1, { aggregated_data: samples(1) })).status, 200);
  assert.is((await gw.upload('dev1', newKey, 2, { aggregated_data: samples(1) })).status, 200);
  clock.advance(24 * 3600 * 1000 + 1);
  const late = await gw.upload('dev1', oldKey, 3, { aggregated_data: samples(1) });
  assert.is(late.status, 401);
  assert.is(await errorCode(late), 'bad_signature');
  assert.is((await gw.upload('dev1', newKey, 3, { aggregated_data: samples(1) })).status, 200);
});

test('revoke and rotate of unknown devices are 404; admin routes need the token', async () => {
  assert.is((await gw.admin('DELETE', '/devices/ghost')).status, 404);
  assert.is((await gw.admin('POST', '/devices/ghost/rotate-key')).status, 404);
  const noAuth = await gw.app.request('/devices');
  assert.is(noAuth.status, 401);
  assert.is(await errorCode(noAuth), 'unauthorized');
  const wrong = await gw.app.request('/devices', { headers: { authorization: 'Bearer nope-nope-nope-nope' } });
  assert.is(wrong.status, 401);
  for (const path of ['/devices', '/security/stats', '/telemetry/x', '/metrics']) {
    assert.is((await gw.app.request(path)).status, 401, path);
  }
  assert.is((await gw.app.request('/health')).status, 200);
});

test('revoked device cannot rotate; shared-key legacy devices are auto-registered only when allowed', async () => {
  await gw.register('dev1');
  await gw.admin('DELETE', '/devices/dev1');
  assert.is((await gw.admin('POST', '/devices/dev1/rotate-key')).status, 409);
});

test.run();
