/**
 * Config benchmark at 10,000 devices, on both stores: what tag layers cost the fleet lag view
 * (`GET /config/fleet`: every device's effective version against the one it reported), the admin
 * device view, and the device hot path that computes an effective version on every report (the
 * diagnostics answer). Baseline, in the same run on the same gateway: the same requests before any
 * tag layer exists; and `GET /health` (the cost of any request).
 *
 * The gateway (the `npm start` bundle) gets 10,000 devices in one bulk registration, tagged across
 * 20 sites (`site:s0`..`site:s19`), every tenth also `canary`, and every device reports once
 * (unmeasured: first-seen work, JIT). Phase A: every device reports diagnostics again (signed, 20
 * connections) with the version it runs, so the fleet is up to date; the views are timed. Then 21 tag layers are set (every site and canary, canary with a priority) and
 * 1,000 devices are retagged (each a membership stamp). Phase B: every device reports the version
 * it now should run (from the lag view), and the same views are timed again. Ratios are B over A.
 * Target: the lag view under 300 ms at p99 with the layers (the fleet pages' target); the ratio to
 * its cost without layers is reported, not judged (a few milliseconds at 10,000 devices, noisy).
 * Runs alone: `npx tsx scripts/bench/config-lag.ts` (BENCH_CONFIG_DEVICES, BENCH_CONFIG_REQUESTS).
 */
import { createHmac } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { startCluster } from '../pg-cluster.mjs';
import { adminFetch, BENCH_ADMIN_TOKEN, load, startGateway, type LoadResult, timedGets, type GetTiming, type PreparedRequest } from './harness.ts';

const DEVICES = Number(process.env.BENCH_CONFIG_DEVICES ?? 10_000);
const REQUESTS = Number(process.env.BENCH_CONFIG_REQUESTS ?? 100);
const RETAGGED = Math.min(1_000, DEVICES - 1);
const TARGET_MS = 300;
const CONNECTIONS = 20;

const idOf = (i: number) => `cfg-${String(i).padStart(5, '0')}`;

async function register(url: string): Promise<Map<string, Buffer>> {
  const devices = Array.from({ length: DEVICES }, (_, i) => ({ device_id: idOf(i), tags: [...(i % 10 === 0 ? ['canary'] : []), `site:s${i % 20}`] }));
  const res = await adminFetch(url, 'POST', '/devices/bulk', { devices });
  if (res.status !== 201) throw new Error(`bulk registration: ${res.status} ${await res.text()}`);
  const out = (await res.json()) as { devices: { device_id: string; hmac_key: string }[] };
  return new Map(out.devices.map((d) => [d.device_id, Buffer.from(d.hmac_key, 'hex')]));
}

/** One signed diagnostics report per device, reporting `versionOf(id)` applied. */
function reports(keys: Map<string, Buffer>, nonce: number, versionOf: (id: string) => number): PreparedRequest[] {
  const nonceBE = Buffer.alloc(4);
  nonceBE.writeUInt32BE(nonce);
  return [...keys].map(([id, key]) => {
    const path = `/diagnostics/${id}`;
    const body = JSON.stringify({ firmware_version: '1.0.0', uptime_seconds: 60 * nonce, boot_id: 'b1', reset_reason: 'poweron', config_version: versionOf(id) });
    const signature = createHmac('sha256', key).update(nonceBE).update(`POST ${path}\n`).update(body).digest('hex');
    return { method: 'POST', path, headers: { 'content-type': 'application/json', 'X-Device-Id': id, 'X-Nonce': String(nonce), 'X-Signature': signature }, body };
  });
}

/** A device in the middle of the fleet, for the admin device view. */
const PROBE = idOf(Math.floor(DEVICES * 0.4242));
const VIEWS = ['/health', '/config/fleet', `/config/${PROBE}`];

async function phase(url: string, diag: LoadResult) {
  const views: Record<string, GetTiming> = {};
  for (const path of VIEWS) views[path] = await timedGets(url + path, { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` }, REQUESTS, 10);
  const fleet = (await (await adminFetch(url, 'GET', '/config/fleet')).json()) as { up_to_date: number; behind: unknown[] };
  return { diagnostics_req_s: Math.round(diag.reqPerSec), diagnostics_p99_ms: diag.p99ms, up_to_date: fleet.up_to_date, behind: fleet.behind.length, views };
}

async function checked(url: string, prepared: PreparedRequest[]): Promise<LoadResult> {
  const r = await load(url, prepared, CONNECTIONS);
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`diagnostics: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
}

async function runOn(env: Record<string, string>) {
  const gateway = await startGateway({ DURABILITY: 'write', ...env });
  try {
    const keys = await register(gateway.url);
    // Unmeasured: each device's first report (its first-seen work) and the JIT's warm-up.
    await checked(gateway.url, reports(keys, 1, () => 1));
    const a = await phase(gateway.url, await checked(gateway.url, reports(keys, 2, () => 1)));

    for (let s = 0; s < 20; s++) await adminFetch(gateway.url, 'PUT', `/config/tags/site:s${s}`, { upload_frequency: 120 + s, registers: ['voltage', `r${s}`] });
    await adminFetch(gateway.url, 'PUT', '/config/tags/canary', { upload_frequency: 90, priority: 10 });
    const t = performance.now();
    for (let i = 1; i <= RETAGGED; i++) {
      // Off canary or onto it: each adds or removes a layer, so each stamps the device.
      const res = await adminFetch(gateway.url, 'PUT', `/devices/${idOf(i)}/tags`, [...(i % 10 === 0 ? [] : ['canary']), `site:s${i % 20}`]);
      if (res.status !== 200) throw new Error(`retag: ${res.status}`);
    }
    const retagMs = (performance.now() - t) / RETAGGED;
    const lag = (await (await adminFetch(gateway.url, 'GET', '/config/fleet')).json()) as { behind: { device_id: string; config_version: number }[] };
    const target = new Map(lag.behind.map((b) => [b.device_id, b.config_version]));
    const b = await phase(gateway.url, await checked(gateway.url, reports(keys, 3, (id) => target.get(id) ?? 1)));
    const ratio = (path: string) => Math.round((b.views[path]!.p50ms / a.views[path]!.p50ms) * 100) / 100;
    return {
      without_layers: a,
      with_layers: { ...b, tag_layers: 21, retagged: RETAGGED, retag_ms_each: Math.round(retagMs * 10) / 10 },
      ratio_fleet_view: ratio('/config/fleet'),
      ratio_device_view: ratio(`/config/${PROBE}`),
      ratio_diagnostics_throughput: Math.round((b.diagnostics_req_s / a.diagnostics_req_s) * 100) / 100,
      meets_target: b.views['/config/fleet']!.p99ms < TARGET_MS && b.behind === 0,
    };
  } finally {
    await gateway.stop();
  }
}

export async function runConfigBench() {
  const embedded = await runOn({});
  console.log(`  embedded: ${JSON.stringify(embedded)}`);
  const cluster = await startCluster({ durable: false });
  const admin = postgres(cluster.url, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe('CREATE DATABASE config_bench');
    const pg = await runOn({ DATABASE_URL: cluster.url.replace(/\/postgres$/, '/config_bench') });
    console.log(`  postgres: ${JSON.stringify(pg)}`);
    return { devices: DEVICES, requests_per_view: REQUESTS, target_ms: TARGET_MS, embedded, postgres: pg };
  } finally {
    await admin.end();
    await cluster.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runConfigBench(), null, 2));
  process.exit(0);
}
