/**
 * `fleetgate db import` at installation size: an embedded DATA_DIR holding 1,000 devices × one day
 * of one-minute telemetry (1,440,000 samples in 144,000 ten-sample uploads, with their nonce
 * floors), imported by the real CLI into a fresh database on a throwaway cluster with durability
 * as shipped (fsync and synchronous_commit on). Reported: wall time, samples/s, the import
 * process's peak RSS (sampled from /proc: it must not grow with the installation), and as the
 * baseline in the same run PostgreSQL's own bulk path for the same rows — pg_restore of a pg_dump
 * of the imported database into another fresh one — with the ratio import / restore.
 * Runs alone: `npx tsx scripts/bench/import.ts`; in `npm run bench -- import`.
 * BENCH_IMPORT_DEVICES scales the installation (default 1000).
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { openEmbeddedStore } from '../../server/store/embedded/index.ts';
import { startCluster } from '../pg-cluster.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEVICES = Number(process.env.BENCH_IMPORT_DEVICES ?? 1000);
const SAMPLES_PER_UPLOAD = 10;
const UPLOADS_PER_DEVICE = 144; // one day of one-minute samples, sent every ten minutes
const DAY = Date.UTC(2026, 10, 2);

/** The embedded installation, written through the store as a gateway writes it (WAL, day files, nonce journal). */
async function buildDataDir(dataDir: string): Promise<{ samples: number; seconds: number }> {
  const t = performance.now();
  const store = await openEmbeddedStore(dataDir, { fsync: false, now: DAY });
  const ids = Array.from({ length: DEVICES }, (_, i) => `meter-${String(i).padStart(5, '0')}`);
  await store.devices.createMany(ids.map((device_id) => ({ device_id, created_at: new Date(DAY).toISOString(), key_mode: 'derived', key_version: 1 })));
  let samples = 0;
  for (let u = 0; u < UPLOADS_PER_DEVICE; u++) {
    const receivedAt = DAY + (u + 1) * 600_000;
    await Promise.all(
      ids.map((id, d) => {
        const rows = Array.from({ length: SAMPLES_PER_UPLOAD }, (_, k) => {
          const minute = u * SAMPLES_PER_UPLOAD + k;
          return { timestamp: DAY / 1000 + minute * 60, voltage: 230 + ((d + minute) % 17) / 10, current: 2 + ((d * 7 + minute) % 13) / 10, power: 400 + ((d * 31 + minute) % 500) };
        });
        samples += rows.length;
        return store.nonces.acceptUpload(id, u + 1, `mac-${d}-${u}`, receivedAt, { received_at: receivedAt, nonce: u + 1, method: 'plain', samples: rows });
      }),
    );
  }
  await store.close();
  return { samples, seconds: (performance.now() - t) / 1000 };
}

/** Runs a command, sampling its resident set every 50 ms; resolves with wall time and peak RSS. */
function measured(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ seconds: number; peakRssMiB: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let peak = 0;
    child.stdout.on('data', (d) => (stdout += d));
    const timer = setInterval(() => {
      try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
        peak = Math.max(peak, kb);
      } catch {
        // exited meanwhile
      }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`));
      resolve({ seconds: (performance.now() - t) / 1000, peakRssMiB: peak / 1024, stdout });
    });
  });
}

export async function runImportBench() {
  const cluster = await startCluster({ durable: true });
  const work = await mkdtemp(join(tmpdir(), 'fleetgate-bench-import-'));
  try {
    const admin = postgres(cluster.url, { max: 1, onnotice: () => undefined });
    await admin.unsafe('CREATE DATABASE imported');
    await admin.unsafe('CREATE DATABASE restored');
    await admin.end();
    const url = (db: string) => cluster.url.replace(/\/postgres$/, `/${db}`);
    const dataDir = join(work, 'data');
    const built = await buildDataDir(dataDir);
    console.log(`  DATA_DIR: ${DEVICES} devices, ${built.samples} samples written in ${built.seconds.toFixed(1)} s`);

    const imp = await measured(process.execPath, ['cli/bin.js', 'db', 'import', '--data-dir', dataDir, '--database-url', url('imported'), '--firmware-dir', join(work, 'firmware'), '--json']);
    const report = JSON.parse(imp.stdout) as { kinds: { repository: string; counts: Record<string, number>; ms: number }[] };
    const telemetry = report.kinds.find((k) => k.repository === 'telemetry')!;
    if (telemetry.counts.samples !== built.samples) throw new Error(`imported ${telemetry.counts.samples} samples of ${built.samples}`);
    console.log(`  import: ${imp.seconds.toFixed(1)} s (telemetry ${(telemetry.ms / 1000).toFixed(1)} s), peak RSS ${imp.peakRssMiB.toFixed(0)} MiB`);

    const dump = join(work, 'imported.dump');
    execFileSync(join(cluster.bin, 'pg_dump'), ['-Fc', '-Z', '0', '-f', dump, '-d', url('imported')]);
    const restore = await measured(join(cluster.bin, 'pg_restore'), ['--no-owner', '-d', url('restored'), dump]);
    console.log(`  baseline pg_restore of the same rows: ${restore.seconds.toFixed(1)} s`);
    const db = postgres(url('imported'), { max: 1, onnotice: () => undefined });
    const [size] = await db<{ mib: number }[]>`SELECT (pg_database_size(current_database()) / 1048576.0)::float8 AS mib`;
    await db.end();
    return {
      devices: DEVICES,
      samples: built.samples,
      batches: telemetry.counts.batches,
      durable: true,
      import_seconds: imp.seconds,
      telemetry_seconds: telemetry.ms / 1000,
      samples_per_second: built.samples / (telemetry.ms / 1000),
      import_peak_rss_mib: imp.peakRssMiB,
      restore_seconds: restore.seconds,
      ratio_import_vs_restore: imp.seconds / restore.seconds,
      database_mib: size!.mib,
      kinds_ms: Object.fromEntries(report.kinds.map((k) => [k.repository, k.ms])),
    };
  } finally {
    cluster.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runImportBench(), null, 2));
  process.exit(0);
}
