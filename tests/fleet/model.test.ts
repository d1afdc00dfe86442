/**
 * The fleet read model (server/fleet): kept up to date from the store's writes, it must say what a
 * fresh load from the store says — after uploads, rejections, diagnostics, config changes,
 * commands, OTA checks, silence and a revocation — and its numbers must be the right ones; the
 * 24-hour counters slide with time, survive a restart, and /metrics reports the fleet counts.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeClock } from '../../server/clock.ts';
import { controlPlaneOf } from '../../server/control-plane/index.ts';
import { fleetOf } from '../../server/fleet/index.ts';
import { firmwareOf, statusOf } from '../../server/fleet/row.ts';
import type { FleetService } from '../../server/fleet/service.ts';
import { samples, startTestGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { SimDevice, diag } from '../control-plane/device.ts';

const HOUR = 3_600_000;

function snapshot(fleet: FleetService, now: number) {
  const rows = [...fleet.model.all()]
    .sort((a, b) => (a.device_id < b.device_id ? -1 : 1))
    .map((r) => ({
      id: r.device_id,
      status: statusOf(r),
      firmware: firmwareOf(r)?.version ?? null,
      seen: r.last_seen,
      nonce: r.last_nonce,
      upload: r.last_upload,
      applied: r.config_applied,
      behind: r.config_behind,
      target: r.config_version,
      commands: [r.commands_pending, r.commands_sent],
      session: r.ota_session,
      day: fleet.model.activity.last24h(r.device_id, now),
    }));
  const c = fleet.model.counts();
  return { rows, counts: { ...c, versions: Object.fromEntries([...c.versions].sort()) } };
}

async function settle(gw: TestGateway): Promise<FleetService> {
  await controlPlaneOf(gw.ctx).events.idle();
  await gw.ctx.securityStats.flush();
  const fleet = fleetOf(gw.ctx);
  await fleet.idle();
  return fleet;
}

test('kept up to date incrementally, it says what a fresh load from the store says, and the right thing', async () => {
  const clock = new FakeClock(Date.UTC(2026, 2, 1, 10));
  const gw = await startTestGateway({ clock });
  const dev = (id: string) => SimDevice.register(gw, id);
  const [a, b, c] = [await dev('meter-a'), await dev('meter-b'), await dev('meter-c')];
  await gw.register('never-1');
  await gw.register('gone-1');

  // Uploads (and one forged), diagnostics with firmware and config versions.
  assert.is((await gw.upload('meter-a', a.key, 1, { aggregated_data: samples(3) })).status, 200);
  assert.is((await gw.upload('meter-a', a.key, 2, { aggregated_data: samples(2) })).status, 200);
  assert.is((await gw.upload('meter-a', a.key, 2, { aggregated_data: samples(2) })).status, 200, 'a retransmission: a duplicate, not an upload');
  assert.is((await gw.upload('meter-b', new Uint8Array(32), 1, { aggregated_data: samples(1) })).status, 401);
  a.nonce = 2;
  assert.is((await a.diagnostics(diag({ firmware_version: '1.4.2', config_version: 1 }))).status, 200);
  assert.is((await b.diagnostics(diag({ firmware_version: '1.3.0', config_version: 1 }))).status, 200);
  // Config: the fleet defaults move to version 2; meter-a applies it, meter-b does not.
  assert.is((await gw.admin('PUT', '/config/defaults', { upload_frequency: 300 })).status, 200);
  assert.is((await a.diagnostics(diag({ firmware_version: '1.4.2', config_version: 2, boot_id: 'boot-1' }))).status, 200);
  // Commands: one pending for meter-c, one delivered to meter-b.
  assert.is((await gw.admin('POST', '/commands/meter-c', { command_type: 'reboot' })).status, 201);
  assert.is((await gw.admin('POST', '/commands/meter-b', { command_type: 'reboot' })).status, 201);
  assert.ok((await b.poll()).json.command);
  // OTA: meter-c checks in with 2.0.0 (it sends no diagnostics).
  assert.is((await c.request('GET', '/ota/check/meter-c?version=2.0.0')).status, 200);
  await gw.admin('DELETE', '/devices/gone-1');
  // Silence: meter-c is heard again later; a and b go offline.
  clock.advance(2 * 60_000);
  assert.is((await c.request('GET', '/ota/check/meter-c?version=2.0.0')).status, 200);
  clock.advance(2 * 60_000);
  await controlPlaneOf(gw.ctx).sweep();

  const fleet = await settle(gw);
  const now = clock.now();
  const incremental = snapshot(fleet, now);
  await fleet.reload();
  assert.equal(snapshot(fleet, now), incremental, 'incremental model = fresh load');

  const byId = Object.fromEntries(incremental.rows.map((r) => [r.id, r]));
  assert.equal(
    incremental.rows.map((r) => [r.id, r.status]),
    [['gone-1', 'revoked'], ['meter-a', 'offline'], ['meter-b', 'offline'], ['meter-c', 'online'], ['never-1', 'never_seen']],
  );
  assert.equal([byId['meter-a']!.firmware, byId['meter-b']!.firmware, byId['meter-c']!.firmware, byId['never-1']!.firmware], ['1.4.2', '1.3.0', '2.0.0', null]);
  assert.equal([byId['meter-a']!.behind, byId['meter-b']!.behind, byId['meter-b']!.target, byId['never-1']!.behind, byId['gone-1']!.behind], [false, true, 2, true, false]);
  assert.equal(byId['meter-a']!.day, { uploads: 2, rejected: 0 });
  assert.equal(byId['meter-b']!.day, { uploads: 0, rejected: 1 });
  assert.equal([byId['meter-c']!.commands, byId['meter-b']!.commands], [[1, 0], [0, 1]]);
  const counts = incremental.counts;
  assert.equal(counts.status, { online: 1, offline: 2, never_seen: 1, revoked: 1 });
  assert.is(counts.behind, 3, 'meter-b, meter-c and never-1');
  assert.equal(counts.versions, { '1.3.0': 1, '1.4.2': 1, '2.0.0': 1, unknown: 1 });
  assert.equal(counts.commands, { pending: 1, sent: 1 });

  // Metrics read the same counts.
  const text = await (await gw.admin('GET', '/metrics')).text();
  for (const line of [
    'fleetgate_devices{status="online"} 1',
    'fleetgate_devices{status="offline"} 2',
    'fleetgate_devices{status="never_seen"} 1',
    'fleetgate_devices{status="revoked"} 1',
    'fleetgate_devices_config_behind 3',
    'fleetgate_devices_firmware{version="2.0.0"} 1',
    'fleetgate_devices_firmware{version="unknown"} 1',
    'fleetgate_commands_open{state="pending"} 1',
    'fleetgate_commands_open{state="sent"} 1',
  ]) {
    assert.ok(text.includes(`\n${line}\n`), `metrics: ${line}`);
  }
  await gw.destroy();
});

test('the 24-hour counters slide with the clock and survive a restart', async () => {
  const clock = new FakeClock(Date.UTC(2026, 2, 1, 10, 30));
  const dir = await tempDir();
  let gw = await startTestGateway({ clock, dir });
  const key = await gw.register('m');
  for (let n = 1; n <= 3; n++) assert.is((await gw.upload('m', key, n, { aggregated_data: samples(1) })).status, 200);
  clock.advance(20 * HOUR);
  assert.is((await gw.upload('m', key, 4, { aggregated_data: samples(1) })).status, 200);
  assert.is((await gw.upload('m', key, 4, { aggregated_data: samples(2) })).status, 401, 'a replay is a rejection');
  let fleet = await settle(gw);
  assert.equal(fleet.model.activity.last24h('m', clock.now()), { uploads: 4, rejected: 1 });
  await gw.close();

  gw = await startTestGateway({ clock, dir });
  fleet = fleetOf(gw.ctx);
  assert.equal(fleet.model.activity.last24h('m', clock.now()), { uploads: 4, rejected: 1 }, 'after a restart');
  assert.is(fleet.model.get('m')!.last_upload, clock.now());
  clock.advance(5 * HOUR);
  assert.equal(fleet.model.activity.last24h('m', clock.now()), { uploads: 1, rejected: 1 }, 'the first three are more than a day old');
  const hours = fleet.model.activity.fleetHours(clock.now(), 48);
  assert.is(hours.length, 48);
  assert.is(hours.reduce((n, h) => n + h.counts.accepted, 0), 4);
  assert.is(hours.reduce((n, h) => n + h.counts.replay, 0), 1);
  await gw.destroy();
});

test.run();
