import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { ADMIN_TOKEN, samples, tempDir } from '../helpers/gateway.ts';
import { startGatewayProcess } from '../helpers/process.ts';

test('a nonce accepted before SIGKILL is refused after restart; the sample was stored once (the npm start bundle)', async () => {
  const dir = await tempDir();
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), ADMIN_TOKEN };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  let gw = await startGatewayProcess(env, { bundle: true });
  const reg = await fetch(`${gw.url}/devices`, { method: 'POST', headers: admin, body: JSON.stringify({ device_id: 'meter-1' }) });
  const key = hexToBytes(((await reg.json()) as { hmac_key: string }).hmac_key);
  const envelope = JSON.stringify(signEnvelope(key, 'meter-1', 1000, { aggregated_data: samples(5) }));
  const post = (url: string, body: string) =>
    fetch(`${url}/aggregated/meter-1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.is((await post(gw.url, envelope)).status, 200);
  assert.is(await gw.kill('SIGKILL'), null);

  gw = await startGatewayProcess(env, { bundle: true });
  // exact retransmission: still answered as duplicate, not stored again
  const dup = await post(gw.url, envelope);
  assert.is(dup.status, 200);
  assert.is(((await dup.json()) as { duplicate?: boolean }).duplicate, true);
  // a different message with the old nonce is a replay
  const replay = await post(gw.url, JSON.stringify(signEnvelope(key, 'meter-1', 1000, { aggregated_data: samples(1) })));
  assert.is(replay.status, 401);
  assert.is(((await replay.json()) as { error: { code: string } }).error.code, 'replay');
  const lower = await post(gw.url, JSON.stringify(signEnvelope(key, 'meter-1', 999, { aggregated_data: samples(1) })));
  assert.is(lower.status, 401);
  const back = (await (await fetch(`${gw.url}/telemetry/meter-1`, { headers: admin })).json()) as { count: number };
  assert.is(back.count, 5);
  // the device registry and key survived too
  assert.is((await post(gw.url, JSON.stringify(signEnvelope(key, 'meter-1', 1001, { aggregated_data: samples(1) })))).status, 200);
  await gw.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

test('bad configuration fails at start with one line and exit code 2', async () => {
  const { runProcess } = await import('../helpers/process.ts');
  for (const env of [{ PORT: 'eighty' }, { HMAC_PSK: 'xyz' }, { ALLOW_SHARED_PSK: '1' }, { ADMIN_TOKEN: 'short' }] as Record<string, string>[]) {
    const r = await runProcess(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...env, DATA_DIR: '/tmp/fg-never' } });
    assert.is(r.code, 2, JSON.stringify(env) + r.stderr);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^fleetgate: invalid /);
  }
});

test.run();
