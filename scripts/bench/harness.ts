/**
 * Shared pieces of the HTTP benchmarks: start the gateway or the bare baseline as child
 * processes, run autocannon with prepared requests, and summarise results the same way for both
 * sides so the ratio compares like with like.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildGateway, GATEWAY_NODE_FLAGS } from '../build-gateway.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

export interface Child {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`child did not print ${pattern} in time: ${buffer}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const m = pattern.exec(buffer);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (buffer += d.toString()));
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${buffer}`)));
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
}

export async function startBare(env: Record<string, string> = {}, script = 'scripts/bench/bare-server.ts'): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const m = await waitForLine(child, /listening (\d+)/, 20_000).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { url: `http://127.0.0.1:${m[1]}`, child, stop: stopper(child) };
}

/**
 * A port nothing listens on right now. (A random pick in 20000-40000 collided with the kernel's
 * ephemeral range, 32768 and up, that the load generator's own connections use: EADDRINUSE.)
 */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

export async function startGateway(env: Record<string, string> = {}): Promise<Child & { dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-bench-'));
  const port = await freePort();
  // BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the gateway under load.
  const extra = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // The gateway runs as `npm start` runs it: the esbuild bundle under plain node.
  // BENCH_GATEWAY_BUNDLE runs a bundle built elsewhere (e.g. another checkout's, to compare two builds).
  const bundle = process.env.BENCH_GATEWAY_BUNDLE ?? (await buildGateway());
  const child = spawn(process.execPath, [...extra, ...GATEWAY_NODE_FLAGS, bundle], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: join(dir, 'data'),
      KEYS_DIR: join(dir, 'keys'),
      FIRMWARE_DIR: join(dir, 'firmware'),
      ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await waitForLine(child, /fleetgate listening/, 30_000);
  } catch (err) {
    child.kill('SIGKILL'); // never leave an orphan gateway behind a failed start
    throw err;
  }
  // BENCH_ECHO=1 passes the gateway's log lines through (to stderr), e.g. for ad-hoc instrumentation.
  if (process.env.BENCH_ECHO) child.stdout!.on('data', (d: Buffer) => process.stderr.write(d));
  else child.stdout!.resume();
  child.stderr!.resume();
  const stopChild = stopper(child);
  // The data directory goes with the gateway: a bench run writes tens of MB and repeated runs
  // must not fill /tmp (or slow the next run down with writeback of the last one's files).
  const stop = async () => {
    await stopChild();
    await rm(dir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}`, child, dir, stop };
}

export interface LoadResult {
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
  reqPerSec: number;
  p50ms: number;
  p90ms: number;
  p99ms: number;
  p999ms: number;
  maxMs: number;
  throughputMBps: number;
}

/** autocannon without a callback: an event emitter that is also a promise of the result. */
type RunAutocannon = (options: autocannon.Options) => autocannon.Instance & PromiseLike<autocannon.Result>;

export interface PreparedRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * Sends exactly `prepared.length` requests over `connections` keep-alive connections, each taken
 * in order from the prepared list (so nonces stay increasing per device as far as ordering on the
 * wire allows).
 */
export async function load(url: string, prepared: PreparedRequest[], connections: number): Promise<LoadResult> {
  let next = 0;
  const started = performance.now();
  let lastResponse = started;
  const tracker = (autocannon as unknown as RunAutocannon)({
    url,
    connections,
    amount: prepared.length,
    timeout: 30,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const p = prepared[next++ % prepared.length]!;
          return { ...req, method: p.method, path: p.path, headers: { ...(p.headers ?? {}) }, body: p.body };
        },
      },
    ],
  } as unknown as autocannon.Options);
  // autocannon only notices that `amount` is reached on its one-second tick, so the wall time
  // around it rounds every run up to whole seconds (a 1.1 s run reads as 2 s). The run ends at
  // the last response.
  tracker.on('response', () => {
    lastResponse = performance.now();
  });
  const result = await tracker;
  const seconds = (lastResponse - started) / 1000;
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds,
    reqPerSec: result.requests.total / seconds,
    p50ms: result.latency.p50,
    p90ms: result.latency.p90,
    p99ms: result.latency.p99,
    p999ms: result.latency.p99_9,
    maxMs: result.latency.max,
    throughputMBps: result.throughput.total / seconds / 1e6,
  };
}

/**
 * CPU seconds (user + system) a child process has used, from /proc (Linux). CPU time per request
 * is steadier than req/s on a shared machine, so the benchmarks report both.
 */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** CPU seconds of the postmaster and every process it started (backends, WAL writer, …). */
export function clusterCpu(dataDir: string): number {
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = cpuSeconds(postmaster);
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) total += cpuSeconds(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

export function machine() {
  return {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
}

export async function adminFetch(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Registers `count` devices through the admin API, `parallel` at a time; returns id → key hex. */
export async function registerDevices(url: string, prefix: string, count: number, parallel = 32): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  let i = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (i < count) {
        const id = `${prefix}${String(i++).padStart(5, '0')}`;
        const res = await adminFetch(url, 'POST', '/devices', { device_id: id });
        if (res.status !== 201) throw new Error(`register ${id}: ${res.status} ${await res.text()}`);
        keys.set(id, ((await res.json()) as { hmac_key: string }).hmac_key);
      }
    }),
  );
  return keys;
}

export interface GetTiming {
  p50ms: number;
  p99ms: number;
  maxMs: number;
  bytes: number;
}

/**
 * `count` GETs one after the other on one keep-alive connection, each timed from sending to the
 * last byte of its body (after `warmup` unmeasured ones), to a tenth of a millisecond.
 */
export async function timedGets(url: string, headers: Record<string, string>, count: number, warmup: number): Promise<GetTiming> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < warmup + count; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    const body = await res.arrayBuffer();
    const elapsed = performance.now() - t;
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    bytes = body.byteLength;
    if (i >= warmup) ms.push(elapsed);
  }
  ms.sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! * 10) / 10;
  return { p50ms: at(0.5), p99ms: at(0.99), maxMs: at(1), bytes };
}
