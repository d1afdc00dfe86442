import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { ADMIN_TOKEN, tempDir } from '../helpers/gateway.ts';
import { startGatewayProcess } from '../helpers/process.ts';
import { SimDevice, diag } from '../control-plane/device.ts';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('SIGKILL + restart of the real gateway: the device carries on, no event is produced', async () => {
  const dir = await tempDir();
  // Sweeps every second, so any false offline/online would show up during the test.
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), ADMIN_TOKEN, EVENTS_CHECK_INTERVAL_SECONDS: '1' };
  let gw = await startGatewayProcess(env);
  let url = gw.url;
  const reg = await fetch(`${url}/devices`, { method: 'POST', headers: auth, body: JSON.stringify({ device_id: 'meter-1' }) });
  const device = new SimDevice('meter-1', hexToBytes(((await reg.json()) as { hmac_key: string }).hmac_key), (p, i) => fetch(url + p, i));
  // heartbeat 10 s: offline after 30 s of silence
  await fetch(`${url}/config/meter-1`, { method: 'PUT', headers: auth, body: JSON.stringify({ heartbeat_interval: 10 }) });
  assert.is((await device.diagnostics(diag({ boot_id: 'b1', reset_reason: 'poweron' }))).status, 200);
  await device.poll();
  assert.is(await gw.kill('SIGKILL'), null);
  await sleep(1500);
  gw = await startGatewayProcess(env);
  url = gw.url;
  await sleep(1500);
  assert.is((await device.poll()).status, 200);
  assert.is((await device.diagnostics(diag({ boot_id: 'b1', reset_reason: 'poweron', uptime_seconds: 125 }))).status, 200);
  await sleep(1500);
  const events = (await (await fetch(`${url}/events`, { headers: auth })).json()) as { count: number };
  assert.is(events.count, 0);
  // a real reboot after the restart is still detected
  await device.diagnostics(diag({ boot_id: 'b2', reset_reason: 'watchdog' }));
  const after = (await (await fetch(`${url}/events`, { headers: auth })).json()) as { events: { type: string }[] };
  assert.equal(after.events.map((e) => e.type), ['reboot']);
  await gw.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

test.run();
