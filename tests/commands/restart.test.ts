import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { ADMIN_TOKEN, tempDir } from '../helpers/gateway.ts';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.ts';
import { SimDevice, diag } from '../control-plane/device.ts';

const ID = 'meter-1';
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function admin<T = Record<string, unknown>>(gw: GatewayProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${gw.url}${path}`, { method, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as T };
}

test('queued commands and every status change survive SIGKILL (default DURABILITY=fsync; the npm start bundle)', async () => {
  const dir = await tempDir();
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), ADMIN_TOKEN };
  let gw = await startGatewayProcess(env, { bundle: true });
  const reg = await admin<{ hmac_key: string }>(gw, 'POST', '/devices', { device_id: ID });
  const key = hexToBytes(reg.json.hmac_key);
  let url = gw.url;
  const device = new SimDevice(ID, key, (p, i) => fetch(url + p, i));

  // 1. answered 201 → SIGKILL → still there
  const created = await admin<{ command_id: string }>(gw, 'POST', `/commands/${ID}`, { command_type: 'set_power', parameters: { power: '60%' } });
  assert.is(created.status, 201);
  const cancelMe = await admin<{ command_id: string }>(gw, 'POST', `/commands/${ID}`, { command_type: 'reboot' });
  const cfg = await admin<{ config_version: number }>(gw, 'PUT', `/config/${ID}`, { heartbeat_interval: 30 });
  assert.is(cfg.status, 200);
  assert.is(await gw.kill('SIGKILL'), null);

  gw = await startGatewayProcess(env, { bundle: true });
  url = gw.url;
  let status = await admin<{ command: { status: string } }>(gw, 'GET', `/commands/status/${created.json.command_id}`);
  assert.is(status.json.command.status, 'pending');
  const config = await admin<{ config_version: number; config: { heartbeat_interval: number } }>(gw, 'GET', `/config/${ID}`);
  assert.is(config.json.config_version, cfg.json.config_version);
  assert.is(config.json.config.heartbeat_interval, 30);

  // 2. delivery (sent) and a cancel → SIGKILL → kept; the retransmitted poll still gets the same reply
  const polled = await device.poll();
  assert.is(polled.json.command!.command_id, created.json.command_id);
  assert.ok(polled.signed);
  assert.is((await admin(gw, 'DELETE', `/commands/${cancelMe.json.command_id}`)).status, 200);
  assert.is(await gw.kill('SIGKILL'), null);

  gw = await startGatewayProcess(env, { bundle: true });
  url = gw.url;
  status = await admin(gw, 'GET', `/commands/status/${created.json.command_id}`);
  assert.is(status.json.command.status, 'sent');
  assert.is((await admin<{ command: { status: string } }>(gw, 'GET', `/commands/status/${cancelMe.json.command_id}`)).json.command.status, 'cancelled');
  const again = await device.send(polled.nonce, 'GET', `/commands/${ID}/poll`);
  assert.ok(again.body.equals(polled.body), 'exact retransmission answered with the stored reply after restart');
  assert.ok(again.signed, 'and its signature still checks out');
  assert.is((await device.poll()).json.command, null, 'no second delivery');

  // 3. result (completed) → SIGKILL → kept, and a second result is refused
  assert.is((await device.result(created.json.command_id, 'completed', { power: 60 })).status, 200);
  assert.is((await device.diagnostics(diag({ config_version: cfg.json.config_version }))).status, 200);
  assert.is(await gw.kill('SIGKILL'), null);

  gw = await startGatewayProcess(env, { bundle: true });
  url = gw.url;
  status = await admin(gw, 'GET', `/commands/status/${created.json.command_id}`);
  assert.is(status.json.command.status, 'completed');
  assert.is((await device.result(created.json.command_id, 'failed')).status, 409);
  const audit = await admin<{ entries: { action: string }[] }>(gw, 'GET', '/audit');
  assert.equal(
    audit.json.entries.map((e) => e.action),
    ['device.created', 'command.created', 'command.created', 'config.device_updated', 'command.sent', 'command.cancelled', 'command.completed'],
  );
  // the diagnostics index was rebuilt from the files (the SIGKILL came before its periodic save)
  const summary = await admin<{ entries: number; config_lag: { behind: unknown[] } }>(gw, 'GET', '/diagnostics/summary');
  assert.is(summary.json.entries, 1);
  assert.equal(summary.json.config_lag.behind, []);
  await gw.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

test.run();
