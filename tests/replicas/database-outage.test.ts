/**
 * A replica whose database goes away (issue 14, "Operating replicas"), on real gateway processes
 * reaching the real test database through a TCP proxy the test cuts:
 * - the database goes down (connections reset, new ones refused) and comes back: readiness 503
 *   meanwhile, every request a clear 503, liveness untouched; afterwards the replica serves again
 *   without a restart, and a revocation made on another replica during the outage holds on it;
 * - a network partition (connections open, nothing answers): readiness, admin requests and uploads
 *   still get their 503 within their limits; once it heals the same process is ready again and
 *   stores the retry; and SIGTERM during one still ends the process within its limits, cutting a
 *   request that waits on the database;
 * - SIGTERM on a healthy database: a request in flight finishes, nothing new is accepted, and the
 *   database connections are closed before the process exits 0.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import postgres from 'postgres';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { samples } from '../helpers/gateway.ts';
import type { GatewayProcess } from '../helpers/process.ts';
import { startReplicas, type Replicas } from '../helpers/replicas.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

async function register(r: Replicas, on: GatewayProcess, id: string): Promise<Uint8Array> {
  const res = await r.admin(on, 'POST', '/devices', { device_id: id });
  assert.is(res.status, 201, await res.clone().text());
  return hexToBytes(((await res.json()) as { hmac_key: string }).hmac_key);
}

function envelope(key: Uint8Array, id: string, nonce: number): string {
  return JSON.stringify(signEnvelope(key, id, nonce, { aggregated_data: samples(2, 1_767_225_600 + nonce * 120) }));
}

function upload(on: GatewayProcess, id: string, body: string): Promise<Response> {
  return fetch(`${on.url}/aggregated/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

async function answer(res: Response): Promise<{ status: number; code?: string; reason?: string; body: string }> {
  const body = await res.text();
  const json = JSON.parse(body) as { error?: { code: string }; reason?: string };
  return { status: res.status, body, ...(json.error ? { code: json.error.code } : {}), ...(json.reason ? { reason: json.reason } : {}) };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await work();
  return [value, performance.now() - start];
}

async function eventually(what: string, check: () => Promise<boolean>, deadlineMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > deadlineMs) assert.unreachable(`${what} not within ${deadlineMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** One replica straight on the database and one behind a proxy the test can cut. */
async function replicaBehindProxy(env: Record<string, string> = {}): Promise<{ r: Replicas; direct: GatewayProcess; cut: GatewayProcess; proxy: TcpProxy }> {
  const r = await startReplicas(1);
  const u = new URL(r.url);
  const proxy = await startTcpProxy(u.hostname, Number(u.port));
  const cut = await r.add({ DATABASE_URL: proxy.via(r.url), LOG_LEVEL: 'info', ...env });
  return { r, direct: r.replicas[0]!, cut, proxy };
}

test('the database goes down and comes back: 503s meanwhile, then the replica serves again, a revocation made meanwhile included', async () => {
  const { r, direct, cut, proxy } = await replicaBehindProxy();
  try {
    const keep = await register(r, direct, 'meter-keep');
    const gone = await register(r, direct, 'meter-gone');
    assert.is((await upload(cut, 'meter-keep', envelope(keep, 'meter-keep', 1))).status, 200);
    assert.is((await upload(cut, 'meter-gone', envelope(gone, 'meter-gone', 1))).status, 200, 'the replica knows (and caches) the device');

    await proxy.down();
    const ready = await answer(await fetch(`${cut.url}/health/ready`));
    assert.is(ready.status, 503);
    assert.match(ready.reason ?? '', /^database unreachable: /);
    assert.is((await fetch(`${cut.url}/health`)).status, 200, 'liveness: the process is fine');
    const stored = await answer(await upload(cut, 'meter-keep', envelope(keep, 'meter-keep', 2)));
    assert.equal([stored.status, stored.code], [503, 'unavailable'], stored.body);
    assert.match(stored.body, /retry with the same nonce/);
    const listed = await answer(await r.admin(cut, 'GET', '/devices'));
    assert.equal([listed.status, listed.code], [503, 'unavailable'], listed.body);
    // Meanwhile, on the replica that still reaches the database: this replica hears no NOTIFY.
    assert.is((await r.admin(direct, 'DELETE', '/devices/meter-gone')).status, 200);

    await proxy.up();
    await eventually('ready again', async () => (await fetch(`${cut.url}/health/ready`)).status === 200);
    const retried = await answer(await upload(cut, 'meter-keep', envelope(keep, 'meter-keep', 2)));
    assert.is(retried.status, 200, `the retry with the same nonce is stored: ${retried.body}`);
    assert.not.match(retried.body, /duplicate/, 'it was not stored before');
    // Revocation reaches every replica within 1 s; this one's listening connection was lost with
    // the rest, and re-listens on postgres.js's backoff: until its own heartbeats are heard again on
    // the device channel, it reads device records from the database (a generous deadline here).
    let nonce = 1;
    const since = Date.now();
    await eventually('the revocation made during the outage holds on this replica', async () => (await upload(cut, 'meter-gone', envelope(gone, 'meter-gone', ++nonce))).status === 401, 3000);
    console.log(`  revoked device refused ${Date.now() - since} ms after the database came back`);
    const count = (await (await r.admin(direct, 'GET', '/telemetry/meter-keep')).json()) as { count: number };
    assert.is(count.count, 4, 'both batches of meter-keep, each once');
  } finally {
    await r.stop();
    await proxy.close();
  }
});

test('a network partition: readiness and uploads answer 503 within their limits, and SIGTERM still ends the process', async () => {
  const { r, direct, cut, proxy } = await replicaBehindProxy({ DATABASE_QUERY_TIMEOUT_SECONDS: '2', SHUTDOWN_DRAIN_SECONDS: '1', SHUTDOWN_CLOSE_SECONDS: '2' });
  try {
    const key = await register(r, direct, 'meter-p');
    assert.is((await upload(cut, 'meter-p', envelope(key, 'meter-p', 1))).status, 200);

    proxy.freeze();
    const [ready, readyMs] = await timed(async () => answer(await fetch(`${cut.url}/health/ready`)));
    assert.is(ready.status, 503);
    assert.is(ready.reason, 'the store did not answer within 2 s');
    assert.ok(readyMs < 4000, `readiness answered after ${readyMs} ms`);
    assert.is((await fetch(`${cut.url}/health`)).status, 200);
    // No statement comes back: past DATABASE_QUERY_TIMEOUT_SECONDS (and the 5 s its cancel may
    // wait) an admin request is answered.
    const [listed, listedMs] = await timed(async () => answer(await r.admin(cut, 'GET', '/devices')));
    assert.equal([listed.status, listed.code], [503, 'unavailable'], listed.body);
    assert.ok(listedMs >= 1900 && listedMs < 12_000, `the device list was answered after ${listedMs} ms`);
    // An upload is answered within its own limit, whatever the statements do (UploadsInFlight).
    const [stored, storedMs] = await timed(async () => answer(await upload(cut, 'meter-p', envelope(key, 'meter-p', 2))));
    assert.equal([stored.status, stored.code], [503, 'unavailable'], stored.body);
    assert.match(stored.body, /retry with the same nonce/);
    assert.ok(storedMs < 15_000, `the upload was answered after ${storedMs} ms (devices wait 15 s)`);

    // The partition heals: the same process becomes ready again and takes the retry.
    await proxy.up();
    await eventually('ready after the partition', async () => (await fetch(`${cut.url}/health/ready`)).status === 200);
    await eventually('the retry with the same nonce is stored', async () => (await upload(cut, 'meter-p', envelope(key, 'meter-p', 2))).status === 200);

    // A request still waiting on the database when SIGTERM comes is cut after SHUTDOWN_DRAIN_SECONDS.
    proxy.freeze();
    const hanging = upload(cut, 'meter-p', envelope(key, 'meter-p', 3)).then(
      (res) => `answered ${res.status}`,
      () => 'connection closed',
    );
    await new Promise((res) => setTimeout(res, 200));
    const [code, stopMs] = await timed(() => cut.kill('SIGTERM'));
    assert.is(code, 1, 'not a clean stop');
    assert.ok(stopMs < 6000, `stopped after ${stopMs} ms (drain 1 s + close 2 s)`);
    assert.is(await hanging, 'connection closed');
    assert.match(cut.output(), /requests still in flight after SHUTDOWN_DRAIN_SECONDS/);
    assert.match(cut.output(), /the store did not close within SHUTDOWN_CLOSE_SECONDS: exiting anyway/);

    // Nothing it acknowledged is missing: the other replica has the first batch, and takes the retry.
    await proxy.up();
    const retried = await upload(direct, 'meter-p', envelope(key, 'meter-p', 3));
    assert.is(retried.status, 200, await retried.text());
  } finally {
    await r.stop();
    await proxy.close();
  }
});

test('SIGTERM on a healthy database: the request in flight finishes, nothing new is accepted, the connections are closed, exit 0', async () => {
  const r = await startReplicas(1, { LOG_LEVEL: 'info' });
  const [gw] = r.replicas as [GatewayProcess];
  const sql = postgres(r.url, { max: 1, onnotice: () => undefined });
  try {
    const key = await register(r, gw, 'meter-s');
    const body = Buffer.from(envelope(key, 'meter-s', 1));
    assert.ok(
      Number((await sql`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fleetgate'`)[0]!.n) > 0,
      'the replica holds connections',
    );
    // An upload whose body is half sent when SIGTERM comes.
    const url = new URL(gw.url);
    let req!: ReturnType<typeof request>;
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req = request(
        { host: url.hostname, port: url.port, method: 'POST', path: '/aggregated/meter-s', headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
    });
    req.write(body.subarray(0, 40));
    await new Promise((res) => setTimeout(res, 100));
    gw.child.kill('SIGTERM');
    await new Promise((res) => setTimeout(res, 300));
    const refused = await fetch(`${gw.url}/health`).then(
      (res) => `answered ${res.status}`,
      () => 'refused',
    );
    assert.is(refused, 'refused', 'no new connection is accepted while draining');
    req.end(body.subarray(40));
    const answered = await inFlight;
    assert.is(answered.status, 200, answered.body);
    assert.is(await gw.kill('SIGTERM'), 0, `a clean stop: ${gw.output().slice(-1500)}`);
    assert.match(gw.output(), /"clean":true,"msg":"stopped"/);
    const [left] = await sql`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fleetgate'`;
    assert.is(Number(left!.n), 0, 'every connection (pool, listeners, leases) closed');
    const count = (await sql`SELECT count(*) AS n FROM telemetry_batches WHERE device_id = 'meter-s'`)[0]!;
    assert.is(Number(count.n), 1, 'the upload that finished during the drain is stored');
  } finally {
    await sql.end();
    await r.stop();
  }
});

test.run();
