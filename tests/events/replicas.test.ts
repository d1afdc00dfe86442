/**
 * Device events with two gateways on one PostgreSQL database (in-process, one fake clock): both
 * sweeping at once declare a silent device offline once; the gateway that did not declare it learns
 * of it (LISTEN/NOTIFY) and its own seen hook emits `online` when the device comes back to it —
 * one event each, seen alike from both gateways.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
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

test.run();
