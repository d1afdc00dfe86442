import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '../../server/clock.ts';
import { controlPlaneOf } from '../../server/control-plane/index.ts';
import { startTestGateway, tempDir, testBackend, type TestGateway } from '../helpers/gateway.ts';
import { SimDevice, diag, json } from '../control-plane/device.ts';

let gw: TestGateway;
let clock: FakeClock;
let dev: SimDevice;
const ID = 'meter-9';
const DAY = 86_400_000;

interface Entry {
  at: string;
  nonce: number;
  boot_id: string;
  uptime_seconds: number;
  firmware_version: string;
  extra?: Record<string, unknown>;
}

async function entries(id = ID, query = ''): Promise<Entry[]> {
  const res = await gw.admin('GET', `/diagnostics/${id}${query}`);
  assert.is(res.status, 200);
  return (await json<{ entries: Entry[] }>(res)).entries;
}

test.before.each(async () => {
  clock = new FakeClock();
  gw = await startTestGateway({ clock });
  dev = await SimDevice.register(gw, ID);
});
test.after.each(async () => gw.destroy());

/** Tests of the embedded store's own files (day files, the summary index); the rest runs on either backend. */
const embeddedOnly = testBackend() === 'embedded' ? test : test.skip;
const onEmbedded = () => gw.ctx.store.backend === 'embedded';

test('a report is stored and answered {success, config_version}, signed', async () => {
  const r = await dev.diagnostics(diag({ extra: { modbus_errors: 2, slave: { id: 17 } }, config_version: 1 }));
  assert.is(r.status, 200);
  assert.ok(r.signed);
  assert.equal(r.json, { success: true, config_version: 1 });
  const [e] = await entries();
  assert.is(e!.boot_id, 'boot-1');
  assert.is(e!.nonce, r.nonce);
  assert.is(e!.at, new Date(clock.now()).toISOString());
  assert.equal(e!.extra, { modbus_errors: 2, slave: { id: 17 } });
  // numeric boot ids are accepted and kept as strings
  await dev.diagnostics(diag({ boot_id: 3735928559 }));
  assert.is((await entries())[0]!.boot_id, '3735928559');
});

test('every field is validated → 400 naming it; nothing is stored', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ firmware_version: undefined }, 'firmware_version'],
    [{ firmware_version: 'v 1' }, 'firmware_version'],
    [{ uptime_seconds: -1 }, 'uptime_seconds'],
    [{ uptime_seconds: 1.5 }, 'uptime_seconds'],
    [{ boot_id: undefined }, 'boot_id'],
    [{ boot_id: 'has space' }, 'boot_id'],
    [{ reset_reason: 'meteor' }, 'reset_reason'],
    [{ reset_reason: undefined }, 'reset_reason'],
    [{ free_heap: -5 }, 'free_heap'],
    [{ wifi_rssi: 5 }, 'wifi_rssi'],
    [{ wifi_rssi: -128 }, 'wifi_rssi'],
    [{ buffer_usage: 101 }, 'buffer_usage'],
    [{ last_upload_status: 'x'.repeat(65) }, 'last_upload_status'],
    [{ config_version: -1 }, 'config_version'],
    [{ extra: [1, 2] }, 'extra'],
    [{ extra: { blob: 'x'.repeat(3000) } }, 'extra'],
    [{ temperature: 40 }, 'temperature'],
  ];
  for (const [over, field] of cases) {
    const r = await dev.diagnostics(diag(over));
    assert.is(r.status, 400, JSON.stringify(over));
    assert.is((r.json as unknown as { error: { field: string } }).error.field, field, JSON.stringify(r.json));
  }
  const notJson = await dev.request('POST', `/diagnostics/${ID}`, 'uptime=5');
  assert.is(notJson.status, 400);
  assert.equal(await entries(), []);
  // another device cannot report for this one
  const other = await SimDevice.register(gw, 'other');
  assert.is((await other.request('POST', `/diagnostics/${ID}`, diag())).status, 400);
  assert.is((await gw.admin('GET', '/diagnostics/nobody')).status, 404);
  assert.is((await gw.admin('GET', `/diagnostics/${ID}?limit=0`)).status, 400);
  assert.is((await gw.admin('GET', `/diagnostics/${ID}?limit=1001`)).status, 400);
});

test('a wrong content type is 415', async () => {
  const body = Buffer.from(JSON.stringify(diag()));
  const { signRequest } = await import('../control-plane/device.ts');
  const nonce = ++dev.nonce;
  const res = await gw.app.request(`/diagnostics/${ID}`, {
    method: 'POST',
    headers: {
      'X-Device-Id': ID,
      'X-Nonce': String(nonce),
      'X-Signature': signRequest(dev.key, nonce, 'POST', `/diagnostics/${ID}`, body),
      'content-type': 'text/plain',
    },
    body,
  });
  assert.is(res.status, 415);
});

test('GET /diagnostics/:id is newest first across days, with limit; a retransmission is stored once', async () => {
  for (let i = 0; i < 5; i++) {
    await dev.diagnostics(diag({ uptime_seconds: 100 + i * 3600 }));
    clock.advance(12 * 3600_000);
  }
  const all = await entries();
  assert.equal(all.map((e) => e.uptime_seconds), [14500, 10900, 7300, 3700, 100]);
  assert.equal((await entries(ID, '?limit=2')).map((e) => e.uptime_seconds), [14500, 10900]);
  const r = await dev.diagnostics(diag({ uptime_seconds: 99999 }));
  const again = await dev.send(r.nonce, 'POST', `/diagnostics/${ID}`, diag({ uptime_seconds: 99999 }));
  assert.is(again.status, 200);
  assert.ok(again.body.equals(r.body));
  assert.is((await entries()).length, 6);
});

test('summary: devices, entries, latest per device, firmware versions, config lag', async () => {
  const b = await SimDevice.register(gw, 'meter-b');
  await SimDevice.register(gw, 'meter-silent');
  await dev.diagnostics(diag({ firmware_version: '1.4.1', config_version: 1 }));
  await dev.diagnostics(diag({ firmware_version: '1.4.2', config_version: 1 }));
  await b.diagnostics(diag({ firmware_version: '1.4.2', reset_reason: 'watchdog' }));
  const s = await json<{
    devices: number;
    entries: number;
    firmware_versions: Record<string, number>;
    reset_reasons: Record<string, number>;
    latest: Record<string, Entry>;
    config_lag: { latest_version: number; behind: { device_id: string }[] };
  }>(await gw.admin('GET', '/diagnostics/summary'));
  assert.is(s.devices, 2);
  assert.is(s.entries, 3);
  assert.equal(s.firmware_versions, { '1.4.2': 2 });
  assert.equal(s.reset_reasons, { poweron: 1, watchdog: 1 });
  assert.equal(Object.keys(s.latest).sort(), [ID, 'meter-b']);
  assert.is(s.latest[ID]!.firmware_version, '1.4.2');
  assert.equal(s.config_lag.behind.map((x) => x.device_id), ['meter-b', 'meter-silent']);
});

test('retention: reports (day files) older than DIAGNOSTICS_RETENTION_DAYS are deleted, periodically and at start', async () => {
  await gw.destroy();
  const dir = await tempDir();
  clock = new FakeClock();
  gw = await startTestGateway({ clock, dir, env: { DIAGNOSTICS_RETENTION_DAYS: '10' } });
  dev = await SimDevice.register(gw, ID);
  await dev.diagnostics(diag({ uptime_seconds: 1 }));
  clock.advance(5 * DAY);
  await dev.diagnostics(diag({ uptime_seconds: 2 }));
  clock.advance(6 * DAY);
  await dev.diagnostics(diag({ uptime_seconds: 3 }));
  const deviceDir = join(gw.config.DATA_DIR, 'diagnostics', ID);
  if (onEmbedded()) assert.is((await readdir(deviceDir)).length, 3);
  assert.is((await entries()).length, 3);
  await controlPlaneOf(gw.ctx).prune();
  assert.equal((await entries()).map((e) => e.uptime_seconds), [3, 2]);
  if (onEmbedded()) assert.is((await readdir(deviceDir)).length, 2);
  let s = await json<{ entries: number; devices: number }>(await gw.admin('GET', '/diagnostics/summary'));
  assert.is(s.entries, 2);

  // at start: 20 days on, both remaining files are past retention and go before the first request
  await gw.close();
  clock.advance(20 * DAY);
  gw = await startTestGateway({ clock, dir, env: { DIAGNOSTICS_RETENTION_DAYS: '10' } });
  if (onEmbedded()) assert.is((await readdir(deviceDir)).length, 0);
  s = await json<{ entries: number; devices: number }>(await gw.admin('GET', '/diagnostics/summary'));
  assert.equal([s.entries, s.devices], [0, 0]);
  await gw.close();
  gw = await startTestGateway({ clock });
  await rm(dir, { recursive: true, force: true });
});

embeddedOnly('the summary index is reconciled at start with lines it did not see (written after its last save)', async () => {
  await gw.destroy();
  const dir = await tempDir();
  gw = await startTestGateway({ clock, dir });
  dev = await SimDevice.register(gw, ID);
  await dev.diagnostics(diag({ uptime_seconds: 1 }));
  await gw.close();
  // as if a report landed and the gateway was SIGKILLed before saving the index
  const file = join(gw.config.DATA_DIR, 'diagnostics', ID, `${new Date(clock.now()).toISOString().slice(0, 10)}.jsonl`);
  await appendFile(file, JSON.stringify({ ...diag({ uptime_seconds: 2, firmware_version: '9.9.9' }), at: new Date(clock.now()).toISOString(), nonce: 99 }) + '\n');
  gw = await startTestGateway({ clock, dir });
  const s = await json<{ entries: number; firmware_versions: Record<string, number> }>(await gw.admin('GET', '/diagnostics/summary'));
  assert.is(s.entries, 2);
  assert.equal(s.firmware_versions, { '9.9.9': 1 });
  await gw.close();
  gw = await startTestGateway({ clock });
  await rm(dir, { recursive: true, force: true });
});

test.run();
