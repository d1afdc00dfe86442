/**
 * What a device-record change costs the embedded store at fleet size, `npm run bench --
 * registrations` (or `npx tsx scripts/bench/registrations.ts`). A store opened as the gateway opens
 * it (`openEmbeddedStore`, DURABILITY=fsync) is given BENCH_REG_DEVICES devices (10,000) in one
 * bulk registration, then, one after the other as an admin's script sends them: 1,000 single
 * registrations, 300 key rotations and 300 revocations (the calls `POST /devices`, `POST
 * /devices/:id/rotate` and `DELETE /devices/:id` make). Measured per change: CPU of the whole
 * process (user + system) and bytes handed to write(2) (/proc/self/io wchar). Baseline in the same
 * run: the same changes against a store of 100 devices. The ratios say what the fleet's size
 * costs. Before the device journal each change rewrote devices.json whole: at 10,000 devices
 * 10.7 ms of CPU and 1.6 MB written per registration, 8.7× and 18× the baseline (2026-12-07).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openEmbeddedStore, type EmbeddedStore } from '../../server/store/embedded/index.ts';
import type { DeviceRecord } from '../../server/store/types.ts';
import { bytesWritten } from './ota-state.ts';

const DEVICES = Number(process.env.BENCH_REG_DEVICES ?? 10_000);
const BASELINE_DEVICES = 100;
const REGISTRATIONS = 1000;
const ROTATIONS = 300;
const REVOCATIONS = 300;
const T0 = Date.UTC(2026, 11, 1);
const idOf = (i: number) => `meter-${String(i).padStart(5, '0')}`;
const record = (id: string): DeviceRecord => ({ device_id: id, created_at: new Date(T0).toISOString(), key_mode: 'derived', key_version: 1, tags: ['site:north', 'model:em-3'] });

interface Phase {
  changes: number;
  cpu_us_per_change: number;
  bytes_per_change: number;
  ms_per_change: number;
}

const cpuMicros = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** Runs `change(i)` for i < count, one after the other. */
async function phase(count: number, change: (i: number) => Promise<unknown>): Promise<Phase> {
  const cpu0 = cpuMicros();
  const bytes0 = bytesWritten();
  const start = performance.now();
  for (let i = 0; i < count; i++) await change(i);
  return {
    changes: count,
    cpu_us_per_change: (cpuMicros() - cpu0) / count,
    bytes_per_change: (bytesWritten() - bytes0) / count,
    ms_per_change: (performance.now() - start) / count,
  };
}

interface StoreRun {
  devices: number;
  register: Phase;
  rotate: Phase;
  revoke: Phase;
}

async function runStore(devices: number): Promise<StoreRun> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-bench-reg-'));
  let store: EmbeddedStore | undefined;
  try {
    store = await openEmbeddedStore(dir, { fsync: true });
    const s = store;
    await s.devices.createMany(Array.from({ length: devices }, (_, i) => record(idOf(i))));
    const register = await phase(REGISTRATIONS, (i) => s.devices.create(record(`new-${i}`)));
    const rotate = await phase(ROTATIONS, (i) => s.devices.rotateKey(`new-${i}`, T0 + i, 3_600_000));
    const revoke = await phase(REVOCATIONS, (i) => s.devices.revoke(`new-${ROTATIONS + i}`, T0 + i));
    await s.close();
    store = undefined;
    // Every change is there after a reopen.
    const again = await openEmbeddedStore(dir, { fsync: true });
    const all = await again.devices.list();
    await again.close();
    const revoked = all.filter((d) => d.revoked_at).length;
    if (all.length !== devices + REGISTRATIONS || revoked !== REVOCATIONS) throw new Error(`after reopening: ${all.length} devices, ${revoked} revoked`);
    return { devices, register, rotate, revoke };
  } finally {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runRegistrationsBench() {
  const baseline = await runStore(BASELINE_DEVICES);
  const fleet = await runStore(DEVICES);
  const ratio = (k: 'register' | 'rotate' | 'revoke') => ({
    cpu: fleet[k].cpu_us_per_change / baseline[k].cpu_us_per_change,
    bytes: fleet[k].bytes_per_change / baseline[k].bytes_per_change,
  });
  return { devices: DEVICES, baseline, fleet, ratios: { register: ratio('register'), rotate: ratio('rotate'), revoke: ratio('revoke') } };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runRegistrationsBench(), null, 2));
}
