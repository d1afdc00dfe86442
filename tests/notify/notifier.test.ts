import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../../server/clock.ts';
import { controlPlaneOf } from '../../server/control-plane/index.ts';
import type { DeviceEvent } from '../../server/events/rules.ts';
import { silentLogger } from '../../server/logger.ts';
import { MemoryNotifyCooldowns } from '../../server/store/embedded/notify-cooldowns.ts';
import { Notifier } from '../../server/notify/notifier.ts';
import { startTestGateway, testConfig } from '../helpers/gateway.ts';
import { SimDevice, diag, json } from '../control-plane/device.ts';

interface Hit {
  at: number;
  body: Record<string, unknown>;
  contentType: string | undefined;
}

/** A local webhook receiver; `respond` decides each answer (by hit number, from 1). */
async function receiver(respond: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      hits.push({ at: performance.now(), body: JSON.parse(data) as Record<string, unknown>, contentType: req.headers['content-type'] });
      respond(hits.length, req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const ok = (_n: number, _q: IncomingMessage, res: ServerResponse) => res.writeHead(200).end('ok');

function notifier(env: Record<string, string>, clock = new FakeClock()) {
  return new Notifier(testConfig('/tmp/unused', { NOTIFY_COOLDOWN_SECONDS: '0', NOTIFY_BACKOFF_MS: '40', ...env }), clock, silentLogger(), {
    cooldowns: new MemoryNotifyCooldowns(),
  });
}

let seq = 0;
function event(device = 'meter-1', type: DeviceEvent['type'] = 'offline'): DeviceEvent {
  seq++;
  return {
    event_id: `${device}:${type}:${seq}`,
    device_id: device,
    type,
    at: '2026-01-01T00:00:00.000Z',
    details: { last_seen: '2025-12-31T23:55:00.000Z', silent_seconds: 300, threshold_seconds: 180 },
  };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('json format: the event itself plus a text line, as application/json', async () => {
  const rx = await receiver(ok);
  const n = notifier({ NOTIFY_WEBHOOK_URL: rx.url });
  const e = event();
  n.notify(e);
  await n.drain();
  assert.is(rx.hits.length, 1);
  assert.is(rx.hits[0]!.contentType, 'application/json');
  assert.equal({ ...rx.hits[0]!.body, text: undefined }, { ...e, text: undefined });
  assert.match(String(rx.hits[0]!.body['text']), /meter-1 is offline: silent for 5m 0s/);
  assert.is(n.stats().sent, 1);
  n.close();
  await rx.close();
});

test('telegram format: {chat_id, text}', async () => {
  const rx = await receiver(ok);
  const n = notifier({ NOTIFY_WEBHOOK_URL: rx.url, NOTIFY_FORMAT: 'telegram', NOTIFY_TELEGRAM_CHAT_ID: '-100123' });
  n.notify(event('meter-2', 'online'));
  await n.drain();
  assert.equal(Object.keys(rx.hits[0]!.body).sort(), ['chat_id', 'text']);
  assert.is(rx.hits[0]!.body['chat_id'], '-100123');
  assert.match(String(rx.hits[0]!.body['text']), /meter-2 is back online/);
  n.close();
  await rx.close();
});

test('retries 5xx with exponential backoff, then delivers once', async () => {
  const rx = await receiver((n, _q, res) => (n <= 3 ? res.writeHead(503).end() : res.writeHead(204).end()));
  const n = notifier({ NOTIFY_WEBHOOK_URL: rx.url, NOTIFY_BACKOFF_MS: '100' });
  n.notify(event());
  await n.drain();
  assert.is(rx.hits.length, 4);
  assert.ok(rx.hits.every((h) => h.body['event_id'] === rx.hits[0]!.body['event_id']), 'the same notification each time');
  const gaps = rx.hits.slice(1).map((h, i) => h.at - rx.hits[i]!.at);
  // nominal 100, 200, 400 ms, each ± 20 % jitter: every gap at least its lower bound, and growing
  assert.ok(gaps[0]! >= 75, `first gap ${gaps[0]}`);
  assert.ok(gaps[1]! >= 155, `second gap ${gaps[1]}`);
  assert.ok(gaps[2]! >= 315, `third gap ${gaps[2]}`);
  assert.ok(gaps[2]! > gaps[0]! * 1.5, `gaps grow: ${gaps.join(', ')}`);
  assert.equal([n.stats().sent, n.stats().retries, n.stats().failed], [1, 3, 0]);
  n.close();
  await rx.close();
});

test('gives up after NOTIFY_MAX_ATTEMPTS; a non-retryable 4xx is not retried; 429 is', async () => {
  const rx = await receiver((_n, req, res) => {
    const body = rx.hits[rx.hits.length - 1]!.body;
    if (body['device_id'] === 'always-500') return res.writeHead(500).end();
    if (body['device_id'] === 'bad-request') return res.writeHead(400).end();
    if (rx.hits.filter((h) => h.body['device_id'] === 'throttled').length === 1) return res.writeHead(429, { 'retry-after': '0' }).end();
    void req;
    return res.writeHead(200).end();
  });
  const n = notifier({ NOTIFY_WEBHOOK_URL: rx.url, NOTIFY_MAX_ATTEMPTS: '3' });
  n.notify(event('always-500'));
  n.notify(event('bad-request'));
  n.notify(event('throttled'));
  await n.drain();
  const count = (id: string) => rx.hits.filter((h) => h.body['device_id'] === id).length;
  assert.equal([count('always-500'), count('bad-request'), count('throttled')], [3, 1, 2]);
  assert.equal([n.stats().sent, n.stats().failed], [1, 2]);
  n.close();
  await rx.close();
});

test('a webhook that never answers times out and is retried', async () => {
  const rx = await receiver(() => undefined);
  const n = notifier({ NOTIFY_WEBHOOK_URL: rx.url, NOTIFY_TIMEOUT_MS: '100', NOTIFY_MAX_ATTEMPTS: '2' });
  n.notify(event());
  await n.drain();
  assert.is(rx.hits.length, 2);
  assert.is(n.stats().failed, 1);
  assert.match(n.stats().last_error!, /timeout/);
  n.close();
  await rx.close();
});

test('one device is delivered in order even when an earlier notification is retried', async () => {
  const rx = await receiver((n, _q, res) => (n === 1 ? res.writeHead(502).end() : res.writeHead(200).end()));
  const n = notifier({ NOTIFY_WEBHOOK_URL: rx.url });
  const first = event('m', 'offline');
  const second = event('m', 'online');
  n.notify(first);
  n.notify(second);
  await n.drain();
  assert.equal(rx.hits.map((h) => h.body['event_id']), [first.event_id, first.event_id, second.event_id]);
  n.close();
  await rx.close();
});

test('cooldown: further events for a device are held and sent as one digest when it ends', async () => {
  const rx = await receiver(ok);
  const clock = new FakeClock();
  const n = notifier({ NOTIFY_WEBHOOK_URL: rx.url, NOTIFY_COOLDOWN_SECONDS: '60' }, clock);
  n.notify(event('flappy', 'offline'));
  n.notify(event('flappy', 'online'));
  n.notify(event('flappy', 'offline'));
  n.notify(event('flappy', 'online'));
  n.notify(event('calm', 'reboot'));
  await n.drain();
  assert.equal(rx.hits.map((h) => [h.body['device_id'], h.body['type']]), [
    ['flappy', 'offline'],
    ['calm', 'reboot'],
  ]);
  clock.advance(59_000);
  await n.tick();
  await n.drain();
  assert.is(rx.hits.length, 2, 'still cooling down');
  clock.advance(1_000);
  await n.tick();
  await n.drain();
  const digest = rx.hits[2]!.body as { type: string; count: number; events: DeviceEvent[]; text: string };
  assert.is(digest.type, 'digest');
  assert.is(digest.count, 3);
  assert.equal(digest.events.map((e) => e.type), ['online', 'offline', 'online']);
  assert.match(digest.text, /3 more events.*latest: 🟢 flappy is back online/);
  assert.is(n.stats().suppressed, 3);
  await n.tick();
  await n.drain();
  assert.is(rx.hits.length, 3, 'nothing more to send');
  n.close();
  await rx.close();
});

// The one-second ticker can have taken a digest from the store and not queued it yet when a
// caller drains; drain() used to answer "nothing pending" then (a flaky two-replica test).
test('drain waits for a digest tick that is still asking the store', async () => {
  const rx = await receiver(ok);
  const clock = new FakeClock();
  const memory = new MemoryNotifyCooldowns();
  const slow = Object.assign(Object.create(memory) as MemoryNotifyCooldowns, {
    takeDue: async (...args: Parameters<MemoryNotifyCooldowns['takeDue']>) => {
      await new Promise((r) => setTimeout(r, 50));
      return memory.takeDue(...args);
    },
  });
  const n = new Notifier(testConfig('/tmp/unused', { NOTIFY_WEBHOOK_URL: rx.url, NOTIFY_COOLDOWN_SECONDS: '60' }), clock, silentLogger(), { cooldowns: slow });
  n.notify(event('flappy', 'offline'));
  n.notify(event('flappy', 'online'));
  await n.drain();
  clock.advance(60_000);
  void n.tick(); // as the ticker would: nobody awaits it
  await n.drain();
  assert.equal(rx.hits.map((h) => h.body['type']), ['offline', 'digest']);
  n.close();
  await rx.close();
});

// A silent database: each digest tick waits for its lease check (up to 6 s). Ticks that joined
// one another every second would queue without end and run all at once when it came back.
test('the one-second ticker does not start a tick while the last one still waits for the store', async () => {
  const rx = await receiver(ok);
  let asked = 0;
  const n = new Notifier(testConfig('/tmp/unused', { NOTIFY_WEBHOOK_URL: rx.url, NOTIFY_COOLDOWN_SECONDS: '60' }), new FakeClock(), silentLogger(), {
    cooldowns: new MemoryNotifyCooldowns(),
    exclusive: () => {
      asked++;
      return new Promise(() => undefined); // never answers
    },
  });
  await new Promise((r) => setTimeout(r, 3300));
  assert.is(asked, 1);
  n.close();
  await rx.close();
});

test('the queue is bounded: the oldest waiting notification is dropped and counted', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const rx = await receiver((_n, _q, res) => void gate.then(() => res.writeHead(200).end()));
  const n = notifier({ NOTIFY_WEBHOOK_URL: rx.url, NOTIFY_QUEUE_LIMIT: '5' });
  // 4 workers take 4; the queue holds 5 in all; each further one drops the oldest not in flight
  for (let i = 0; i < 8; i++) n.notify(event(`d${i}`));
  await until(() => rx.hits.length === 4);
  assert.is(n.stats().dropped, 3);
  release();
  await n.drain();
  assert.equal(rx.hits.map((h) => h.body['device_id']).sort(), ['d0', 'd1', 'd2', 'd3', 'd7']);
  n.close();
  await rx.close();
});

test('end to end: a device event reaches the webhook, and a slow webhook never slows the device', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const rx = await receiver((_n, _q, res) => void gate.then(() => res.writeHead(200).end()));
  const gw = await startTestGateway({ clock: new FakeClock(), env: { NOTIFY_WEBHOOK_URL: rx.url } });
  const dev = await SimDevice.register(gw, 'meter-1');
  await dev.diagnostics(diag({ boot_id: 'b1' }));
  // The webhook hangs until released; a device request that waited on it would never be answered.
  const r = await Promise.race([
    dev.diagnostics(diag({ boot_id: 'b2', reset_reason: 'panic' })),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('device request blocked by the webhook')), 5000)),
  ]);
  assert.is(r.status, 200);
  await until(() => rx.hits.length === 1);
  assert.is(rx.hits[0]!.body['type'], 'reboot');
  const status = await json<{ in_flight: number; enabled: boolean }>(await gw.admin('GET', '/notify/status'));
  assert.equal([status.enabled, status.in_flight], [true, 1]);
  release();
  await controlPlaneOf(gw.ctx).notifier.drain();
  assert.is((await json<{ sent: number }>(await gw.admin('GET', '/notify/status'))).sent, 1);
  await gw.destroy();
  await rx.close();
});

test('without NOTIFY_WEBHOOK_URL nothing is sent and status says disabled', async () => {
  const n = notifier({});
  n.notify(event());
  assert.equal([n.stats().enabled, n.stats().queued], [false, 0]);
  n.close();
});

test.run();
