/**
 * Several gateway replicas on one PostgreSQL database behave as one gateway (issue 14). Each
 * cross-replica rule runs against two real `npm start` processes sharing a fresh database and one
 * KEYS_DIR: one nonce is accepted once whichever replica gets it; a revocation or rotation on one
 * reaches the other at once; a command is delivered by one replica at a time; config versions come
 * from one counter, and config changes made on both at once are checked against each other;
 * background jobs run once per fleet (one offline event, one webhook); rollout results count
 * wherever they are reported; and a replica killed with SIGKILL under load loses nothing it
 * acknowledged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { samples } from '../helpers/gateway.ts';
import type { GatewayProcess } from '../helpers/process.ts';
import { startReplicas, type Replicas } from '../helpers/replicas.ts';
import { otaFixture } from '../ota/routes-helpers.ts';
import { join } from 'node:path';
import postgres from 'postgres';

async function register(r: Replicas, on: GatewayProcess, id: string): Promise<Uint8Array> {
  const res = await r.admin(on, 'POST', '/devices', { device_id: id });
  assert.is(res.status, 201, await res.clone().text());
  return hexToBytes(((await res.json()) as { hmac_key: string }).hmac_key);
}

function upload(on: GatewayProcess, id: string, body: string): Promise<Response> {
  return fetch(`${on.url}/aggregated/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

async function storedCount(r: Replicas, on: GatewayProcess, id: string): Promise<number> {
  return ((await (await r.admin(on, 'GET', `/telemetry/${id}?limit=100000`)).json()) as { count: number }).count;
}

async function eventually(what: string, check: () => Promise<boolean>, deadlineMs = 5000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > deadlineMs) assert.unreachable(`${what} not within ${deadlineMs} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

test('one nonce, one acceptance: the same envelope sent to both replicas at once, 200 times', async () => {
  const r = await startReplicas(2);
  const [a, b] = r.replicas as [GatewayProcess, GatewayProcess];
  try {
    const key = await register(r, a, 'meter-1');
    for (let n = 1; n <= 200; n++) {
      const body = JSON.stringify(signEnvelope(key, 'meter-1', n, { aggregated_data: samples(2, 1_767_225_600 + n * 120) }));
      const answers = await Promise.all([upload(a, 'meter-1', body), upload(b, 'meter-1', body)]);
      const json = await Promise.all(answers.map(async (res) => ({ status: res.status, ...((await res.json()) as { duplicate?: boolean }) })));
      assert.equal(json.map((j) => j.status), [200, 200], `nonce ${n}`);
      assert.is(json.filter((j) => !j.duplicate).length, 1, `nonce ${n}: exactly one stored it as new`);
    }
    assert.is(await storedCount(r, b, 'meter-1'), 400, 'each batch stored once');
    const older = JSON.stringify(signEnvelope(key, 'meter-1', 150, { aggregated_data: samples(1) }));
    for (const replica of [a, b]) assert.is((await upload(replica, 'meter-1', older)).status, 401, 'an older nonce is a replay everywhere');
  } finally {
    await r.stop();
  }
});

test('revocation and rotation on one replica reach the other at once; the old key lasts the grace period', async () => {
  const r = await startReplicas(2, { KEY_ROTATION_GRACE_SECONDS: '3' });
  const [a, b] = r.replicas as [GatewayProcess, GatewayProcess];
  try {
    let nonce = 0;
    const send = (on: GatewayProcess, id: string, key: Uint8Array) => upload(on, id, JSON.stringify(signEnvelope(key, id, ++nonce, { aggregated_data: samples(1) })));
    const key = await register(r, a, 'meter-r');
    assert.is((await send(b, 'meter-r', key)).status, 200, 'b knows the device (and caches it)');
    await r.admin(a, 'DELETE', '/devices/meter-r');
    const revoked = await eventually('b refuses the revoked device', async () => (await send(b, 'meter-r', key)).status === 401);
    const old = await register(r, a, 'meter-k');
    assert.is((await send(b, 'meter-k', old)).status, 200);
    const rotated = hexToBytes(((await (await r.admin(a, 'POST', '/devices/meter-k/rotate-key')).json()) as { hmac_key: string }).hmac_key);
    const fresh = await eventually('b accepts the new key', async () => (await send(b, 'meter-k', rotated)).status === 200);
    assert.is((await send(b, 'meter-k', old)).status, 200, 'the old key still works during the grace period');
    await eventually('the old key stops at the end of the grace period', async () => (await send(b, 'meter-k', old)).status === 401, 8000);
    console.log(`  revocation seen by the other replica after ${revoked} ms, rotation after ${fresh} ms`);
  } finally {
    await r.stop();
  }
});

test('a command is delivered by one replica at a time: devices polling both never get one command twice in one delivery', async () => {
  const r = await startReplicas(2, { COMMAND_ACK_TIMEOUT_SECONDS: '3600' });
  const [a, b] = r.replicas as [GatewayProcess, GatewayProcess];
  try {
    const key = await register(r, a, 'meter-c');
    const queued: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await r.admin(i % 2 ? a : b, 'POST', '/commands/meter-c', { command_type: 'set_relay', parameters: { relay: 1 + (i % 8), state: 'on' } });
      queued.push(((await res.json()) as { command_id: string }).command_id);
    }
    let nonce = 0;
    const poll = async (on: GatewayProcess) => {
      const path = '/commands/meter-c/poll';
      const res = await fetch(`${on.url}${path}`, { headers: signRequestHeaders(key, 'meter-c', ++nonce, 'GET', path) });
      return ((await res.json()) as { command: { command_id: string; attempt: number } | null }).command;
    };
    const delivered: string[] = [];
    for (let round = 0; round < 20 && delivered.length < queued.length; round++) {
      const got = await Promise.all([poll(a), poll(b), poll(a), poll(b)]);
      for (const c of got) if (c) delivered.push(`${c.command_id}#${c.attempt}`);
    }
    assert.is(new Set(delivered).size, delivered.length, `a delivery handed out twice: ${delivered.join(' ')}`);
    assert.equal(new Set(delivered.map((d) => d.split('#')[0])).size, queued.length, 'every command delivered');
  } finally {
    await r.stop();
  }
});

test('config on two replicas: one version counter; two changes that conflict only together, one on each, are checked against each other', async () => {
  const r = await startReplicas(2);
  const [a, b] = r.replicas as [GatewayProcess, GatewayProcess];
  const sql = postgres(r.url, { max: 2, onnotice: () => undefined });
  try {
    const puts = Array.from({ length: 30 }, (_, i) => r.admin(i % 2 ? a : b, 'PUT', '/config/defaults', { heartbeat_interval: 30 + i }));
    const versions = await Promise.all(puts.map(async (p) => ((await (await p).json()) as { config_version: number; changed: boolean })));
    const changed = versions.filter((v) => v.changed).map((v) => v.config_version);
    assert.is(new Set(changed).size, changed.length, `versions handed out twice: ${changed.join(',')}`);
    const fleet = (await (await r.admin(b, 'GET', '/config/fleet')).json()) as { latest_version: number };
    assert.is(fleet.latest_version, 1 + changed.length);

    // Tag a: poll 120 and upload 300; tag b: upload 60; meter-c carries both. Each alone is valid.
    assert.is((await r.admin(a, 'POST', '/devices', { device_id: 'meter-c', tags: ['a', 'b'] })).status, 201);
    // The config lock held here until both changes are waiting for it, so they are certainly at the
    // same moment: each must then be checked against the other, not against the fleet before both.
    const holder = await sql.reserve();
    let answers: Response[];
    try {
      await holder`BEGIN`;
      await holder`SELECT version FROM config_fleet FOR UPDATE`;
      const both = [r.admin(a, 'PUT', '/config/tags/a', { poll_frequency: 120, upload_frequency: 300 }), r.admin(b, 'PUT', '/config/tags/b', { upload_frequency: 60 })];
      await eventually('both changes wait for the config lock', async () => (await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)[0]!.n === 2);
      await holder`ROLLBACK`;
      answers = await Promise.all(both);
    } finally {
      holder.release();
    }
    const outcomes = await Promise.all(answers.map(async (res) => [res.status, ((await res.json()) as { error?: { code: string; device_id: string } }).error] as const));
    assert.equal(outcomes.map(([status]) => status).sort(), [200, 400], JSON.stringify(outcomes));
    const refused = outcomes.find(([status]) => status === 400)?.[1];
    assert.equal([refused?.code, refused?.device_id], ['invalid_config', 'meter-c']);
    const served = (await (await r.admin(b, 'GET', '/config/meter-c')).json()) as { config: { poll_frequency: number; upload_frequency: number } };
    assert.ok(served.config.upload_frequency >= served.config.poll_frequency, `meter-c can apply its configuration: ${JSON.stringify(served.config)}`);
  } finally {
    await sql.end();
    await r.stop();
  }
});

test('background jobs run once per fleet: a device that goes offline produces one event and one webhook', async () => {
  const hooks: { type: string; device_id: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hooks.push(JSON.parse(body) as { type: string; device_id: string });
      res.end('ok');
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const r = await startReplicas(2, { EVENTS_CHECK_INTERVAL_SECONDS: '1', OFFLINE_HEARTBEAT_MULTIPLIER: '2', NOTIFY_WEBHOOK_URL: hookUrl, NOTIFY_COOLDOWN_SECONDS: '0' });
  const [a, b] = r.replicas as [GatewayProcess, GatewayProcess];
  try {
    const key = await register(r, a, 'meter-o');
    await r.admin(a, 'PUT', '/config/meter-o', { heartbeat_interval: 10 });
    assert.is((await upload(b, 'meter-o', JSON.stringify(signEnvelope(key, 'meter-o', 1, { aggregated_data: samples(1) })))).status, 200);
    const offlineEvents = async () =>
      ((await (await r.admin(a, 'GET', '/events?type=offline&device_id=meter-o')).json()) as { events: unknown[] }).events.length;
    await eventually('the device is declared offline', async () => (await offlineEvents()) > 0, 40_000);
    await new Promise((res) => setTimeout(res, 3000)); // several more sweeps on both replicas
    assert.is(await offlineEvents(), 1, 'one offline event');
    await eventually('its webhook arrived', async () => hooks.some((h) => h.type === 'offline'), 5000);
    assert.is(hooks.filter((h) => h.type === 'offline' && h.device_id === 'meter-o').length, 1, 'one webhook');
    // back on the other replica: one online event
    assert.is((await upload(a, 'meter-o', JSON.stringify(signEnvelope(key, 'meter-o', 2, { aggregated_data: samples(1) })))).status, 200);
    await eventually('online event', async () => ((await (await r.admin(b, 'GET', '/events?type=online&device_id=meter-o')).json()) as { events: unknown[] }).events.length === 1);
  } finally {
    await r.stop();
    receiver.close();
  }
});

test('rollout results reported to either replica all count, and its failure threshold pauses it once', async () => {
  const fx = await otaFixture([{ version: '1.0.0' }]);
  const r = await startReplicas(2, { KEYS_DIR: join(fx.dir, 'keys'), FIRMWARE_DIR: fx.firmwareDir });
  const [a, b] = r.replicas as [GatewayProcess, GatewayProcess];
  try {
    await fx.addImage({ version: '2.0.0' });
    await eventually('a replica finds the new build', async () => (await r.admin(b, 'POST', '/ota/images/2.0.0/publish', {})).status === 200, 10_000);
    const devices = await Promise.all(Array.from({ length: 10 }, async (_, i) => ({ id: `ro-${i}`, key: await register(r, a, `ro-${i}`), nonce: 0 })));
    const created = await r.admin(a, 'POST', '/ota/rollouts', { version: '2.0.0', target: 'all', failure_threshold: 0.3, min_results: 6 });
    assert.is(created.status, 201, await created.clone().text());
    const id = ((await created.json()) as { rollout: { id: string } }).rollout.id;
    const signed = (on: GatewayProcess, d: (typeof devices)[number], method: string, path: string, body?: unknown) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const headers = { ...signRequestHeaders(d.key, d.id, ++d.nonce, method, path, text === undefined ? undefined : new TextEncoder().encode(text)), 'content-type': 'application/json' };
      return fetch(`${on.url}${path}`, { method, headers, ...(text === undefined ? {} : { body: text }) });
    };
    // Every device checks with one replica and reports to the other, all at once: 4 successes, 6 failures.
    const results = await Promise.all(
      devices.map(async (d, i) => {
        const [first, second] = i % 2 ? [a, b] : [b, a];
        const check = (await (await signed(first, d, 'GET', `/ota/check/${d.id}?version=1.0.0`)).json()) as { latest_version?: string };
        assert.is(check.latest_version, '2.0.0', d.id);
        const report = i < 4 ? { success: true, version: '2.0.0' } : { success: false, version: '2.0.0', error: 'rolled_back: did not confirm' };
        return (await signed(second, d, 'POST', `/ota/complete/${d.id}`, report)).status;
      }),
    );
    assert.equal(results, Array(10).fill(200));
    for (const replica of [a, b]) {
      const rollout = ((await (await r.admin(replica, 'GET', `/ota/rollouts/${id}`)).json()) as { rollout: Record<string, any> }).rollout;
      assert.equal([rollout.status, rollout.paused_reason], ['paused', 'failure_threshold']);
      assert.equal([rollout.figures.succeeded, rollout.figures.failed], [4, 6], 'results counted wherever they were reported');
    }
    const audit = (await (await r.admin(a, 'GET', `/audit?action=rollout.paused`)).json()) as { entries: { actor: string }[] };
    assert.equal(audit.entries.map((e) => e.actor), ['system'], 'paused once');
  } finally {
    await r.stop();
  }
});

test('a replica killed with SIGKILL under load loses nothing it acknowledged; no older nonce is accepted afterwards', async () => {
  const r = await startReplicas(2);
  const [a, b] = r.replicas as [GatewayProcess, GatewayProcess];
  try {
    const ids = Array.from({ length: 16 }, (_, i) => `load-${i}`);
    const keys = new Map<string, Uint8Array>();
    for (const id of ids) keys.set(id, await register(r, a, id));
    const acked = new Map<string, Set<number>>(ids.map((id) => [id, new Set()]));
    let killed = false;
    const device = async (id: string, index: number) => {
      for (let n = 1; n <= 40; n++) {
        const body = JSON.stringify(signEnvelope(keys.get(id)!, id, n, { aggregated_data: samples(1, 1_767_225_600 + n * 60) }));
        // Half the devices start on a, half on b; a failed upload is retried, same bytes, on the other.
        for (let attempt = 0; attempt < 10; attempt++) {
          const target = (index + n + attempt) % 2 === 0 && !killed ? a : b;
          const res = await upload(target, id, body).catch(() => undefined);
          if (res?.status === 200) {
            acked.get(id)!.add(n);
            break;
          }
          await new Promise((done) => setTimeout(done, 20));
        }
        if (id === 'load-0' && n === 15) {
          killed = true;
          void a.kill('SIGKILL');
        }
      }
    };
    await Promise.all(ids.map(device));
    for (const id of ids) {
      const rows = (await (await r.admin(b, 'GET', `/telemetry/${id}?limit=100000`)).json()) as { samples: { nonce: number }[] };
      const stored = rows.samples.map((s) => s.nonce).sort((x, y) => x - y);
      assert.equal(stored, [...acked.get(id)!].sort((x, y) => x - y), `${id}: every acknowledged upload stored exactly once`);
      const replay = await upload(b, id, JSON.stringify(signEnvelope(keys.get(id)!, id, 5, { aggregated_data: samples(1) })));
      assert.is(replay.status, 401, `${id}: an older nonce is refused`);
    }
  } finally {
    await r.stop();
  }
});

test.run();
