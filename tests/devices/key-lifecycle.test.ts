/**
 * Key compromise (issue 12.11): rotate-key with {"immediate": true} kills the old key at once, and
 * a revoked device can be reinstated under its id with a new key (every older key stays dead).
 * Also ids reserved because they are fixed path segments beside `:device_id` (issue 12.3).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../server/clock.ts';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { errorCode, samples, startTestGateway } from '../helpers/gateway.ts';

type Issued = { device_id: string; hmac_key: string; key_version: number; previous_key_valid_until?: string | null };

test('rotate-key {"immediate": true}: the old key is refused at once; without it the old key lasts the grace period', async () => {
  const clock = new FakeClock();
  const gw = await startTestGateway({ clock });
  const old = await gw.register('m');
  const graceful = (await (await gw.admin('POST', '/devices/m/rotate-key')).json()) as Issued;
  assert.ok(graceful.previous_key_valid_until);
  assert.is((await gw.upload('m', old, 1, { aggregated_data: samples(1) })).status, 200, 'old key inside the grace period');
  const now = (await (await gw.admin('POST', '/devices/m/rotate-key', { immediate: true })).json()) as Issued;
  assert.is(now.key_version, 3);
  assert.is(now.previous_key_valid_until, null);
  for (const k of [old, hexToBytes(graceful.hmac_key)]) {
    const res = await gw.upload('m', k, 5, { aggregated_data: samples(1) });
    assert.is(res.status, 401);
    assert.is(await errorCode(res), 'bad_signature');
  }
  assert.is((await gw.upload('m', hexToBytes(now.hmac_key), 6, { aggregated_data: samples(1) })).status, 200);
  const bad = await gw.admin('POST', '/devices/m/rotate-key', { immediate: 'yes' });
  assert.is(bad.status, 400);
  await gw.destroy();
});

test('reinstate: a revoked device gets a new key (201, like POST /devices); old keys stay dead; nonce floor kept', async () => {
  const gw = await startTestGateway();
  const old = await gw.register('pwned');
  assert.is((await gw.upload('pwned', old, 40, { aggregated_data: samples(1) })).status, 200);
  assert.is((await gw.admin('POST', '/devices/pwned/reinstate')).status, 409, 'not revoked yet');
  await gw.admin('DELETE', '/devices/pwned');
  const res = await gw.admin('POST', '/devices/pwned/reinstate');
  assert.is(res.status, 201);
  const issued = (await res.json()) as Issued;
  assert.is(issued.device_id, 'pwned');
  assert.is(issued.key_version, 2);
  assert.is((await gw.upload('pwned', old, 41, { aggregated_data: samples(1) })).status, 401, 'the compromised key is dead');
  const fresh = hexToBytes(issued.hmac_key);
  assert.is((await gw.upload('pwned', fresh, 40, { aggregated_data: samples(1) })).status, 401, 'replay: the floor is kept');
  assert.is((await gw.upload('pwned', fresh, 41, { aggregated_data: samples(1) })).status, 200);
  const view = (await (await gw.admin('GET', '/devices/pwned')).json()) as { device: { status: string; reinstated_at: string | null } };
  assert.is(view.device.status, 'active');
  assert.ok(view.device.reinstated_at);
  assert.is((await gw.admin('POST', '/devices/nobody/reinstate')).status, 404);
  await gw.destroy();
});

test('ids that are fixed path segments beside :device_id are refused at registration', async () => {
  const gw = await startTestGateway();
  for (const id of ['defaults', 'fleet', 'summary']) {
    const res = await gw.admin('POST', '/devices', { device_id: id });
    assert.is(res.status, 400, id);
    assert.is(await errorCode(res), 'invalid_device_id');
  }
  // `status` is not reserved: /commands/status/poll still reaches the device route
  assert.is((await gw.admin('POST', '/devices', { device_id: 'status' })).status, 201);
  assert.is((await gw.admin('POST', '/devices/bulk', { devices: [{ device_id: 'ok-1' }, { device_id: 'fleet' }] })).status, 400);
  await gw.destroy();
});

test.run();
