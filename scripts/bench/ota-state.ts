/**
 * What an OTA result costs the embedded store at fleet size, `npm run bench -- ota_state` (or
 * `npx tsx scripts/bench/ota-state.ts`). A DATA_DIR is seeded with the OTA state of 10,000 devices
 * as the product keeps it (each device: its version, floors, a full result history of
 * OTA_HISTORY_LIMIT entries, its last session; counters for a dozen versions), opened as the
 * gateway opens it (`openEmbeddedStore`, DURABILITY=fsync), and every device is given a session of
 * a new version, as a rollout does. Then the rollout's results arrive through
 * `otaState.complete`, the call /ota/complete makes:
 *  - steady: one result per device at BENCH_OTA_STATE_RATE per second (200);
 *  - burst: BENCH_OTA_STATE_BURST results (2,000) at once.
 * Measured per phase: CPU of the whole process per result (user + system, thread pool included),
 * bytes handed to write(2) per result (/proc/self/io wchar), and the latency of each result from
 * the moment it was due (so a blocked event loop counts against it) to its durable answer.
 * Baseline in the same run: the same phases against a store holding 100 devices — the same code
 * and the same number of durable writes, on a small state; the ratios say what the fleet's size
 * costs. At the end each store is reopened and every result checked to be there.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OTA_HISTORY_LIMIT, ZERO_COUNTERS, type DeviceOtaResult, type DeviceOtaState, type VersionCounters } from '../../server/ota/state.ts';
import type { OtaSession, SessionImage } from '../../server/ota/sessions.ts';
import { openEmbeddedStore, type EmbeddedStore } from '../../server/store/embedded/index.ts';

const DEVICES = Number(process.env.BENCH_OTA_STATE_DEVICES ?? 10_000);
const BASELINE_DEVICES = 100;
const RATE = Number(process.env.BENCH_OTA_STATE_RATE ?? 200);
const BURST = Math.min(DEVICES, Number(process.env.BENCH_OTA_STATE_BURST ?? 2000));
const T0 = Date.UTC(2026, 11, 1);
const IDLE_MS = 300_000;
const OLD_VERSIONS = Array.from({ length: 12 }, (_, i) => `1.${Math.floor(i / 4)}.${i % 4}`);
export const idOf = (i: number) => `meter-${String(i).padStart(5, '0')}`;
export const image = (version: string): SessionImage => ({ version, chunk_root: `${version}-`.padEnd(64, 'c'), total_chunks: 1400, chunk_size: 1024, encrypted_size: 1_433_600 });

interface StateDoc {
  devices: Record<string, DeviceOtaState>;
  sessions: Record<string, OtaSession>;
  versions: Record<string, VersionCounters>;
}

/** A device's OTA state after a dozen earlier updates, one in five of which failed once first. */
function seedDevice(i: number): { device: DeviceOtaState; session: OtaSession } {
  const history: DeviceOtaResult[] = [];
  let at = T0 - 86_400_000;
  for (let k = 0; history.length < OTA_HISTORY_LIMIT; k++) {
    const version = OLD_VERSIONS[k % OLD_VERSIONS.length]!;
    const fails = (i + k) % 5 === 0;
    if (fails) history.unshift({ version, success: false, error: 'image: signature check failed (rolled back to the running slot)', at: (at += 3_600_000) });
    history.unshift({ version, success: true, error: null, at: (at += 3_600_000) });
  }
  history.length = OTA_HISTORY_LIMIT;
  const last = history[0]!;
  const device: DeviceOtaState = {
    device_id: idOf(i),
    current_version: last.version,
    reported_counter: 12,
    completed_counter: 12,
    last_check_at: T0 - 60_000,
    last_result: last,
    history,
    successes: 14,
    failures: 3,
  };
  const session: OtaSession = {
    session_id: `ota_${i.toString(36).padStart(8, '0')}${'0'.repeat(16)}`,
    device_id: idOf(i),
    ...image(last.version),
    rollout_id: 'ro_previous00000000',
    status: 'completed',
    started_at: last.at - 600_000,
    last_activity_at: last.at,
    finished_at: last.at,
    next_chunk: 1400,
    highest_chunk: 1399,
    chunks_served: 1412,
    refetches: 12,
    bytes_served: 1_445_888,
    error: null,
  };
  return { device, session };
}

/** Writes the OTA state of `devices` devices into `dir` as ota-state.json (a snapshot every version reads). */
export async function writeSeededOtaState(dir: string, devices: number): Promise<void> {
  const doc: StateDoc = { devices: {}, sessions: {}, versions: {} };
  for (let i = 0; i < devices; i++) {
    const { device, session } = seedDevice(i);
    doc.devices[device.device_id] = device;
    doc.sessions[device.device_id] = session;
  }
  for (const v of OLD_VERSIONS) doc.versions[v] = { ...ZERO_COUNTERS, sessions_started: devices, successes: devices, chunks_served: devices * 1412, chunk_bytes: devices * 1_445_888 };
  await writeFile(join(dir, 'ota-state.json'), JSON.stringify(doc));
}

async function seed(devices: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-bench-ota-state-'));
  await writeSeededOtaState(dir, devices);
  return dir;
}

/** Bytes this process has handed to write(2) so far. */
export function bytesWritten(): number {
  const m = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

const cpuMicros = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

interface Phase {
  results: number;
  seconds: number;
  cpu_us_per_result: number;
  /** Share of one core used over the phase. */
  cpu_share: number;
  bytes_per_result: number;
  write_MBps: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Sends `count` results through `send`, `rate` per second (0: all at once), each timed from when it
 * was due: a result the event loop could not start on time waits on the clock.
 */
async function phase(count: number, rate: number, send: (i: number) => Promise<unknown>): Promise<Phase> {
  const latencies: number[] = [];
  const cpu0 = cpuMicros();
  const bytes0 = bytesWritten();
  const start = performance.now();
  const all: Promise<unknown>[] = [];
  const fire = (i: number, due: number) => all.push(send(i).then(() => latencies.push(performance.now() - due)));
  if (rate === 0) for (let i = 0; i < count; i++) fire(i, start);
  else {
    let next = 0;
    while (next < count) {
      const now = performance.now();
      // Every result due by now goes out now (a late tick sends the ones it missed).
      while (next < count && start + (next * 1000) / rate <= now) fire(next, start + (next * 1000) / rate), next++;
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  await Promise.all(all);
  const seconds = (performance.now() - start) / 1000;
  const cpu = cpuMicros() - cpu0;
  const bytes = bytesWritten() - bytes0;
  latencies.sort((a, b) => a - b);
  return {
    results: count,
    seconds,
    cpu_us_per_result: cpu / count,
    cpu_share: cpu / 1e6 / seconds,
    bytes_per_result: bytes / count,
    write_MBps: bytes / 1e6 / seconds,
    p50ms: quantile(latencies, 0.5),
    p99ms: quantile(latencies, 0.99),
    maxMs: latencies.at(-1)!,
  };
}

const open = (dir: string) => openEmbeddedStore(dir, { fsync: true });
let ids = 0;
const newId = () => `ota_bench${String(++ids).padStart(15, '0')}`;

/** Gives each of the first `count` devices an active session for `version` (not measured). */
async function openSessions(store: EmbeddedStore, count: number, version: string, now: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => store.otaState.openSession(idOf(i), image(version), 'ro_bench', now, IDLE_MS, newId)));
}

interface StoreRun {
  devices: number;
  seed_MB: number;
  steady: Phase;
  burst: Phase;
  /** Size of the files the OTA state occupies after the run (before close). */
  on_disk_MB: number;
}

async function otaFilesMB(dir: string): Promise<number> {
  const { readdir, stat } = await import('node:fs/promises');
  let total = 0;
  for (const name of await readdir(dir)) if (name.startsWith('ota-state')) total += (await stat(join(dir, name))).size;
  return total / 1e6;
}

/**
 * The phases against a store of `devices` devices. With fewer devices than results (the
 * baseline), device i % devices reports a new version each time round, without a session: each
 * result is still counted and written.
 */
async function runStore(devices: number, results: number): Promise<StoreRun> {
  const dir = await seed(devices);
  try {
    const seedMB = await otaFilesMB(dir);
    let store = await open(dir);
    const withSessions = devices >= results;
    const now = T0 + 3_600_000;
    if (withSessions) await openSessions(store, results, '1.5.0', now);
    const report = (version: string) => ({ version, success: true, error: null, counter: 13 });
    const steady = await phase(results, RATE, (i) =>
      withSessions ? store.otaState.complete(idOf(i), report('1.5.0'), now + i) : store.otaState.complete(idOf(i % devices), report(`2.0.${Math.floor(i / devices)}`), now + i),
    );
    const burstCount = Math.min(BURST, results);
    if (withSessions) await openSessions(store, burstCount, '1.5.1', now + 600_000);
    const burst = await phase(burstCount, 0, (i) =>
      withSessions
        ? store.otaState.complete(idOf(i), report('1.5.1'), now + 600_001 + i)
        : store.otaState.complete(idOf(i % devices), report(`3.0.${Math.floor(i / devices)}`), now + 600_001 + i),
    );
    const onDisk = await otaFilesMB(dir);
    await store.close();
    // Every result is there after a reopen.
    store = await open(dir);
    const states = await store.otaState.devices();
    const successes = states.reduce((n, d) => n + d.successes, 0) - devices * 14;
    await store.close();
    if (successes !== results + burstCount) throw new Error(`after reopening: ${successes} results, expected ${results + burstCount}`);
    return { devices, seed_MB: seedMB, steady, burst, on_disk_MB: onDisk };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runOtaStateBench(): Promise<Record<string, unknown>> {
  const results = DEVICES;
  const baseline = await runStore(BASELINE_DEVICES, results);
  const fleet = await runStore(DEVICES, results);
  const ratio = (k: keyof Phase, p: 'steady' | 'burst') => fleet[p][k] / baseline[p][k];
  const out = {
    devices: DEVICES,
    rate_per_s: RATE,
    burst: Math.min(BURST, results),
    fleet,
    baseline,
    ratios: {
      steady_cpu_per_result: ratio('cpu_us_per_result', 'steady'),
      steady_bytes_per_result: ratio('bytes_per_result', 'steady'),
      steady_p99: ratio('p99ms', 'steady'),
      burst_cpu_per_result: ratio('cpu_us_per_result', 'burst'),
      burst_bytes_per_result: ratio('bytes_per_result', 'burst'),
      burst_p99: ratio('p99ms', 'burst'),
    },
  };
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  console.log(JSON.stringify(await runOtaStateBench(), null, 2));
}
