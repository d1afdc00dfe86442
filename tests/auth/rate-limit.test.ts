/**
 * Failed-authentication limits (issue 12.13): a flood of forged messages from one address, or
 * aimed at one device id from many addresses, is answered 429 with Retry-After before any HMAC,
 * counted in /metrics, and never limits a device's valid traffic from an address it authenticated
 * from. Over a real socket (the upload fast path and Hono's signed requests), with X-Forwarded-For
 * trusted so one test can speak from many addresses.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../server/clock.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { listen } from '../../server/server.ts';
import { AuthRateLimiter } from '../../server/auth/rate-limit.ts';
import { RateLimitedError } from '../../server/errors.ts';
import { ADMIN_TOKEN, samples, startTestGateway } from '../helpers/gateway.ts';

const ENV = { TRUST_PROXY: '1', AUTH_FAILURES_PER_ADDRESS: '5', AUTH_FAILURES_PER_DEVICE: '8', AUTH_FAILURE_WINDOW_SECONDS: '60' };

async function setup() {
  const clock = new FakeClock();
  const gw = await startTestGateway({ env: ENV, clock });
  const server = await listen(gw, '127.0.0.1', 0);
  const key = await gw.register('meter-1');
  let nonce = 0;
  const upload = (from: string, id = 'meter-1', k: Uint8Array = key) =>
    fetch(`${server.url}/aggregated/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.9, ${from}` },
      body: JSON.stringify(signEnvelope(k, id, ++nonce, { aggregated_data: samples(1) })),
    });
  const forged = new Uint8Array(32);
  return { clock, gw, server, key, upload, forged };
}

test('a flood of forged uploads from one address is cut off with 429 + Retry-After; the window reopens it', async () => {
  const { clock, gw, server, upload, forged } = await setup();
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await upload('198.51.100.1', `x-${i}`, forged)).status);
  assert.equal(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
  const limited = await upload('198.51.100.1', 'x-9', forged);
  assert.is(limited.status, 429);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.is(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limited');
  // another address is not affected
  assert.is((await upload('198.51.100.2', 'x-1', forged)).status, 401);
  clock.advance(60_000);
  assert.is((await upload('198.51.100.1', 'x-1', forged)).status, 401, 'the bucket refilled');
  const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  assert.match(metrics, /fleetgate_auth_rate_limited_total\{scope="address"\} 4/);
  await server.stop();
});

test("a device's valid traffic is never limited: from an address it authenticated from, it passes a flood of its id", async () => {
  const { gw, server, key, upload, forged } = await setup();
  assert.is((await upload('192.0.2.10')).status, 200, 'the device, from its own address');
  // an attacker sprays forged uploads for meter-1 from many addresses, and floods from the device's NAT too
  for (let i = 0; i < 12; i++) await upload(`198.51.100.${50 + i}`, 'meter-1', forged);
  for (let i = 0; i < 12; i++) await upload('192.0.2.10', `other-${i}`, forged);
  assert.is((await upload('198.51.100.99', 'meter-1', forged)).status, 429, 'the device id is limited for strangers');
  assert.is((await upload('192.0.2.10')).status, 200, 'the device itself still gets through');
  // signed requests share the limits
  const res = await fetch(`${server.url}/config`, { headers: { ...signRequestHeaders(key, 'meter-1', 9999, 'GET', '/config'), 'x-forwarded-for': '192.0.2.10' } });
  assert.is(res.status, 200);
  const stranger = await fetch(`${server.url}/config`, { headers: { ...signRequestHeaders(forged, 'meter-1', 10000, 'GET', '/config'), 'x-forwarded-for': '198.51.100.7' } });
  assert.is(stranger.status, 429);
  void gw;
  await server.stop();
});

test('memory stays bounded under random addresses', () => {
  const limiter = new AuthRateLimiter({ perAddress: 1, perDevice: 1, windowMs: 60_000, maxKeys: 100 });
  for (let i = 0; i < 10_000; i++) limiter.failed(`10.0.${i >> 8}.${i & 255}`, `d-${i}`, 0);
  const sizes = limiter as unknown as { addresses: { map: Map<string, unknown> }; devices: { map: Map<string, unknown> } };
  assert.ok(sizes.addresses.map.size <= 100);
  assert.ok(sizes.devices.map.size <= 100);
  // known-good pairs too: one device from many addresses, and many devices
  for (let i = 0; i < 5_000; i++) limiter.succeeded(`10.1.${i >> 8}.${i & 255}`, 'roamer', i);
  for (let i = 0; i < 5_000; i++) limiter.succeeded('10.2.0.1', `d-${i}`, i);
  const good = limiter as unknown as { knownGood: Map<string, Map<string, number>>; knownGoodPairs: number };
  const pairs = [...good.knownGood.values()].reduce((n, m) => n + m.size, 0);
  assert.is(good.knownGoodPairs, pairs, 'the pair count matches what is held');
  assert.ok(pairs <= 100, `${pairs} pairs held`);
  assert.ok(good.knownGood.has('d-4999'), 'the newest pair is kept');
});

test('a pair that keeps authenticating stays exempt; it lapses knownGoodMs after its last success', () => {
  const limiter = new AuthRateLimiter({ perAddress: 1, perDevice: 1, windowMs: 3_600_000, knownGoodMs: 1000 });
  limiter.succeeded('192.0.2.10', 'meter-1', 0); // the device, from its own address
  limiter.failed('198.51.100.7', 'meter-1', 0); // a stranger uses up the device id's failures
  for (let t = 50; t <= 5000; t += 50) {
    limiter.check('192.0.2.10', 'meter-1', t);
    limiter.succeeded('192.0.2.10', 'meter-1', t);
  }
  limiter.check('192.0.2.10', 'meter-1', 5900); // within knownGoodMs of a recent success
  assert.throws(() => limiter.check('192.0.2.10', 'meter-1', 6200), (err: Error) => err instanceof RateLimitedError);
});

test('a refilled bucket is dropped, so an upload path without recent failures looks nothing up', () => {
  const limiter = new AuthRateLimiter({ perAddress: 2, perDevice: 2, windowMs: 1000 });
  limiter.failed('198.51.100.7', 'meter-1', 0);
  const maps = limiter as unknown as { addresses: { map: Map<string, unknown> }; devices: { map: Map<string, unknown> } };
  limiter.check('198.51.100.7', 'meter-1', 100);
  assert.is(maps.addresses.map.size, 1, 'still refilling');
  limiter.check('198.51.100.7', 'meter-1', 1000);
  assert.equal([maps.addresses.map.size, maps.devices.map.size], [0, 0]);
  limiter.failed('198.51.100.7', 'meter-1', 1000);
  limiter.failed('198.51.100.7', 'meter-1', 1000);
  assert.throws(() => limiter.check('198.51.100.7', 'meter-1', 1001), (err: Error) => err instanceof RateLimitedError, 'a new flood is limited as before');
  // keys never seen again (a scan) go too, one per check, once refilled
  for (let i = 0; i < 5; i++) limiter.failed(`203.0.113.${i}`, `ghost-${i}`, 2000);
  for (let t = 3000; t < 3012; t++) limiter.check('192.0.2.10', 'meter-2', t);
  assert.equal([maps.addresses.map.size, maps.devices.map.size], [0, 0], 'emptied by checks of other keys');
});

test.run();
