import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { errorCode, samples, startTestGateway } from '../helpers/gateway.ts';

const PSK = 'c41716a134168f52fbd4be3302fa5a88127ddb69e2ab2ebc9d5a2a4f3cbe9b72';

test('with ALLOW_SHARED_PSK=1 an unregistered device signing with HMAC_PSK is auto-registered as shared', async () => {
  const gw = await startTestGateway({ env: { HMAC_PSK: PSK, ALLOW_SHARED_PSK: '1' } });
  const res = await gw.upload('legacy-1', hexToBytes(PSK), 200001, { aggregated_data: samples(2) });
  assert.is(res.status, 200);
  const list = (await (await gw.admin('GET', '/devices')).json()) as { devices: { device_id: string; key_mode: string }[] };
  assert.equal(list.devices.map((d) => [d.device_id, d.key_mode]), [['legacy-1', 'shared']]);
  // a registered device cannot use the shared key
  await gw.register('own-key');
  const own = await gw.upload('own-key', hexToBytes(PSK), 1, { aggregated_data: samples(1) });
  assert.is(own.status, 401);
  assert.is(await errorCode(own), 'bad_signature');
  await gw.destroy();
});

test('without ALLOW_SHARED_PSK the shared key is refused as unknown_device', async () => {
  const gw = await startTestGateway({ env: { HMAC_PSK: PSK } });
  const res = await gw.upload('legacy-1', hexToBytes(PSK), 1, { aggregated_data: samples(1) });
  assert.is(res.status, 401);
  assert.is(await errorCode(res), 'unknown_device');
  await gw.destroy();
});

test.run();
