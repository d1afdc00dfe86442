/**
 * Legacy devices on the fleet-wide HMAC_PSK (issue 12.4). The raw fleet key's MAC covers nonce and
 * payload, not the device id, so: no auto-registration (only ids an admin listed), a raw-key
 * message is bound to the first listed device that used it (re-posting it as another id fails and
 * moves no nonce floor), re-flashed devices sign with HMAC(psk, id) and are then refused the raw
 * key, and rotate-key turns a shared device into one with its own key.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { bytesToHex, hexToBytes } from '../../server/crypto/hmac.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { errorCode, samples, startTestGateway, type TestGateway } from '../helpers/gateway.ts';

const PSK = 'c41716a134168f52fbd4be3302fa5a88127ddb69e2ab2ebc9d5a2a4f3cbe9b72';
const RAW = hexToBytes(PSK);
const SHARED_ENV = { HMAC_PSK: PSK, ALLOW_SHARED_PSK: '1' };
const bound = (id: string) => new Uint8Array(createHmac('sha256', RAW).update(id).digest());

async function device(gw: TestGateway, id: string) {
  const res = await gw.admin('GET', `/devices/${id}`);
  return res.status === 200 ? ((await res.json()) as { device: { last_nonce: number | null; key_mode: string; psk_bound: boolean | null } }).device : undefined;
}

async function addShared(gw: TestGateway, id: string) {
  const res = await gw.admin('POST', '/devices', { device_id: id, shared_key: true });
  assert.is(res.status, 201, await res.clone().text());
  return (await res.json()) as { device_id: string; key_mode: string; hmac_key: string; key_version: number };
}

test('no auto-registration: an unlisted id signing with the fleet key is refused and nothing is created', async () => {
  const gw = await startTestGateway({ env: SHARED_ENV });
  // Attack: a fleet-key upload as a future id with the largest nonce used to register it and lock it out.
  const res = await gw.upload('future-1', RAW, 4294967295, { aggregated_data: samples(1) });
  assert.is(res.status, 401);
  assert.is(await errorCode(res), 'bad_signature');
  assert.is(await device(gw, 'future-1'), undefined);
  // the admin can still add that id later, as a shared or an own-key device
  const added = await addShared(gw, 'future-1');
  assert.is(added.key_mode, 'shared');
  assert.is(added.hmac_key, bytesToHex(bound('future-1')), 'the key for re-flashed firmware: HMAC(psk, id)');
  assert.is((await gw.upload('future-1', RAW, 1, { aggregated_data: samples(1) })).status, 200);
  await gw.destroy();
});

test('a raw fleet-key envelope re-posted as another shared device is refused and moves no nonce floor', async () => {
  const gw = await startTestGateway({ env: SHARED_ENV });
  await addShared(gw, 'squat-0');
  await addShared(gw, 'squat-1');
  const original = signEnvelope(RAW, 'squat-0', 500, { aggregated_data: samples(2) });
  const ok = await gw.app.request('/aggregated/squat-0', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(original) });
  assert.is(ok.status, 200);
  // Attack: body and path changed, MAC untouched.
  const moved = { ...original, device_id: 'squat-1' };
  const res = await gw.app.request('/aggregated/squat-1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(moved) });
  assert.is(res.status, 401);
  assert.is(await errorCode(res), 'bad_signature');
  assert.is((await device(gw, 'squat-1'))?.last_nonce, null, 'squat-1 floor untouched');
  // squat-1's own traffic with a lower nonce still works
  assert.is((await gw.upload('squat-1', RAW, 3, { aggregated_data: samples(1) })).status, 200);
  // and an exact retransmission to squat-0 is still its duplicate
  const again = await gw.app.request('/aggregated/squat-0', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(original) });
  assert.equal(((await again.json()) as { duplicate?: boolean }).duplicate, true);
  await gw.destroy();
});

test('a raw fleet-key signed request with only X-Device-Id swapped is refused (GET /config)', async () => {
  const gw = await startTestGateway({ env: SHARED_ENV });
  await addShared(gw, 'squat-0');
  await addShared(gw, 'squat-1');
  const first = await gw.deviceRequest('squat-0', RAW, 10, 'GET', '/config');
  assert.is(first.status, 200);
  const headers = signRequestHeaders(RAW, 'squat-0', 10, 'GET', '/config');
  const swapped = await gw.app.request('/config', { headers: { ...headers, 'X-Device-Id': 'squat-1' } });
  assert.is(swapped.status, 401);
  assert.is(await errorCode(swapped), 'bad_signature');
  assert.is((await device(gw, 'squat-1'))?.last_nonce, null);
  await gw.destroy();
});

test('a re-flashed device signs with HMAC(psk, id); from then on the raw fleet key is refused for it', async () => {
  const gw = await startTestGateway({ env: SHARED_ENV });
  await addShared(gw, 'meter-7');
  assert.is((await gw.upload('meter-7', RAW, 1, { aggregated_data: samples(1) })).status, 200, 'field firmware');
  assert.is((await device(gw, 'meter-7'))?.psk_bound, false);
  assert.is((await gw.upload('meter-7', bound('meter-7'), 2, { aggregated_data: samples(1) })).status, 200, 'new firmware');
  assert.is((await device(gw, 'meter-7'))?.psk_bound, true);
  const downgrade = await gw.upload('meter-7', RAW, 3, { aggregated_data: samples(1) });
  assert.is(downgrade.status, 401);
  // another device's bound key never verifies for this one
  await addShared(gw, 'meter-8');
  assert.is((await gw.upload('meter-8', bound('meter-7'), 9, { aggregated_data: samples(1) })).status, 401);
  await gw.destroy();
});

test('without ALLOW_SHARED_PSK listed shared devices must use the id-bound key; without HMAC_PSK none can be added', async () => {
  const gw = await startTestGateway({ env: { HMAC_PSK: PSK } });
  await addShared(gw, 'legacy-1');
  assert.is((await gw.upload('legacy-1', RAW, 1, { aggregated_data: samples(1) })).status, 401);
  assert.is((await gw.upload('legacy-1', bound('legacy-1'), 2, { aggregated_data: samples(1) })).status, 200);
  await gw.destroy();
  const plain = await startTestGateway();
  const res = await plain.admin('POST', '/devices', { device_id: 'x', shared_key: true });
  assert.is(res.status, 409);
  assert.is(await errorCode(res), 'shared_key_unavailable');
  await plain.destroy();
});

test('bulk registration: all or nothing, shared and own-key devices, duplicates named', async () => {
  const gw = await startTestGateway({ env: SHARED_ENV });
  const res = await gw.admin('POST', '/devices/bulk', {
    devices: [{ device_id: 'b-1' }, { device_id: 'b-2', shared_key: true }, { device_id: 'b-3' }],
  });
  assert.is(res.status, 201);
  const body = (await res.json()) as { created: number; devices: { device_id: string; key_mode: string; hmac_key: string }[] };
  assert.is(body.created, 3);
  assert.equal(body.devices.map((d) => d.key_mode), ['derived', 'shared', 'derived']);
  assert.is((await gw.upload('b-1', hexToBytes(body.devices[0]!.hmac_key), 1, { aggregated_data: samples(1) })).status, 200);
  assert.is((await gw.upload('b-2', RAW, 1, { aggregated_data: samples(1) })).status, 200);
  const clash = await gw.admin('POST', '/devices/bulk', { devices: [{ device_id: 'b-4' }, { device_id: 'b-2' }] });
  assert.is(clash.status, 409);
  assert.match(((await clash.json()) as { error: { message: string } }).error.message, /b-2/);
  assert.is(await device(gw, 'b-4'), undefined, 'nothing registered');
  const twice = await gw.admin('POST', '/devices/bulk', { devices: [{ device_id: 'b-5' }, { device_id: 'b-5' }] });
  assert.is(twice.status, 400);
  assert.is((await gw.admin('POST', '/devices/bulk', { devices: [] })).status, 400);
  await gw.destroy();
});

test('rotate-key turns a shared device into one with its own key; the fleet key lasts the grace period or dies at once', async () => {
  const gw = await startTestGateway({ env: SHARED_ENV });
  await addShared(gw, 'conv-1');
  await addShared(gw, 'conv-2');
  for (const [id, immediate] of [['conv-1', false], ['conv-2', true]] as const) {
    const res = await gw.admin('POST', `/devices/${id}/rotate-key`, immediate ? { immediate: true } : undefined);
    assert.is(res.status, 200);
    const out = (await res.json()) as { key_mode: string; hmac_key: string; key_version: number; previous_key_valid_until: string | null };
    assert.is(out.key_mode, 'derived');
    assert.is(out.key_version, 1);
    assert.is(out.previous_key_valid_until === null, immediate);
    assert.is((await gw.upload(id, RAW, 1, { aggregated_data: samples(1) })).status, immediate ? 401 : 200, `${id} raw key`);
    assert.is((await gw.upload(id, hexToBytes(out.hmac_key), 2, { aggregated_data: samples(1) })).status, 200, `${id} own key`);
  }
  await gw.destroy();
});

test.run();
