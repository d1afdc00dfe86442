/**
 * What a device-record change costs the embedded store at fleet size, `npm run bench --
 * registrations` (or `npx tsx scripts/bench/registrations.ts`). A store opened as the gateway opens
 * it (`openEmbeddedStore`, DURABILITY=fsync) is given BENCH_REG_DEVICES devices (10,000) in one
 * bulk registration, then, one after the other as an admin's script sends them: 1,000 single
 * registrations, 300 key rotations and 300 revocations (the calls `POST /devices`, `POST
 * /devices/:id/rotate` and `DELETE /devices/:id` make); the seed is folded into devices.json
 * first (closed and reopened), so these phases write journal lines only. At fleet size a last
 * phase of 40,000 registrations runs long enough for the snapshot to be rewritten (twice: the
 * compactions are counted), and its bytes per registration are compared with the journal line's
 * (a registry that only grows: each rewrite is larger than the last). Measured per change: CPU of the whole
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
/** Registrations of the sustained phase (~6.8 MB of journal, past a 10,000-device snapshot's size twice over as it grows). */
const SUSTAINED = 40_000;
const SUSTAINED_AT = 1000;
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
  /** At fleet size only: SUSTAINED registrations, the snapshot's rewrites (how many) included. */
  sustained?: Phase & { compactions: number };
}

async function runStore(devices: number): Promise<StoreRun> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-bench-reg-'));
  let store: EmbeddedStore | undefined;
  try {
    const seeded = await openEmbeddedStore(dir, { fsync: true });
    await seeded.devices.createMany(Array.from({ length: devices }, (_, i) => record(idOf(i))));
    await seeded.close(); // folds the seed into devices.json: its compaction is not measured
    let compactions = 0;
    const countCompactions = { compactionStep: async (step: string) => void (step === 'renamed' && compactions++) };
    store = await openEmbeddedStore(dir, { fsync: true, devicesJournal: countCompactions });
    const s = store;
    const register = await phase(REGISTRATIONS, (i) => s.devices.create(record(`new-${i}`)));
    const rotate = await phase(ROTATIONS, (i) => s.devices.rotateKey(`new-${i}`, T0 + i, 3_600_000));
    const revoke = await phase(REVOCATIONS, (i) => s.devices.revoke(`new-${ROTATIONS + i}`, T0 + i));
    // Long enough for the journal to pass the snapshot's size twice: the compactions are in it.
    const before = compactions;
    const sustained = devices >= SUSTAINED_AT ? { ...(await phase(SUSTAINED, (i) => s.devices.create(record(`more-${i}`)))), compactions: compactions - before } : undefined;
    await s.close();
    store = undefined;
    // Every change is there after a reopen.
    const again = await openEmbeddedStore(dir, { fsync: true });
    const all = await again.devices.list();
    await again.close();
    const revoked = all.filter((d) => d.revoked_at).length;
    if (all.length !== devices + REGISTRATIONS + (sustained?.changes ?? 0) || revoked !== REVOCATIONS) throw new Error(`after reopening: ${all.length} devices, ${revoked} revoked`);
    return { devices, register, rotate, revoke, ...(sustained && { sustained }) };
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
  return {
    devices: DEVICES,
    baseline,
    fleet,
    ratios: { register: ratio('register'), rotate: ratio('rotate'), revoke: ratio('revoke') },
    // Bytes written per registration with the snapshot's rewrites, against its journal line alone (about 2 for changes to existing records, up to about 3 while the table only grows).
    sustained_bytes_ratio: fleet.sustained ? fleet.sustained.bytes_per_change / fleet.register.bytes_per_change : null,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runRegistrationsBench(), null, 2));
}
