/**
 * `promtool check metrics` (Prometheus's own linter, from Debian's prometheus package, installed by
 * scripts/setup-prometheus.sh when missing, so this never skips) is clean on the /metrics of a
 * real gateway process with Node's process metrics on, after traffic of every kind, fleet series
 * included.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { REDUNDANT_TOTAL_GAUGES } from '../../server/observability/metrics.ts';
import { ADMIN_TOKEN, tempDir } from '../helpers/gateway.ts';
import { runProcess, startGatewayProcess } from '../helpers/process.ts';

test('promtool check metrics finds nothing to say about /metrics', async () => {
  const setup = await runProcess('bash', ['scripts/setup-prometheus.sh'], { timeoutMs: 600_000 });
  assert.is(setup.code, 0, setup.stderr);
  const promtool = setup.stdout.trim().split('\n').pop()!;

  const dir = await tempDir();
  const gw = await startGatewayProcess({ DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), ADMIN_TOKEN }, { bundle: true });
  try {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    await fetch(`${gw.url}/devices`, { method: 'POST', headers: admin, body: JSON.stringify({ device_id: 'meter-1' }) });
    await fetch(`${gw.url}/devices`, { headers: admin });
    await fetch(`${gw.url}/aggregated/meter-1`, { method: 'POST', body: '{}' }); // refused upload
    await fetch(`${gw.url}/nowhere`); // unmatched route
    await fetch(`${gw.url}/devices`); // 401
    const text = await (await fetch(`${gw.url}/metrics`, { headers: admin })).text();

    const check = await runProcess(promtool, ['check', 'metrics'], { input: text });
    assert.is(check.stdout + check.stderr, '', 'promtool reports problems');
    assert.is(check.code, 0);

    // The standard process metrics are still there, and the per-type gauges carry what the
    // removed "_total" gauges summed.
    for (const name of ['fleetgate_process_cpu_seconds_total', 'fleetgate_process_resident_memory_bytes', 'fleetgate_nodejs_eventloop_lag_p99_seconds', 'fleetgate_http_requests_total']) {
      assert.match(text, new RegExp(`^${name}(\\{| )`, 'm'), name);
    }
    assert.match(text, /^fleetgate_nodejs_active_handles\{type="\w+"\} \d+$/m);
    // The fleet series (server/observability/fleet-metrics.ts) are in what promtool checked.
    for (const line of ['fleetgate_devices{status="never_seen"} 1', 'fleetgate_devices{status="online"} 0', 'fleetgate_devices_config_behind 1', 'fleetgate_devices_firmware{version="unknown"} 1', 'fleetgate_commands_open{state="pending"} 0', 'fleetgate_ota_sessions{state="active"} 0', 'fleetgate_devices_latest_firmware 0']) {
      assert.ok(text.includes(`\n${line}\n`), line);
    }
    for (const name of ['fleetgate_ota_served_bytes_total', 'fleetgate_rollout_results', 'fleetgate_rollout_paused']) assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'));
    for (const name of REDUNDANT_TOTAL_GAUGES) assert.not.match(text, new RegExp(`^fleetgate_${name}`, 'm'));
  } finally {
    await gw.kill();
  }
});

test.run();
