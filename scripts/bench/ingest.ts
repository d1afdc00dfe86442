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

/**
 * Warm-up rounds: every measured device uploads this many times first, then its series is read
 * back once (which writes its day file). That compiles the hot path and, as in steady state, gives
 * each device its day file: a real device uploads ~1,440 times a day into one file, where a
 * 30-upload run would charge each upload 1/30 of creating a directory and a file (about 1.3 ms of
 * CPU each on the benchmark VM's ext4).
 */
const WARM_ROUNDS = 3;

/**
 * `count` signed uploads round-robin over the devices, nonces from `firstNonce`: consecutive
 * requests of one device are `keys.size` requests apart, so their nonces arrive in order even with
 * 50 connections in flight.
 */
function uploads(keys: Map<string, string>, count: number, firstNonce = 1): PreparedRequest[] {
  const ids = [...keys.keys()];
  const keyBytes = ids.map((id) => hexToBytes(keys.get(id)!));
  return Array.from({ length: count }, (_, r) => {
    const d = r % ids.length;
    const nonce = Math.floor(r / ids.length) + firstNonce;
    return {
      method: 'POST',
      path: `/aggregated/${ids[d]}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signEnvelope(keyBytes[d]!, ids[d]!, nonce, { aggregated_data: batch(d, nonce) })),
    };
  });
}

/** Reads every device's series back through the admin API; returns the total sample count. */
async function storedSamples(url: string, ids: string[]): Promise<number> {
  let stored = 0;
  for (let i = 0; i < ids.length; i += 50) {
    const counts = await Promise.all(
      ids.slice(i, i + 50).map(async (id) => ((await (await adminFetch(url, 'GET', `/telemetry/${id}?limit=100000`)).json()) as { count: number }).count),
    );
    stored += counts.reduce((a, b) => a + b, 0);
  }
  return stored;
}

export async function runIngestBench() {
  const gateway = await startGateway({ ...(process.env.BENCH_DURABILITY ? { DURABILITY: process.env.BENCH_DURABILITY } : {}) });
  try {
    const keys = await registerDevices(gateway.url, 'meter-', DEVICES);
    const ids = [...keys.keys()];
    const prepared = uploads(keys, REQUESTS, WARM_ROUNDS + 1);
    // Warm-up, as the bare server gets one: both sides are measured with their code compiled by
    // the JIT, and the gateway in steady state (see WARM_ROUNDS).
    const warm = await load(gateway.url, uploads(keys, WARM_ROUNDS * DEVICES), CONNECTIONS);
    if (warm.errors > 0 || warm.non2xx > 0) throw new Error(`gateway warm-up failed: ${JSON.stringify(warm)}`);
    const warmOk = warm.requests;
    await storedSamples(gateway.url, ids);

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
    const stored = gatewayOnly ? 0 : await storedSamples(gateway.url, ids);
    const result = {
      devices: DEVICES,
      connections: CONNECTIONS,
      batch_samples: 10,
      requests: REQUESTS,
      bare: bareResult,
      gateway: gwResult,
      ratio: gwResult.reqPerSec / bareResult.reqPerSec,
      cpu_us_per_request: { gateway: gwCpuUs, bare: bareCpuUs },
      // Stored samples include the warm-up's (every one of its uploads was a 200, checked above).
      durable: { ok_responses: ok, stored_samples: stored, expected_samples: (warmOk + ok) * 10, all_durable: stored === (warmOk + ok) * 10 },
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
