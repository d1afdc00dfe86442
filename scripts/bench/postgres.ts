/**
 * PostgreSQL benchmarks (issue 14), on a throwaway cluster with durability as shipped (fsync and
 * synchronous_commit on, printed with the results), PostgreSQL on the same 2-core machine as the
 * gateway and the load generator:
 *   - ingest, one replica: the ingest benchmark's load (signed 10-sample uploads from 1,000
 *     devices over 50 connections) against the gateway on DATABASE_URL and against the bare
 *     node:http server in the same rounds; req/s ratio, p99, database commits and WAL syncs per
 *     1,000 uploads and how long a WAL sync takes under that load, CPU per upload of the gateway and of PostgreSQL (all its processes);
 *   - ingest, two replicas behind a round-robin client (no target: four processes on two cores);
 *   - a month of one-minute data for one device (43,200 samples) read back through
 *     GET /telemetry/:id, PostgreSQL and the embedded store in the same run;
 *   - how long a revocation on one replica takes to reach another (LISTEN/NOTIFY).
 * Runs alone: `npx tsx scripts/bench/postgres.ts` (BENCH_PG_ONE_REPLICA_ONLY=1: the first part
 * only, BENCH_PG_ROUNDS and BENCH_PG_REQUESTS: its rounds); in `npm run bench -- postgres`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signEnvelope } from '../../server/protocol/envelope.ts';
import { startCluster } from '../pg-cluster.mjs';
import { adminFetch, clusterCpu, cpuSeconds, load, registerDevices, startBare, startGateway, type Child, type LoadResult } from './harness.ts';
import { uploads } from './ingest.ts';

const DEVICES = 1000;
const CONNECTIONS = 50;
const REQUESTS = Number(process.env.BENCH_PG_REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_PG_ROUNDS ?? 3);
const WARM_ROUNDS = 3;

interface DbCounters {
  walSyncs: number;
  /** Milliseconds spent in WAL flushes (track_wal_io_timing is on in the bench cluster). */
  walSyncMs: number;
}

/**
 * PostgreSQL's cumulative statistics (pg_stat_database, pg_stat_wal) reach the views when a
 * backend publishes its pending counts: when it goes idle at least a second after it last did, or
 * else up to 10 s later. Read right after a round they lack part of it and hold parts of earlier
 * phases (three runs read 110-128 commits per 1,000 uploads where the statement log of the same
 * load showed 60). So commits are counted from transaction ids, which are assigned at once (every
 * upload group writes; so does a heartbeat's NOTIFY), and WAL flushes are read once every backend
 * has had 11 s to publish.
 */
const STATS_FLUSH_MS = 11_000;

/** The counters once the gateway's backends have published theirs (see STATS_FLUSH_MS). */
async function flushedCounters(sql: postgres.Sql): Promise<DbCounters> {
  await new Promise((r) => setTimeout(r, STATS_FLUSH_MS));
  return dbCounters(sql);
}

/** The next transaction id to be assigned (reading it assigns none). */
async function nextXid(sql: postgres.Sql): Promise<number> {
  const [r] = await sql<{ x: string }[]>`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x`;
  return Number(r!.x);
}

async function dbCounters(sql: postgres.Sql): Promise<DbCounters> {
  const [w] = await sql<{ syncs: string; ms: number }[]>`SELECT wal_sync::text AS syncs, wal_sync_time AS ms FROM pg_stat_wal`;
  return { walSyncs: Number(w!.syncs), walSyncMs: Number(w!.ms) };
}

const median = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

async function monthQuery(url: string): Promise<{ samples: number; median_ms: number; runs_ms: number[] }> {
  const reg = await adminFetch(url, 'POST', '/devices', { device_id: 'month-1' });
  const key = hexToBytes(((await reg.json()) as { hmac_key: string }).hmac_key);
  // Sequential nonces: send hour by hour so none is refused as a replay.
  const start = Date.UTC(2026, 10, 1) / 1000;
  for (let hour = 0; hour < 720; hour++) {
    const samples = Array.from({ length: 60 }, (_, m) => ({ timestamp: start + (hour * 60 + m) * 60, voltage: 230 + ((hour + m) % 7) / 10, current: 2.5, power: 500 + m }));
    const res = await fetch(`${url}/aggregated/month-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signEnvelope(key, 'month-1', hour + 1, { aggregated_data: samples })),
    });
    if (res.status !== 200) throw new Error(`month upload ${hour}: ${res.status}`);
  }
  const runs: number[] = [];
  let count = 0;
  for (let i = 0; i < 7; i++) {
    const [body, ms] = await timed(async () => (await (await adminFetch(url, 'GET', '/telemetry/month-1?limit=100000')).json()) as { count: number });
    count = body.count;
    runs.push(Math.round(ms));
  }
  return { samples: count, median_ms: median(runs, (x) => x), runs_ms: runs };
}

async function revocationDelay(a: Child, b: Child): Promise<{ median_ms: number; runs_ms: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < 9; i++) {
    const id = `revoke-${i}`;
    const reg = await adminFetch(a.url, 'POST', '/devices', { device_id: id });
    const key = hexToBytes(((await reg.json()) as { hmac_key: string }).hmac_key);
    let nonce = 0;
    const send = () =>
      fetch(`${b.url}/aggregated/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signEnvelope(key, id, ++nonce, { aggregated_data: [{ timestamp: 1, power: 1 }] })),
      });
    if ((await send()).status !== 200) throw new Error('revocation bench: first upload refused');
    const t = performance.now();
    await adminFetch(a.url, 'DELETE', `/devices/${id}`);
    while ((await send()).status === 200) {
      if (performance.now() - t > 5000) throw new Error('revocation did not reach the other replica within 5 s');
    }
    runs.push(Math.round((performance.now() - t) * 10) / 10);
  }
  return { median_ms: median(runs, (x) => x), runs_ms: runs };
}

export async function runPostgresBench() {
  const cluster = await startCluster({ durable: true });
  const admin = postgres(cluster.url, { max: 1, onnotice: () => undefined });
  try {
    const settings = Object.fromEntries(
      (await admin<{ name: string; setting: string }[]>`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'server_version')`).map((r) => [r.name, r.setting]),
    );
    await admin.unsafe('CREATE DATABASE fleet');
    const url = cluster.url.replace(/\/postgres$/, '/fleet');
    const db = postgres(url, { max: 1, onnotice: () => undefined });
    const dataDir = join(cluster.dir, 'data');

    // --- one replica against the bare server, interleaved rounds
    const gateway = await startGateway({ DATABASE_URL: url });
    const bare = await startBare();
    const keysDir = join(gateway.dir, 'keys');
    let one;
    try {
      const keys = await registerDevices(gateway.url, 'meter-', DEVICES);
      const warm = await load(gateway.url, uploads(keys, WARM_ROUNDS * DEVICES), CONNECTIONS);
      if (warm.errors > 0 || warm.non2xx > 0) throw new Error(`warm-up failed: ${JSON.stringify(warm)}`);
      await load(bare.url, uploads(keys, 2000), CONNECTIONS);
      let before = await flushedCounters(db);
      const rounds = [];
      for (let r = 0; r < ROUNDS; r++) {
        const prepared = uploads(keys, REQUESTS, WARM_ROUNDS + 1 + r * Math.ceil(REQUESTS / DEVICES));
        const b = await load(bare.url, prepared, CONNECTIONS);
        const xid = await nextXid(db);
        const cpuG = cpuSeconds(gateway.child.pid);
        const cpuP = clusterCpu(dataDir);
        const g = await load(gateway.url, prepared, CONNECTIONS);
        const cpu = { gateway: cpuSeconds(gateway.child.pid) - cpuG, postgres: clusterCpu(dataDir) - cpuP };
        const commits = (await nextXid(db)) - xid;
        // WAL flushes since the last read: the idle time's heartbeats are in (~2-3 per 1,000 uploads).
        const after = await flushedCounters(db);
        const ok = g.requests - g.non2xx - g.errors;
        rounds.push({
          ratio: g.reqPerSec / b.reqPerSec,
          gateway: g,
          bare: b,
          ok,
          commits_per_1000_uploads: (commits / ok) * 1000,
          wal_syncs_per_1000_uploads: ((after.walSyncs - before.walSyncs) / ok) * 1000,
          wal_sync_ms_each: (after.walSyncMs - before.walSyncMs) / Math.max(1, after.walSyncs - before.walSyncs),
          cpu_us_per_upload: { gateway: (cpu.gateway / ok) * 1e6, postgres: (cpu.postgres / ok) * 1e6 },
        });
        before = after;
      }
      const m = median(rounds, (x) => x.ratio);
      const targets = { ratio_min: 0.35, p99_max_ms: 50 };
      one = {
        ...m,
        rounds: rounds.map((x) => ({ ratio: x.ratio, gateway_req_s: x.gateway.reqPerSec, bare_req_s: x.bare.reqPerSec, p99_ms: x.gateway.p99ms, cpu: x.cpu_us_per_upload })),
        targets,
        meets_targets: m.ratio >= targets.ratio_min && m.gateway.p99ms < targets.p99_max_ms,
      };
    } finally {
      await bare.stop();
    }
    if (process.env.BENCH_PG_ONE_REPLICA_ONLY === '1') {
      await gateway.stop();
      await db.end();
      return { settings, one_replica: one };
    }

    // --- a second replica on the same database and keys: round-robin load, revocation delay
    const second = await startGateway({ DATABASE_URL: url, KEYS_DIR: keysDir });
    let two;
    let revocation;
    try {
      const keys = await registerDevices(gateway.url, 'pair-', DEVICES);
      const prepared = uploads(keys, REQUESTS);
      const halves = [prepared.filter((_, i) => i % 2 === 0), prepared.filter((_, i) => i % 2 === 1)];
      const before = await flushedCounters(db);
      const xid = await nextXid(db);
      const results: LoadResult[] = await Promise.all([load(gateway.url, halves[0]!, CONNECTIONS / 2), load(second.url, halves[1]!, CONNECTIONS / 2)]);
      // Both start together; each load's seconds run to its last response (the wall time around
      // them would include autocannon's one-second tick: 20,000 uploads read as 2.0 or 3.0 s).
      const seconds = Math.max(...results.map((r) => r.seconds));
      const commits = (await nextXid(db)) - xid;
      const after = await flushedCounters(db);
      const ok = results.reduce((n, r) => n + r.requests - r.non2xx - r.errors, 0);
      two = {
        req_s: ok / seconds,
        p99_ms: Math.max(...results.map((r) => r.p99ms)),
        ok,
        refused: results.reduce((n, r) => n + r.non2xx + r.errors, 0),
        commits_per_1000_uploads: (commits / ok) * 1000,
        wal_syncs_per_1000_uploads: ((after.walSyncs - before.walSyncs) / ok) * 1000,
      };
      revocation = await revocationDelay(gateway, second);
    } finally {
      await second.stop();
    }

    const month = { postgres: await monthQuery(gateway.url) };
    await gateway.stop();
    const embedded = await startGateway();
    try {
      Object.assign(month, { embedded: await monthQuery(embedded.url) });
    } finally {
      await embedded.stop();
    }
    await db.end();
    return { settings, one_replica: one, two_replicas: two, revocation_ms: revocation, month_query: month };
  } finally {
    await admin.end();
    cluster.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runPostgresBench(), null, 2));
  process.exit(0);
}

