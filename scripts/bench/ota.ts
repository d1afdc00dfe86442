/**
 * OTA serving benchmark, `npx tsx scripts/bench/ota.ts` (or `runOtaBench()` from the bench index).
 * A 1 MiB firmware is packaged in a temp dir and served by a child-process gateway.
 *
 * (a) 100 registered devices download the whole image concurrently through
 *     GET /ota/firmware/:version in 64 KiB ranges, each request signed as that device (fresh
 *     nonce, so every range claims a nonce in the journal) and every answer's streamed binding
 *     signature and the assembled bytes checked. The same requests go to a bare node:http server
 *     serving the bytes from memory with the same Range handling (this file, run as a child with
 *     OTA_BENCH_BARE_FILE), in the same run. MB/s of both and their ratio; also the gateway with
 *     the admin token (no nonce) to show what the signature + nonce cost.
 * (b) One device fetches the image sequentially through the 1 KiB JSON chunk route: initiate,
 *     1025 signed GET /ota/chunk requests, each answer's signature checked and its chunk fed to
 *     FirmwareVerifier, finish, complete. Total time.
 * Both run against DURABILITY=fsync (the default; every accepted nonce is fsynced to the journal,
 * group-committed) and, for comparison, DURABILITY=write, so the nonce fsync's share is visible.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hexToBytes, macHexEquals } from '../../server/crypto/hmac.ts';
import { streamSignature } from '../../server/http/device-request.ts';
import { initKeys, loadSigningKeys, loadVerifyKeys } from '../../server/ota/keys.ts';
import { imageFileName, manifestFileName, type FirmwareManifest, manifestRoot } from '../../server/ota/manifest.ts';
import { packageBuffer } from '../../server/ota/package.ts';
import { FirmwareVerifier } from '../../server/ota/verify.ts';
import { signRequestHeaders, verifyResponseSignature } from '../../server/protocol/device-request.ts';
import { BENCH_ADMIN_TOKEN, machine, registerDevices, startBare, startGateway, type Child } from './harness.ts';

const VERSION = '1.0.0';
const FIRMWARE_BYTES = 1 << 20;
const DEVICES = Number(process.env.BENCH_OTA_DEVICES ?? 100);
const RANGE = 64 * 1024;
const ROUNDS = Number(process.env.BENCH_OTA_ROUNDS ?? 5);

// ---------------------------------------------------------------------------------------------
// A small keep-alive HTTP client (the same for the gateway and the bare server)

const agent = new Agent({ keepAlive: true, maxSockets: 512 });

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, { method, headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parts.length === 1 ? parts[0]! : Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

// ---------------------------------------------------------------------------------------------
// (a) concurrent range downloads

interface Device {
  id: string;
  key: Uint8Array;
  nonce: number;
}

type Auth = 'device' | 'admin' | 'none';

interface DownloadResult {
  auth: Auth;
  devices: number;
  requests: number;
  bytes: number;
  seconds: number;
  MBps: number;
  p50ms: number;
  p99ms: number;
  failures: number;
}

async function downloadAll(base: string, devices: Device[], image: Buffer, etag: string, auth: Auth): Promise<DownloadResult> {
  const path = `/ota/firmware/${VERSION}`;
  const latencies: number[] = [];
  let failures = 0;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    devices.map(async (d) => {
      const parts: Buffer[] = [];
      for (let start = 0; start < image.length; start += RANGE) {
        const end = Math.min(start + RANGE, image.length) - 1;
        const range = `bytes=${start}-${end}`;
        let headers: Record<string, string> = { range };
        const nonce = ++d.nonce;
        if (auth === 'device') headers = { ...headers, ...signRequestHeaders(d.key, d.id, nonce, 'GET', path) };
        else if (auth === 'admin') headers = { ...headers, authorization: `Bearer ${BENCH_ADMIN_TOKEN}` };
        const t0 = performance.now();
        const r = await send(base, 'GET', path, headers);
        latencies.push(performance.now() - t0);
        bytes += r.body.length;
        const contentRange = String(r.headers['content-range'] ?? '');
        const signatureOk =
          auth !== 'device' || macHexEquals(String(r.headers['x-signature'] ?? ''), streamSignature(d.key, nonce, `${etag} ${contentRange}`));
        if (r.status !== 206 || contentRange !== `bytes ${start}-${end}/${image.length}` || !signatureOk) failures++;
        parts.push(r.body);
      }
      if (!Buffer.concat(parts).equals(image)) failures++;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    auth,
    devices: devices.length,
    requests: latencies.length,
    bytes,
    seconds: round(seconds),
    MBps: round(bytes / seconds / 1e6),
    p50ms: round(percentile(latencies, 50)),
    p99ms: round(percentile(latencies, 99)),
    failures,
  };
}

/** Median round by throughput (after one warm-up round). */
async function measure(rounds: number, run: () => Promise<DownloadResult>): Promise<DownloadResult & { rounds_MBps: number[] }> {
  await run();
  const results: DownloadResult[] = [];
  for (let i = 0; i < rounds; i++) results.push(await run());
  const sorted = [...results].sort((a, b) => a.MBps - b.MBps);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { ...median, failures: results.reduce((n, r) => n + r.failures, 0), rounds_MBps: results.map((r) => r.MBps) };
}

// ---------------------------------------------------------------------------------------------
// (b) one device through the JSON chunk route

async function chunkRoute(base: string, device: Device, manifest: FirmwareManifest, keysDir: string) {
  const verifyKeys = await loadVerifyKeys(keysDir);
  const signed = async (method: string, path: string, body?: unknown) => {
    const nonce = ++device.nonce;
    const bytes = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = signRequestHeaders(device.key, device.id, nonce, method, path, bytes);
    if (bytes) headers['content-type'] = 'application/json';
    const r = await send(base, method, path, headers, bytes?.toString());
    if (!verifyResponseSignature(device.key, nonce, r.body, String(r.headers['x-signature'] ?? ''))) throw new Error(`${path}: bad response signature`);
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.body.toString()}`);
    return JSON.parse(r.body.toString()) as Record<string, unknown>;
  };
  const started = performance.now();
  const init = await signed('POST', `/ota/initiate/${device.id}`, { firmware_version: VERSION });
  const verifier = new FirmwareVerifier(init.manifest, verifyKeys);
  const latencies: number[] = [];
  const loopStart = performance.now();
  for (let i = 0; i < manifest.total_chunks; i++) {
    const t0 = performance.now();
    const c = await signed('GET', `/ota/chunk/${device.id}?version=${VERSION}&chunk=${i}`);
    latencies.push(performance.now() - t0);
    verifier.acceptChunk(i, Buffer.from(c.chunk_data as string, 'base64'));
  }
  const loopSeconds = (performance.now() - loopStart) / 1000;
  const result = verifier.finish();
  await signed('POST', `/ota/complete/${device.id}`, { success: true });
  const totalSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    chunks: manifest.total_chunks,
    chunk_size: manifest.chunk_size,
    verified: result.firmwareSha256 === manifest.sha256_hash,
    total_seconds: round(totalSeconds),
    chunk_loop_seconds: round(loopSeconds),
    per_chunk_p50ms: round(percentile(latencies, 50)),
    per_chunk_p99ms: round(percentile(latencies, 99)),
  };
}

// ---------------------------------------------------------------------------------------------

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Peak resident memory of a child process (Linux), MiB. */
async function peakRssMiB(child: Child): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${child.child.pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : null;
  } catch {
    return null;
  }
}

async function gatewayRun(durability: 'fsync' | 'write', fixture: { keys: string; firmware: string; image: Buffer; manifest: FirmwareManifest }, bare: DownloadResult | null) {
  const gateway = await startGateway({ DURABILITY: durability, KEYS_DIR: fixture.keys, FIRMWARE_DIR: fixture.firmware });
  try {
    const keys = await registerDevices(gateway.url, 'ota-', DEVICES + 1);
    const devices: Device[] = [...keys].map(([id, hex]) => ({ id, key: hexToBytes(hex), nonce: 0 }));
    const chunkDevice = devices.pop()!;
    const etag = `"${manifestRoot(fixture.manifest)}"`;
    const signedResult = await measure(ROUNDS, () => downloadAll(gateway.url, devices, fixture.image, etag, 'device'));
    const adminResult = await measure(ROUNDS, () => downloadAll(gateway.url, devices, fixture.image, etag, 'admin'));
    const chunks = await chunkRoute(gateway.url, chunkDevice, fixture.manifest, fixture.keys);
    return {
      durability,
      range_downloads_signed: { ...signedResult, ratio_vs_bare: bare ? round(signedResult.MBps / bare.MBps) : null },
      range_downloads_admin: { ...adminResult, ratio_vs_bare: bare ? round(adminResult.MBps / bare.MBps) : null },
      chunk_route_sequential: chunks,
      gateway_peak_rss_mib: await peakRssMiB(gateway),
    };
  } finally {
    await gateway.stop();
  }
}

export async function runOtaBench(): Promise<object> {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-bench-ota-'));
  try {
    const keys = join(dir, 'keys');
    const firmware = join(dir, 'firmware');
    await initKeys(keys, { bits: 2048 });
    await mkdir(firmware, { recursive: true });
    const plain = Buffer.alloc(FIRMWARE_BYTES);
    for (let i = 0; i < plain.length; i += 32) createHash('sha256').update(String(i)).digest().copy(plain, i);
    const { manifest, encrypted } = packageBuffer(plain, await loadSigningKeys(keys), { version: VERSION, chunkSize: 1024, formatVersion: 1 });
    await writeFile(join(firmware, imageFileName(VERSION)), encrypted);
    await writeFile(join(firmware, manifestFileName(VERSION)), JSON.stringify(manifest));
    const fixture = { keys, firmware, image: encrypted, manifest };

    const bareChild = await startBare({ OTA_BENCH_BARE_FILE: join(firmware, imageFileName(VERSION)), OTA_BENCH_ETAG: `"${manifestRoot(manifest)}"` }, 'scripts/bench/ota.ts');
    const devices: Device[] = Array.from({ length: DEVICES }, (_, i) => ({ id: `bare-${i}`, key: new Uint8Array(32), nonce: 0 }));
    let bare: DownloadResult & { rounds_MBps: number[] };
    try {
      bare = await measure(ROUNDS, () => downloadAll(bareChild.url, devices, encrypted, '', 'none'));
    } finally {
      await bareChild.stop();
    }
    const fsync = await gatewayRun('fsync', fixture, bare);
    const write = await gatewayRun('write', fixture, bare);
    return {
      benchmark: 'ota',
      machine: machine(),
      data_dir_fs: tmpdir(),
      image: { version: VERSION, original_size: manifest.original_size, encrypted_size: manifest.encrypted_size, chunk_size: manifest.chunk_size, total_chunks: manifest.total_chunks },
      range_size: RANGE,
      devices: DEVICES,
      rounds: ROUNDS,
      bare_node_http: bare,
      gateway: { fsync, write },
      targets: { range_ratio_min: 0.5, chunk_route_total_seconds_max: 2 },
    };
  } finally {
    agent.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The baseline server: the image from memory, single byte ranges, same headers as the gateway. */
function serveBare(file: string, etag: string): void {
  const image = readFileSync(file);
  const server = createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] !== '' ? Math.min(Number(m[2]), image.length - 1) : image.length - 1;
    const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', etag, 'content-length': end - start + 1 };
    if (m) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${image.length}` });
    else res.writeHead(200, headers);
    res.end(image.subarray(start, end + 1));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.env.OTA_BENCH_BARE_FILE) serveBare(process.env.OTA_BENCH_BARE_FILE, process.env.OTA_BENCH_ETAG ?? '"x"');
  else console.log(JSON.stringify(await runOtaBench(), null, 2));
}
