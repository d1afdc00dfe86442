/**
 * Command-poll benchmark: 10,000 registered devices polling `GET /commands/:id/poll` (signed
 * requests, empty queues) over 50 concurrent loopback connections, against the gateway (default
 * DURABILITY=fsync: every accepted nonce is fsync'ed, group-committed, before the answer) and
 * against the bare node:http baseline answering the same requests with a fixed `{"command":null}`,
 * in the same run. Each request carries its own signature; requests go round-robin over the
 * devices, so one device's nonces are 10,000 requests apart and arrive in order.
 *
 * Devices are registered before the gateway starts, in one bulk call on the embedded store (one
 * journal line) with keys from the registry's own derivation: the gateway does not need to be up,
 * and no key has to come back over HTTP.
 * Warm-up, on both sides: every device once (the gateway's one-time cost for a device it has never
 * seen), then a few thousand requests for the JIT; measured: the next BENCH_POLL_REQUESTS.
 * Afterwards, checks that the gateway verified signatures and still delivers commands.
 * Runs alone: `npx tsx scripts/bench/poll.ts` (BENCH_DURABILITY=write to compare).
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deriveDeviceKey, loadOrCreateMasterSecret } from '../../server/devices/keys.ts';
import type { DeviceRecord } from '../../server/store/index.ts';
import { openEmbeddedStore } from '../../server/store/embedded/index.ts';
import { adminFetch, cpuSeconds, load, startBare, startGateway, type PreparedRequest } from './harness.ts';

const DEVICES = 10_000;
const CONNECTIONS = 50;
const WARM_EXTRA = 5_000;
const REQUESTS = Number(process.env.BENCH_POLL_REQUESTS ?? 60_000);

interface Device {
  id: string;
  key: Uint8Array;
}

async function registerDirect(dataDir: string, keysDir: string): Promise<Device[]> {
  const { secret } = await loadOrCreateMasterSecret(keysDir);
  const createdAt = new Date().toISOString();
  const devices = Array.from({ length: DEVICES }, (_, i) => {
    const id = `poll-${String(i).padStart(5, '0')}`;
    return { id, key: deriveDeviceKey(secret, id, 1) };
  });
  const store = await openEmbeddedStore(dataDir, { fsync: true });
  try {
    const records: DeviceRecord[] = devices.map(({ id }) => ({ device_id: id, created_at: createdAt, key_mode: 'derived', key_version: 1 }));
    const existing = await store.devices.createMany(records);
    if (existing.length > 0) throw new Error(`${existing.length} poll devices were registered already`);
  } finally {
    await store.close();
  }
  return devices;
}

function signedPoll(device: Device, nonce: number): PreparedRequest {
  const path = `/commands/${device.id}/poll`;
  const nonceBE = Buffer.alloc(4);
  nonceBE.writeUInt32BE(nonce);
  const signature = createHmac('sha256', device.key).update(nonceBE).update(`GET ${path}\n`).digest('hex');
  return { method: 'GET', path, headers: { 'X-Device-Id': device.id, 'X-Nonce': String(nonce), 'X-Signature': signature } };
}

export async function runPollBench() {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-poll-'));
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys') };
  const t0 = performance.now();
  const devices = await registerDirect(env.DATA_DIR, env.KEYS_DIR);
  const registerMs = performance.now() - t0;
  const gateway = await startGateway({ ...env, ...(process.env.BENCH_DURABILITY ? { DURABILITY: process.env.BENCH_DURABILITY } : {}) });
  try {
    const total = DEVICES + WARM_EXTRA + REQUESTS;
    const prepared = Array.from({ length: total }, (_, r) => signedPoll(devices[r % DEVICES]!, Math.floor(r / DEVICES) + 1));
    const warm = prepared.slice(0, DEVICES + WARM_EXTRA);
    const measured = prepared.slice(DEVICES + WARM_EXTRA);

    const gatewayOnly = process.env.BENCH_GATEWAY_ONLY === '1';
    let bareResult = { reqPerSec: NaN } as Awaited<ReturnType<typeof load>>;
    let bareCpuUs = NaN;
    if (!gatewayOnly) {
      const bare = await startBare({ BARE_BODY: '{"command":null}' });
      await load(bare.url, warm, CONNECTIONS);
      const cpu0 = cpuSeconds(bare.child.pid);
      bareResult = await load(bare.url, measured, CONNECTIONS);
      bareCpuUs = ((cpuSeconds(bare.child.pid) - cpu0) / measured.length) * 1e6;
      await bare.stop();
    }

    await load(gateway.url, warm, CONNECTIONS);
    const cpu0 = cpuSeconds(gateway.child.pid);
    const gwResult = await load(gateway.url, measured, CONNECTIONS);
    const gwCpuUs = ((cpuSeconds(gateway.child.pid) - cpu0) / measured.length) * 1e6;

    // The gateway really checked signatures, and the queue still works after the load.
    const forged = signedPoll({ id: devices[0]!.id, key: new Uint8Array(32) }, 1_000_000);
    const forgedStatus = (await fetch(gateway.url + forged.path, { headers: forged.headers })).status;
    const queued = (await (await adminFetch(gateway.url, 'POST', `/commands/${devices[0]!.id}`, { command_type: 'reboot' })).json()) as { command_id: string };
    const poll = signedPoll(devices[0]!, 1_000_001);
    const delivered = (await (await fetch(gateway.url + poll.path, { headers: poll.headers })).json()) as { command: { command_id: string } | null };

    return {
      devices: DEVICES,
      connections: CONNECTIONS,
      requests: measured.length,
      durability: process.env.BENCH_DURABILITY ?? 'fsync',
      register_ms: Math.round(registerMs),
      bare: bareResult,
      gateway: gwResult,
      ratio: gwResult.reqPerSec / bareResult.reqPerSec,
      cpu_us_per_request: { gateway: gwCpuUs, bare: bareCpuUs },
      checks: { forged_request_status: forgedStatus, command_delivered_after_load: delivered.command?.command_id === queued.command_id },
      targets: { ratio_min: 0.5 },
    };
  } finally {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runPollBench();
  console.log(JSON.stringify(r, null, 2));
}
