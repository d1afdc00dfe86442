/**
 * A fleet for the console's browser test, recorded through the gateway's own routes (in-process,
 * under a clock a few minutes behind the wall clock) into a DATA_DIR the real gateway process then
 * serves: twelve devices with uploads, diagnostics (a power loss, a reboot), a config change,
 * commands in three states, forged and replayed uploads, a rollout of 1.1.0 with results and a
 * download in progress, and a silence that took four devices offline. `expected` is what the
 * console must show for it.
 */
import { FakeClock } from '../../server/clock.ts';
import { controlPlaneOf } from '../../server/control-plane/index.ts';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { otaFixture, otaGateway, SimDevice } from '../ota/routes-helpers.ts';

export const METERS = Array.from({ length: 10 }, (_, i) => `meter-${String(i + 1).padStart(2, '0')}`);
export const CHART_SAMPLES = 30;

export interface SeededFleet {
  dir: string;
  keys: Map<string, Uint8Array>;
  /** Next nonce per device (uploads and signed requests share the ledger). */
  nonces: Map<string, number>;
  expected: {
    counts: Record<'Devices' | 'Online' | 'Offline' | 'Never seen' | 'Revoked' | 'Behind on config' | 'On latest firmware', number>;
    online: string[];
    offline: string[];
  };
}

function power(i: number): number {
  return Math.round(500 + 150 * Math.sin(i / 4));
}

export async function seedFleet(): Promise<SeededFleet> {
  // Behind the wall clock by the silence below, so the download in progress is not idle yet.
  const clock = new FakeClock(Date.now() - 5 * 60_000);
  const fx = await otaFixture([
    { version: '1.0.0', counter: 0 },
    { version: '1.1.0', counter: 1, size: 20 * 1024 - 100 }, // 20 chunks of 1 KiB once encrypted
  ]);
  const gw = await otaGateway(fx, { clock });
  const ok = async (res: Response | Promise<Response>, status = 200) => {
    const r = await res;
    if (r.status !== status) throw new Error(`seed: ${r.url || ''} answered ${r.status}: ${await r.text()}`);
    return r;
  };

  const ids = [...METERS, 'spare-1', 'stolen-1'];
  const bulk = await ok(
    gw.admin('POST', '/devices/bulk', { devices: ids.map((id, i) => ({ device_id: id, tags: id.startsWith('meter') ? [i % 2 === 0 ? 'site:lyon' : 'site:paris', ...(i === 0 ? ['canary'] : [])] : [] })) }),
    201,
  );
  const keys = new Map(((await bulk.json()) as { devices: { device_id: string; hmac_key: string }[] }).devices.map((d) => [d.device_id, hexToBytes(d.hmac_key)]));
  const dev = new Map(ids.map((id) => [id, new SimDevice(gw, id, keys.get(id)!)]));
  const d = (id: string) => dev.get(id)!;
  const upload = (id: string, samples: Record<string, number>[]) => ok(gw.upload(id, keys.get(id)!, ++d(id).nonce, { aggregated_data: samples }));
  const t0 = Math.floor(clock.now() / 1000);

  // Telemetry: meter-01 in three uploads (the chart), the others one small upload each.
  for (let u = 0; u < 3; u++) {
    await upload('meter-01', Array.from({ length: CHART_SAMPLES / 3 }, (_, j) => ({ timestamp: t0 + (u * 10 + j) * 10, voltage: 230, power: power(u * 10 + j) })));
    clock.advance(5_000);
  }
  for (const id of [...METERS.slice(1, 8), 'stolen-1']) await upload(id, [{ timestamp: t0, voltage: 229.5, power: 410 }, { timestamp: t0 + 60, voltage: 229.8, power: 415 }]);
  await ok(gw.admin('DELETE', '/devices/stolen-1'));

  // Diagnostics: everyone on 1.0.0 with config v1; then meter-02 loses power, meter-03 reboots.
  const report = (over: Record<string, unknown>) => ({ firmware_version: '1.0.0', uptime_seconds: 300, boot_id: 'boot-a', reset_reason: 'poweron', free_heap: 181_000, wifi_rssi: -58, config_version: 1, ...over });
  for (const id of METERS.slice(0, 8)) await d(id).request('POST', `/diagnostics/${id}`, report({}));
  clock.advance(10_000);
  await d('meter-02').request('POST', '/diagnostics/meter-02', report({ boot_id: 'boot-b', uptime_seconds: 20 }));
  await d('meter-03').request('POST', '/diagnostics/meter-03', report({ boot_id: 'boot-b', uptime_seconds: 15, reset_reason: 'watchdog' }));

  // Config v2 for the fleet; only meter-01 applies it.
  await ok(gw.admin('PUT', '/config/defaults', { upload_frequency: 300 }));
  await d('meter-01').request('POST', '/diagnostics/meter-01', report({ config_version: 2 }));

  // Commands: completed (meter-01), pending (meter-02), sent and unanswered (meter-03).
  await ok(gw.admin('POST', '/commands/meter-01', { command_type: 'reboot' }), 201);
  const polled = await d('meter-01').request<{ command: { command_id: string } }>('GET', '/commands/meter-01/poll');
  await d('meter-01').request('POST', '/commands/meter-01/result', { command_id: polled.json.command.command_id, status: 'completed', result: 'rebooting' });
  await ok(gw.admin('POST', '/commands/meter-02', { command_type: 'set_power', parameters: { power: '50%' } }), 201);
  await ok(gw.admin('POST', '/commands/meter-03', { command_type: 'reboot' }), 201);
  await d('meter-03').request('GET', '/commands/meter-03/poll');

  // Refused messages: three forged uploads for meter-05, a replay for meter-06.
  for (let n = 100; n < 103; n++) await ok(gw.upload('meter-05', new Uint8Array(32).fill(7), n, { aggregated_data: [{ timestamp: t0, power: 1 }] }), 401);
  await ok(gw.upload('meter-06', keys.get('meter-06')!, 1, { aggregated_data: [{ timestamp: t0, power: 2 }] }), 401);

  // Silence past 3 heartbeats: every device heard from goes offline; meter-01..04 come back.
  clock.advance(4 * 60_000);
  await controlPlaneOf(gw.ctx).sweep();
  for (const id of METERS.slice(0, 4)) await d(id).request('GET', `/ota/check/${id}?version=1.0.0`);
  // Rollout of 1.1.0 to meter-01..04: two installed, one failed, one downloading (8 of 20 chunks).
  await ok(gw.admin('POST', '/ota/rollouts', { version: '1.1.0', devices: METERS.slice(0, 4), percent: 100, notes: 'canary wave' }), 201);
  await d('meter-01').request('POST', '/ota/complete/meter-01', { success: true, version: '1.1.0' });
  await d('meter-02').request('POST', '/ota/complete/meter-02', { success: true, version: '1.1.0' });
  await d('meter-03').request('POST', '/ota/complete/meter-03', { success: false, version: '1.1.0', error: 'image hash mismatch' });
  await d('meter-04').request('POST', '/ota/initiate/meter-04', { firmware_version: '1.1.0' });
  for (let i = 0; i < 8; i++) await d('meter-04').request('GET', `/ota/chunk/meter-04?version=1.1.0&chunk=${i}`);

  await controlPlaneOf(gw.ctx).events.idle();
  await gw.close();

  return {
    dir: fx.dir,
    keys,
    nonces: new Map(ids.map((id) => [id, d(id).nonce + 1])),
    expected: {
      counts: { Devices: 12, Online: 4, Offline: 4, 'Never seen': 3, Revoked: 1, 'Behind on config': 10, 'On latest firmware': 2 },
      online: METERS.slice(0, 4),
      offline: METERS.slice(4, 8),
    },
  };
}
