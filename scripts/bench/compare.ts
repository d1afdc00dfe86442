/**
 * Paired comparison of gateway builds or node flags under the ingest load: every variant runs as
 * its own gateway at the same time, and 15,000-upload segments alternate between them, so the
 * machine's drift (tens of percent within a minute on the benchmark VM) hits all of them alike.
 * Prints each variant's CPU per upload per segment and the medians. Not part of `npm run bench`.
 *
 *   npx tsx scripts/bench/compare.ts "" "--max-semi-space-size=8"        # node flags
 *   npx tsx scripts/bench/compare.ts "bundle=/other/checkout/.build/gateway.mjs" ""   # another build
 *
 *   npx tsx scripts/bench/compare.ts "pg" "pg env:SOME_SETTING=1"           # PostgreSQL store
 *
 * A variant is extra node flags, optionally preceded by `bundle=<path>` (a bundle built elsewhere,
 * e.g. by another checkout's `npm run build`), `pg` (the gateway on PostgreSQL: one durable
 * throwaway cluster for the run, a database per variant), `env:NAME=value` (environment) and
 * `dbset:name=value` (a setting of the variant's database, ALTER DATABASE … SET: a per-database
 * server setting such as commit_delay, compared on the same cluster).
 * BENCH_COMPARE_ROUNDS sets the rounds (9).
 */
import postgres from 'postgres';
import { startCluster } from '../pg-cluster.mjs';
import { join } from 'node:path';
import { clusterCpu, cpuSeconds, load, registerDevices, startGateway } from './harness.ts';
import { uploads } from './ingest.ts';

const SEGMENT = 15_000;
const DEVICES = 1000;
const variants = process.argv.slice(2);
if (variants.length < 2) {
  console.error('usage: compare.ts <variant> <variant> [...]   (a variant: node flags, optionally "bundle=<path> ...")');
  process.exit(2);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A variant's words: bundle=, pg and env: words, and the node flags that remain. */
function parseVariant(variant: string) {
  const words = variant.split(/\s+/).filter(Boolean);
  const bundle = words.find((w) => w.startsWith('bundle='))?.slice('bundle='.length);
  const pairs = (prefix: string) => words.filter((w) => w.startsWith(prefix)).map((w) => w.slice(prefix.length).split(/=(.*)/s).slice(0, 2) as [string, string]);
  const env = Object.fromEntries(pairs('env:'));
  const flags = words.filter((w) => !w.startsWith('bundle=') && !w.startsWith('env:') && !w.startsWith('dbset:') && w !== 'pg').join(' ');
  return { bundle, pg: words.includes('pg'), env: env as Record<string, string>, dbSettings: pairs('dbset:'), flags };
}

const cluster = variants.some((v) => parseVariant(v).pg) ? await startCluster({ durable: true }) : undefined;
interface Run {
  variant: string;
  gateway: Awaited<ReturnType<typeof startGateway>>;
  keys: Map<string, string>;
  nonce: number;
  cpu: number[];
  /** PostgreSQL's CPU per upload (all its processes; only this variant loads it meanwhile). */
  pgCpu: number[];
  reqPerSec: number[];
  p99: number[];
}
// Started inside the try, so a gateway that fails to start still stops the others and the cluster.
const runs: Run[] = [];
try {
  for (const [i, variant] of variants.entries()) {
    const { bundle, pg, env, dbSettings, flags } = parseVariant(variant);
    if (bundle) process.env.BENCH_GATEWAY_BUNDLE = bundle;
    else delete process.env.BENCH_GATEWAY_BUNDLE;
    process.env.BENCH_GATEWAY_NODE_ARGS = flags;
    if (pg && cluster) {
      const admin = postgres(cluster.url, { max: 1, onnotice: () => undefined });
      await admin.unsafe(`CREATE DATABASE variant${i}`);
      for (const [name, value] of dbSettings) {
        if (!/^[a-z_.]+$/.test(name)) throw new Error(`dbset: not a setting name: ${name}`);
        await admin.unsafe(`ALTER DATABASE variant${i} SET ${name} = '${value.replace(/'/g, "''")}'`);
      }
      await admin.end();
      env.DATABASE_URL = cluster.url.replace(/\/postgres$/, `/variant${i}`);
    }
    const run: Run = { variant, gateway: await startGateway(env), keys: new Map(), nonce: 1, cpu: [], pgCpu: [], reqPerSec: [], p99: [] };
    runs.push(run);
    run.keys = await registerDevices(run.gateway.url, 'meter-', DEVICES);
  }
  const rounds = Number(process.env.BENCH_COMPARE_ROUNDS ?? 9);
  for (let r = 0; r < rounds; r++) {
    for (const run of runs) {
      const prepared = uploads(run.keys, SEGMENT, run.nonce);
      run.nonce += SEGMENT / DEVICES;
      const cpu0 = cpuSeconds(run.gateway.child.pid);
      const pg0 = cluster ? clusterCpu(join(cluster.dir, 'data')) : NaN;
      const result = await load(run.gateway.url, prepared, 50);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${run.variant}: ${JSON.stringify(result)}`);
      if (r === 0) continue; // the first round warms every variant up
      run.cpu.push(((cpuSeconds(run.gateway.child.pid) - cpu0) / SEGMENT) * 1e6);
      if (cluster) run.pgCpu.push(((clusterCpu(join(cluster.dir, 'data')) - pg0) / SEGMENT) * 1e6);
      run.reqPerSec.push(result.reqPerSec);
      run.p99.push(result.p99ms);
    }
  }
  for (const run of runs) {
    console.log(
      `[${run.variant}] CPU µs/upload per segment: ${run.cpu.map(Math.round).join(' ')}, req/s ${run.reqPerSec.map((x) => (x / 1000).toFixed(1) + 'k').join(' ')} | median ${median(run.cpu).toFixed(0)} µs, ${median(run.reqPerSec).toFixed(0)} req/s, p99 ${median(run.p99)} ms${run.pgCpu.length ? `; PostgreSQL ${run.pgCpu.map(Math.round).join(' ')} | median ${median(run.pgCpu).toFixed(0)} µs` : ''}`,
    );
  }
} finally {
  for (const run of runs) await run.gateway.stop();
  cluster?.stop();
}
