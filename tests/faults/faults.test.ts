import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { FakeClock } from '../../server/clock.ts';
import { errorCode, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { SimDevice, json, nonceBE, type PolledCommand } from '../control-plane/device.ts';

let gw: TestGateway;
let dev: SimDevice;
const ID = 'meter-ft';

interface HistoryEntry {
  action: string;
  fault_type: string;
  device_id: string;
  remaining?: number;
  path?: string;
  command_id?: string;
}

async function inject(body: Record<string, unknown>) {
  return gw.admin('POST', '/fault/inject', body);
}

async function history(): Promise<HistoryEntry[]> {
  return (await json<{ history: HistoryEntry[] }>(await gw.admin('GET', '/fault/history'))).history;
}

test.before.each(async () => {
  gw = await startTestGateway({ clock: new FakeClock(), env: { FAULTS_ENABLED: '1' } });
  dev = await SimDevice.register(gw, ID);
});
test.after.each(async () => gw.destroy());

test('without FAULTS_ENABLED the routes do not exist and take() is always false', async () => {
  const off = await startTestGateway();
  await off.register(ID);
  for (const [method, path] of [
    ['POST', '/fault/inject'],
    ['GET', '/fault/history'],
    ['DELETE', '/fault/history'],
    ['GET', '/fault/active'],
  ] as const) {
    const res = await off.admin(method, path, method === 'POST' ? { fault_type: 'network_timeout', device_id: ID } : undefined);
    assert.is(res.status, 404, path);
  }
  assert.is(off.ctx.faults.take(ID, 'ota_hash_mismatch'), false);
  await off.destroy();
});

test('inject validation → 400 naming the field; unknown device 404', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ fault_type: 'gremlins', device_id: ID }, 'fault_type'],
    [{ device_id: ID }, 'fault_type'],
    [{ fault_type: 'network_timeout' }, 'device_id'],
    [{ fault_type: 'network_timeout', device_id: '../etc' }, 'device_id'],
    [{ fault_type: 'network_timeout', device_id: ID, count: 0 }, 'count'],
    [{ fault_type: 'network_timeout', device_id: ID, count: 101 }, 'count'],
    [{ fault_type: 'network_timeout', device_id: ID, delay_ms: 200_000 }, 'delay_ms'],
    [{ fault_type: 'corrupted_payload', device_id: ID, delay_ms: 100 }, 'delay_ms'],
    [{ fault_type: 'corrupted_payload', device_id: ID, when: 'now' }, 'when'],
  ];
  for (const [body, field] of cases) {
    const res = await inject(body);
    assert.is(res.status, 400, JSON.stringify(body));
    assert.is((await json<{ error: { field: string } }>(res)).error.field, field);
  }
  const unknown = await inject({ fault_type: 'corrupted_payload', device_id: 'nobody' });
  assert.is(unknown.status, 404);
  assert.is(await errorCode(unknown), 'unknown_device');
  assert.equal(await history(), []);
});

test('only the authenticated device uses up its armed faults: a bare X-Device-Id header or a forged request does not', async () => {
  // Attack (issue 12.9): unauthenticated requests naming the device consumed its faults.
  await inject({ fault_type: 'corrupted_payload', device_id: ID, count: 1 });
  const active = async () => (await json<{ faults: { remaining: number }[] }>(await gw.admin('GET', '/fault/active'))).faults;
  for (const path of ['/health', '/config', `/commands/${ID}/poll`]) {
    const res = await gw.app.request(path, { headers: { 'X-Device-Id': ID } });
    assert.ok(res.status < 500, path);
  }
  const forged = new SimDevice(ID, new Uint8Array(32), (p, init) => Promise.resolve(gw.app.request(p, init)), 50);
  assert.is((await forged.poll()).status, 401);
  assert.equal((await active()).map((f) => f.remaining), [1], 'still armed');
  assert.equal((await history()).filter((h) => h.action === 'triggered'), []);
  const real = await dev.poll();
  assert.not.ok(real.signed, 'the device itself gets the corrupted answer');
  assert.equal(await active(), []);
});

test('corrupted_payload: the body is corrupted after signing; the device catches it and its retransmission gets the genuine reply', async () => {
  await gw.admin('POST', `/commands/${ID}`, { command_type: 'set_relay', parameters: { relay: 2, state: 'on' } });
  const res = await inject({ fault_type: 'corrupted_payload', device_id: ID, count: 1 });
  assert.is(res.status, 201);
  const bad = await dev.poll();
  assert.is(bad.status, 200);
  assert.not.ok(bad.signed, 'signature check (node:crypto over the received bytes) fails');
  // the header is the genuine signature of the uncorrupted body: same length, one bit differs
  const again = await dev.send<{ command: PolledCommand }>(bad.nonce, 'GET', `/commands/${ID}/poll`);
  assert.ok(again.signed);
  assert.is(again.body.length, bad.body.length);
  assert.is(again.json.command.command_type, 'set_relay');
  const expected = createHmac('sha256', dev.key).update(nonceBE(bad.nonce)).update(again.body).digest('hex');
  assert.ok(expected.length === 64);
  let diffBits = 0;
  for (let i = 0; i < bad.body.length; i++) diffBits += (bad.body[i]! ^ again.body[i]!).toString(2).replace(/0/g, '').length;
  assert.is(diffBits, 1);
  const status = await json<{ command: { attempts: number } }>(await gw.admin('GET', `/commands/status/${again.json.command.command_id}`));
  assert.is(status.command.attempts, 1, 'the retransmission was not a second delivery');
  assert.ok((await dev.poll()).signed, 'count 1: the next response is clean');
});

test('upload answers misbehave too: corrupted_payload breaks the signature, the retransmission is a signed duplicate; network_timeout delays', async () => {
  const key = dev.key;
  const doc = { aggregated_data: [{ timestamp: 1, voltage: 230.5 }] };
  const signatureOk = async (res: Response, nonce: number) => {
    const body = new Uint8Array(await res.arrayBuffer());
    const expected = createHmac('sha256', key).update(nonceBE(nonce)).update(body).digest('hex');
    return { ok: res.headers.get('x-signature') === expected, text: Buffer.from(body).toString('utf8') };
  };
  await inject({ fault_type: 'corrupted_payload', device_id: ID, count: 1 });
  const first = await gw.upload(ID, key, 100, doc);
  assert.is(first.status, 200);
  assert.not.ok((await signatureOk(first, 100)).ok, 'the device sees a bad signature');
  const again = await signatureOk(await gw.upload(ID, key, 100, doc), 100);
  assert.ok(again.ok, 'the retransmission is answered genuinely');
  assert.equal(JSON.parse(again.text), { success: true, samples: 1, duplicate: true });
  const stored = await json<{ count: number }>(await gw.admin('GET', `/telemetry/${ID}`));
  assert.is(stored.count, 1, 'stored once');
  assert.ok((await history()).some((h) => h.action === 'triggered' && h.path === `/aggregated/${ID}`));

  await inject({ fault_type: 'network_timeout', device_id: ID, count: 1, delay_ms: 400 });
  const t = performance.now();
  const delayed = await gw.upload(ID, key, 101, doc);
  assert.ok(performance.now() - t >= 390, `delayed ${performance.now() - t}`);
  assert.ok((await signatureOk(delayed, 101)).ok);
});

test('network_timeout: the next `count` responses are held for delay_ms, then answered normally', async () => {
  await inject({ fault_type: 'network_timeout', device_id: ID, count: 2, delay_ms: 600 });
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    const r = await dev.poll();
    assert.ok(performance.now() - t >= 590, `delayed ${performance.now() - t}`);
    assert.ok(r.signed, 'the held response is intact');
  }
  const t = performance.now();
  await dev.poll();
  assert.ok(performance.now() - t < 590, 'the third is not held');
  assert.equal((await history()).filter((h) => h.action === 'triggered').map((h) => h.remaining), [1, 0]);
  // defaults to FAULT_DELAY_MS when delay_ms is not given
  const armed = await json<{ fault: { delay_ms: number } }>(await inject({ fault_type: 'network_timeout', device_id: ID }));
  assert.is(armed.fault.delay_ms, 30_000);
  await gw.admin('DELETE', `/fault/active?device_id=${ID}`);
});

test('responses to rejected requests do not consume a fault; other devices are unaffected', async () => {
  const other = await SimDevice.register(gw, 'meter-other');
  await inject({ fault_type: 'corrupted_payload', device_id: ID });
  const forged = await new SimDevice(ID, new Uint8Array(32), (p, i) => Promise.resolve(gw.app.request(p, i)), 50).poll();
  assert.is(forged.status, 401);
  assert.ok((await other.poll()).signed);
  assert.not.ok((await dev.poll()).signed);
});

test('ota_hash_mismatch: ctx.faults.take() for the OTA routes, and corrupt() flips one bit', async () => {
  await inject({ fault_type: 'ota_hash_mismatch', device_id: ID, count: 2 });
  const faults = gw.ctx.faults;
  assert.is(faults.take('meter-other', 'ota_hash_mismatch'), false);
  assert.is(faults.take(ID, 'network_timeout'), false);
  assert.is(faults.take(ID, 'ota_hash_mismatch'), true);
  assert.is(faults.take(ID, 'ota_hash_mismatch'), true);
  assert.is(faults.take(ID, 'ota_hash_mismatch'), false);
  const chunk = new Uint8Array([1, 2, 3, 4, 5]);
  const bad = faults.corrupt(chunk);
  assert.equal([...chunk], [1, 2, 3, 4, 5], 'input untouched');
  assert.equal([...bad], [1, 2, 2, 4, 5]);
  assert.is(faults.corrupt(new Uint8Array(0)).length, 1);
  // ordinary device responses are not affected by an OTA fault
  await inject({ fault_type: 'ota_hash_mismatch', device_id: ID });
  assert.ok((await dev.poll()).signed);
});

test('modbus_timeout and buffer_overflow are queued as simulate_fault commands for the device', async () => {
  const res = await inject({ fault_type: 'modbus_timeout', device_id: ID, count: 3 });
  assert.is(res.status, 201);
  const { command_id } = await json<{ command_id: string }>(res);
  await inject({ fault_type: 'buffer_overflow', device_id: ID });
  const first = (await dev.poll()).json.command!;
  assert.equal(first, { command_id, command_type: 'simulate_fault', parameters: { fault_type: 'modbus_timeout', count: 3 }, attempt: 1, expires_at: null });
  assert.equal((await dev.poll()).json.command!.parameters, { fault_type: 'buffer_overflow', count: 1 });
  assert.is((await dev.result(command_id, 'completed', { modbus_timeouts: 3 })).status, 200);
  // simulate_fault is not something admins queue directly
  assert.is((await gw.admin('POST', `/commands/${ID}`, { command_type: 'simulate_fault', parameters: {} })).status, 400);
});

test('history, active faults, disarm, clearing; every admin action audited', async () => {
  await inject({ fault_type: 'corrupted_payload', device_id: ID, count: 2 });
  await inject({ fault_type: 'corrupted_payload', device_id: ID, count: 1 });
  await inject({ fault_type: 'network_timeout', device_id: ID, delay_ms: 1 });
  let active = await json<{ faults: { fault_type: string; remaining: number }[] }>(await gw.admin('GET', '/fault/active'));
  assert.equal(active.faults.map((f) => [f.fault_type, f.remaining]), [
    ['corrupted_payload', 3],
    ['network_timeout', 1],
  ]);
  await dev.poll();
  const h = await history();
  assert.equal(h.map((e) => [e.action, e.fault_type]), [
    ['injected', 'corrupted_payload'],
    ['injected', 'corrupted_payload'],
    ['injected', 'network_timeout'],
    ['triggered', 'network_timeout'],
    ['triggered', 'corrupted_payload'],
  ]);
  assert.is(h[4]!.path, `/commands/${ID}/poll`);
  assert.is(h[4]!.remaining, 2);
  const disarm = await json<{ disarmed: number }>(await gw.admin('DELETE', '/fault/active'));
  assert.is(disarm.disarmed, 2);
  active = await json(await gw.admin('GET', '/fault/active'));
  assert.equal(active.faults, []);
  assert.ok((await dev.poll()).signed);
  const cleared = await json<{ cleared: number }>(await gw.admin('DELETE', '/fault/history'));
  assert.is(cleared.cleared, 6);
  assert.equal(await history(), []);
  const audit = await json<{ entries: { action: string }[] }>(await gw.admin('GET', '/audit?action=fault.'));
  assert.equal(audit.entries.map((e) => e.action), ['fault.injected', 'fault.injected', 'fault.injected', 'fault.disarmed', 'fault.history_cleared']);
  assert.is((await gw.app.request('/fault/history')).status, 401);
});

test.run();
