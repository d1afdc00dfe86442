/**
 * Ingest benchmark: signed uploads of 10-sample batches from 1,000 registered devices over 50
 * concurrent loopback connections, against the gateway (default DURABILITY=fsync) and against a
 * bare node:http server answering the same requests with a fixed 200, in the same run. Then checks
 * that every 200 is durable: the stored sample count equals 10 × the 200s.
 * Runs alone: `npx tsx scripts/bench/ingest.ts`.
 */
import { pathToFileURL } from 'node:url';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { adminFetch, cpuSeconds, load, registerDevices, startBare, startGateway, type PreparedRequest } from './harness.ts';

const DEVICES = 1000;
const CONNECTIONS = 50;
const REQUESTS = Number(process.env.BENCH_INGEST_REQUESTS ?? 30_000);

function batch(device: number, n: number) {
  return Array.from({ length: 10 }, (_, i) => ({
    timestamp: 1_763_000_000 + n * 600 + i * 60,
    voltage: Math.round((230 + Math.sin(n + i) * 2) * 100) / 100,
    current: Math.round((2.5 + (device % 10) / 10) * 1000) / 1000,
    power: 575 + i,
  }));
}

const WARM_DEVICES = 300;

/**
 * `count` signed uploads round-robin over the devices: consecutive requests of one device are
 * `keys.size` requests apart, so their nonces arrive in order even with 50 connections in flight.
 */
function uploads(keys: Map<string, string>, count: number): PreparedRequest[] {
  const ids = [...keys.keys()];
  const keyBytes = ids.map((id) => hexToBytes(keys.get(id)!));
  return Array.from({ length: count }, (_, r) => {
    const d = r % ids.length;
    const nonce = Math.floor(r / ids.length) + 1;
    return {
      method: 'POST',
      path: `/aggregated/${ids[d]}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signEnvelope(keyBytes[d]!, ids[d]!, nonce, { aggregated_data: batch(d, nonce) })),
    };
  });
}

export async function runIngestBench() {
  const gateway = await startGateway({ ...(process.env.BENCH_DURABILITY ? { DURABILITY: process.env.BENCH_DURABILITY } : {}) });
  try {
    const keys = await registerDevices(gateway.url, 'meter-', DEVICES);
    const ids = [...keys.keys()];
    const prepared = uploads(keys, REQUESTS);
    // Warm-up on devices of its own (the measured devices' nonces must start fresh), as the bare
    // server gets one: both sides are measured with their code already compiled by the JIT. (A
    // warm-up upload overtaken on another connection may be refused as a replay; that is harmless.)
    const warm = await load(gateway.url, uploads(await registerDevices(gateway.url, 'warm-', WARM_DEVICES), 3000), CONNECTIONS);
    if (warm.errors > 0) throw new Error(`gateway warm-up failed: ${JSON.stringify(warm)}`);

    // BENCH_GATEWAY_ONLY=1 skips the baseline and the durability check (for profiling the gateway).
    const gatewayOnly = process.env.BENCH_GATEWAY_ONLY === '1';
    let bareResult = { reqPerSec: NaN } as Awaited<ReturnType<typeof load>>;
    let bareCpuUs = NaN;
    if (!gatewayOnly) {
      const bare = await startBare();
      await load(bare.url, prepared.slice(0, 2000), CONNECTIONS); // warm-up
      const cpu0 = cpuSeconds(bare.child.pid);
      bareResult = await load(bare.url, prepared, CONNECTIONS);
      bareCpuUs = ((cpuSeconds(bare.child.pid) - cpu0) / REQUESTS) * 1e6;
      await bare.stop();
    }

    const cpu0 = cpuSeconds(gateway.child.pid);
    const gwResult = await load(gateway.url, prepared, CONNECTIONS);
    const gwCpuUs = ((cpuSeconds(gateway.child.pid) - cpu0) / REQUESTS) * 1e6;
    const ok = gwResult.requests - gwResult.non2xx - gwResult.errors;
    let stored = 0;
    for (let i = 0; i < (gatewayOnly ? 0 : ids.length); i += 50) {
      const counts = await Promise.all(
        ids.slice(i, i + 50).map(async (id) => ((await (await adminFetch(gateway.url, 'GET', `/telemetry/${id}?limit=100000`)).json()) as { count: number }).count),
      );
      stored += counts.reduce((a, b) => a + b, 0);
    }
    const result = {
      devices: DEVICES,
      connections: CONNECTIONS,
      batch_samples: 10,
      requests: REQUESTS,
      bare: bareResult,
      gateway: gwResult,
      ratio: gwResult.reqPerSec / bareResult.reqPerSec,
      cpu_us_per_request: { gateway: gwCpuUs, bare: bareCpuUs },
      durable: { ok_responses: ok, stored_samples: stored, expected_samples: ok * 10, all_durable: stored === ok * 10 },
      targets: { ratio_min: 0.5, p99_max_ms: 20 },
    };
    return result;
  } finally {
    await gateway.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runIngestBench();
  console.log(JSON.stringify(r, null, 2));
}
