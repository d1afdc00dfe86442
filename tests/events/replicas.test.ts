/**
 * Device events with two gateways on one PostgreSQL database (in-process, one fake clock): both
 * sweeping at once declare a silent device offline once; the gateway that did not declare it learns
 * of it (LISTEN/NOTIFY) and its own seen hook emits `online` when the device comes back to it —
 * one event each, seen alike from both gateways. Their webhook cooldown is the fleet's: the
 * `online` derived on the other gateway within the cooldown is held for one digest.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FakeClock } from '../../server/clock.ts';
import { controlPlaneOf } from '../../server/control-plane/index.ts';
import { startTestGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import '../helpers/postgres.ts';
import { SimDevice, json } from '../control-plane/device.ts';
import { eventually } from '../store/contract/backends.ts';

const S = 1000;

test('offline declared once by two sweeping gateways; the device back on the other one → online there', async () => {
  const clock = new FakeClock();
  const a = await startTestGateway({ clock, backend: 'postgres' });
  // Same database and the same KEYS_DIR (device keys derive from it), a DATA_DIR of its own.
  const b = await startTestGateway({ clock, dir: await tempDir(), env: { DATABASE_URL: a.config.DATABASE_URL!, KEYS_DIR: join(a.dir, 'keys') } });
  let via: TestGateway = a;
  const dev = new SimDevice('meter-1', await a.register('meter-1'), (path, init) => Promise.resolve(via.app.request(path, init)));
  assert.is((await dev.poll()).status, 200);

  clock.advance(181 * S);
  await Promise.all([controlPlaneOf(a.ctx).sweep(), controlPlaneOf(b.ctx).sweep(), controlPlaneOf(b.ctx).sweep()]);
  await eventually(() => a.ctx.store.events.isOffline('meter-1') && b.ctx.store.events.isOffline('meter-1'), 'both gateways see it offline');

  clock.advance(60 * S);
  via = b;
  assert.is((await dev.poll()).status, 200);
  await controlPlaneOf(b.ctx).events.idle();
  via = a;
  await dev.poll();
  await controlPlaneOf(a.ctx).events.idle();
  await eventually(() => !a.ctx.store.events.isOffline('meter-1'), 'A sees it online again');

  for (const gw of [a, b]) {
    const { events } = await json<{ events: { type: string; event_id: string }[] }>(await gw.admin('GET', '/events'));
    assert.equal(events.map((e) => e.event_id), ['meter-1:offline:1', 'meter-1:online:2']);
  }
  await b.destroy();
  await a.destroy();
});

test('the webhook cooldown is shared: an event derived on the other gateway within it waits for the one digest', async () => {
  const hooks: { type: string; device_id: string; count?: number }[] = [];
  const rx = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hooks.push(JSON.parse(body) as { type: string; device_id: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const notify = { NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`, NOTIFY_COOLDOWN_SECONDS: '600' };
  const clock = new FakeClock();
  const a = await startTestGateway({ clock, backend: 'postgres', env: notify });
  const b = await startTestGateway({ clock, dir: await tempDir(), env: { ...notify, DATABASE_URL: a.config.DATABASE_URL!, KEYS_DIR: join(a.dir, 'keys') } });
  try {
    let via: TestGateway = a;
    const dev = new SimDevice('meter-1', await a.register('meter-1'), (path, init) => Promise.resolve(via.app.request(path, init)));
    await dev.poll();
    clock.advance(181 * S);
    await controlPlaneOf(a.ctx).sweep();
    await controlPlaneOf(a.ctx).notifier.drain();
    via = b;
    clock.advance(10 * S);
    await dev.poll();
    await controlPlaneOf(b.ctx).events.idle();
    await controlPlaneOf(b.ctx).notifier.drain();
    assert.equal(hooks.map((h) => h.type), ['offline'], 'online (derived on B) held: A notified 10 s ago');
    clock.advance(600 * S);
    await Promise.all([controlPlaneOf(a.ctx).notifier.tick(), controlPlaneOf(b.ctx).notifier.tick()]);
    await Promise.all([controlPlaneOf(a.ctx).notifier.drain(), controlPlaneOf(b.ctx).notifier.drain()]);
    assert.equal(hooks.map((h) => [h.type, h.count]), [['offline', undefined], ['digest', 1]]);
  } finally {
    await b.destroy();
    await a.destroy();
    rx.close();
  }
});

test.run();
