/**
 * Seeded fuzzing of the running gateway over real sockets (issue 12): the `npm start` bundle as a
 * child process, so the upload fast path and node:http's own parsing are in the loop, which the
 * in-process harness (`app.request`) never reaches. A few thousand cases: valid and mutated
 * upload envelopes, packed frames, exact retransmissions and replays, signed device requests with
 * random bodies on every device route, hostile ids (Object property names, `..`, unicode, NUL,
 * 64/65 characters) in paths and headers, and raw HTTP with lying Content-Length, broken chunked
 * encoding and odd Range headers.
 *
 * Invariants: never a 5xx, never a hang (every answer within a deadline), the process stays up,
 * and — checked in the store's own files after a clean stop, not from the answers — every upload
 * accepted as new is stored exactly once and nothing from a rejected one is stored; every
 * diagnostics report accepted is stored once. FUZZ_SEED=<n> replays a run; the seed is in every
 * failure message. FUZZ_CASES sets the number of cases (default 2500).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { METHODS, packSamples } from '../../server/codec/index.ts';
import { hexToBytes } from '../../server/crypto/hmac.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { signEncodedPayload, signEnvelope } from '../../server/protocol/envelope.ts';
import { ADMIN_TOKEN, samples, tempDir } from '../helpers/gateway.ts';
import { startGatewayProcess } from '../helpers/process.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_f1ee);
const CASES = Number(process.env.FUZZ_CASES ?? 2500);
const DEADLINE_MS = 10_000;
const tag = (what: string) => `[FUZZ_SEED=${SEED}] ${what}`;

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

interface Answer {
  status: number;
  body: string;
}

/** One HTTP request on a fresh connection (Connection: close), with a deadline. */
function send(url: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers: { connection: 'close', ...headers }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(DEADLINE_MS, () => req.destroy(new Error(`no answer within ${DEADLINE_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Raw bytes on a socket; resolves with the status of the first answer. The socket is not
 * half-closed at once (node:http drops a request whose client sent FIN before the answer): a
 * request left incomplete on purpose gets our FIN after a pause, and closing then without an
 * answer resolves 0. No answer and no close within the deadline is a hang.
 */
function sendRaw(url: string, bytes: Buffer): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    const finish = (fn: () => void) => {
      clearTimeout(pause);
      clearTimeout(deadline);
      socket.destroy();
      fn();
    };
    const pause = setTimeout(() => socket.end(), 250);
    const deadline = setTimeout(() => finish(() => reject(new Error(`raw request: no answer or close within ${DEADLINE_MS} ms`))), DEADLINE_MS);
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m) finish(() => resolve(Number(m[1])));
    });
    socket.on('close', () => finish(() => resolve(0)));
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

/** Hostile device ids: Object property names, traversal, unicode, NUL, the length limits. */
const HOSTILE_IDS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', '..', '.', 'é', 'a\u0000b', 'a'.repeat(64), 'a'.repeat(65), 'a/b', '%2e%2e', ''];
/** 20,000 nested arrays in 40 KB: JSON.parse copes, storing it (JSON.stringify) overflowed the stack. */
const DEEP = `{"firmware_version":"1.0.0","uptime_seconds":1,"boot_id":"deep","reset_reason":"poweron","extra":{"d":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
const REGISTERED = ['fz-0', 'fz-1', 'fz-2', 'constructor', 'valueOf', 'z'.repeat(64)];

test('thousands of hostile requests over real sockets: no 5xx, no hang, the process stays up, the store holds exactly what was accepted', async () => {
  const dir = await tempDir();
  const dataDir = join(dir, 'data');
  const gw = await startGatewayProcess(
    { DATA_DIR: dataDir, KEYS_DIR: join(dir, 'keys'), FIRMWARE_DIR: join(dir, 'fw'), ADMIN_TOKEN, DURABILITY: 'write', AUTH_FAILURES_PER_ADDRESS: '1000000', AUTH_FAILURES_PER_DEVICE: '1000000' },
    { bundle: true },
  );
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const keys = new Map<string, Uint8Array>();
  for (const id of REGISTERED) {
    const res = await send(gw.url, 'POST', '/devices', admin, JSON.stringify({ device_id: id }));
    assert.is(res.status, 201, res.body);
    keys.set(id, hexToBytes((JSON.parse(res.body) as { hmac_key: string }).hmac_key));
  }
  const rand = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const nonces = new Map<string, number>(REGISTERED.map((id) => [id, 0]));
  const next = (id: string) => {
    const n = (nonces.get(id) ?? 0) + 1 + Math.floor(rand() * 3);
    nonces.set(id, n);
    return n;
  };
  /** (device, nonce) of every upload answered as newly accepted; and how many samples each held. */
  const accepted = new Map<string, Map<number, number>>(REGISTERED.map((id) => [id, new Map()]));
  const acceptedDiagnostics = new Map<string, number>(REGISTERED.map((id) => [id, 0]));
  const sentEnvelopes: { id: string; body: string }[] = [];
  const statuses = new Map<number, number>();
  const weird: unknown[] = [null, true, 0, -1, 2 ** 53, 1e308, 'x', '', [], {}, [1], { a: 1 }, '\u0000', 'é'.repeat(50), '__proto__'];
  const packed = Object.values(METHODS).map((m) => packSamples(samples(12) as never, m));

  const check = (what: string, a: Answer) => {
    statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    assert.ok(a.status < 500, tag(`${what} → ${a.status} ${a.body.slice(0, 300)}`));
  };
  /**
   * Sends an upload; an answer "stored as new" is recorded under the nonce the sender signed (only
   * a registered device's own key and path can get one).
   */
  const upload = async (id: string, body: string, what: string, signedNonce?: number) => {
    const a = await send(gw.url, 'POST', `/aggregated/${encodeURIComponent(id)}`, { 'content-type': 'application/json' }, body);
    check(what, a);
    if (a.status === 200) {
      const json = JSON.parse(a.body) as { samples: number; duplicate?: boolean };
      if (!json.duplicate) {
        assert.ok(signedNonce !== undefined && accepted.has(id), tag(`${what}: stored as new: ${body.slice(0, 200)}`));
        assert.not.ok(accepted.get(id)!.has(signedNonce!), tag(`${what}: nonce ${signedNonce} stored twice`));
        accepted.get(id)!.set(signedNonce!, json.samples);
        nonces.set(id, Math.max(nonces.get(id) ?? 0, signedNonce!));
      }
    }
    return a;
  };

  for (let i = 0; i < CASES; i++) {
    const id = pick(REGISTERED);
    const key = keys.get(id)!;
    const kind = Math.floor(rand() * 9);
    const what = `case ${i} kind ${kind} device ${id}`;
    if (kind === 0) {
      // a valid upload, plain or packed: accepted as new
      const nonce = next(id);
      const doc = rand() < 0.5 ? { aggregated_data: samples(1 + Math.floor(rand() * 5), 1_700_000_000 + i) } : pick(packed);
      const body = JSON.stringify(signEnvelope(key, id, nonce, doc));
      const a = await upload(id, body, what, nonce);
      assert.is(a.status, 200, tag(`${what}: a valid upload was refused: ${a.body}`));
      assert.ok(accepted.get(id)!.has(nonce), tag(`${what}: fresh nonce not stored as new`));
      sentEnvelopes.push({ id, body });
    } else if (kind === 1 && sentEnvelopes.length > 0) {
      // an exact retransmission or a replay of an earlier envelope, maybe re-targeted
      const old = pick(sentEnvelopes);
      const target = rand() < 0.3 ? pick([...REGISTERED, ...HOSTILE_IDS]) : old.id;
      await upload(target, old.body, `${what} retransmit to ${JSON.stringify(target)}`);
    } else if (kind === 2) {
      // a structurally mutated or byte-mutated envelope (an unknown extra field is still valid)
      const nonce = (nonces.get(id) ?? 0) + 1;
      const env = signEnvelope(key, id, nonce, { aggregated_data: samples(2) }) as unknown as Record<string, unknown>;
      env[pick(['device_id', 'nonce', 'payload', 'mac', 'extra'])] = pick(weird);
      const bytes = Buffer.from(JSON.stringify(env));
      if (rand() < 0.5) for (let f = 0; f < 3; f++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      await upload(id, bytes.toString('latin1'), what, nonce);
    } else if (kind === 3) {
      // an authentic envelope around a mutated packed batch or a garbage payload: reaches the decoders
      const nonce = next(id);
      const batch = { ...pick(packed) } as Record<string, unknown>;
      const data = Buffer.from(String(batch.compressed_data), 'base64');
      const at = Math.floor(rand() * data.length);
      data[at] = data[at]! ^ (1 << Math.floor(rand() * 8));
      batch.compressed_data = data.toString('base64');
      if (rand() < 0.3) batch.original_size = Math.floor(rand() * 4_000_000);
      const body = rand() < 0.5
        ? JSON.stringify(signEnvelope(key, id, nonce, batch))
        : JSON.stringify(signEncodedPayload(key, id, nonce, Buffer.from(JSON.stringify({ aggregated_data: [{ timestamp: pick(weird), [String(pick(weird))]: pick(weird) }] })).toString('base64')));
      await upload(id, body, what, nonce);
    } else if (kind === 4) {
      // a signed device request with a random body on a device route
      const route = pick([
        ['GET', '/config'],
        ['GET', `/commands/${id}/poll`],
        ['POST', `/commands/${id}/result`],
        ['POST', `/diagnostics/${id}`],
        ['GET', `/ota/check/${id}?version=${pick(['1.0.0', 'x', '99999999999999999999.0.0'])}`],
        ['POST', `/ota/initiate/${id}`],
        ['GET', `/ota/chunk/${id}?version=1.0.0&chunk=${pick(['0', '-1', '1e9', 'x'])}`],
        ['POST', `/ota/complete/${id}`],
        ['GET', '/ota/firmware/1.0.0'],
      ] as const);
      const [method, path] = route;
      const diagnostics = path.startsWith('/diagnostics') && rand() < 0.4;
      const body = method === 'GET' ? undefined
        : diagnostics ? JSON.stringify({ firmware_version: '1.0.0', uptime_seconds: i, boot_id: `b${i}`, reset_reason: 'software' })
        : pick([JSON.stringify(pick(weird)), '{', '['.repeat(100), JSON.stringify({ command_id: 'x', status: 'completed', result: pick(weird) }), '', DEEP]);
      const bytes = body === undefined ? undefined : Buffer.from(body);
      const nonce = next(id);
      const headers = { ...signRequestHeaders(key, id, nonce, method, path, bytes), ...(bytes ? { 'content-type': 'application/json' } : {}), ...(rand() < 0.3 ? { range: pick(['bytes=0-0', 'bytes=-1', 'bytes=5-2', 'bytes=0-99999999999', 'junk']) } : {}) };
      const a = await send(gw.url, method, path, headers, bytes);
      check(`${what} ${method} ${path}`, a);
      if (diagnostics && a.status === 200) acceptedDiagnostics.set(id, acceptedDiagnostics.get(id)! + 1);
    } else if (kind === 5) {
      // hostile ids in the path and X-Device-Id
      const hostile = pick(HOSTILE_IDS);
      const path = pick([`/aggregated/${encodeURIComponent(hostile)}`, `/commands/${encodeURIComponent(hostile)}/poll`, `/ota/status/${encodeURIComponent(hostile)}`, `/telemetry/${encodeURIComponent(hostile)}`]);
      const headers: Record<string, string> = path.startsWith('/ota/status') || path.startsWith('/telemetry') ? admin : { 'x-device-id': hostile.replace(/[^\x20-\x7e]/g, '?'), 'x-nonce': '1', 'x-signature': '0'.repeat(64) };
      const body = path.startsWith('/aggregated') ? JSON.stringify(signEnvelope(key, hostile, 1, { aggregated_data: samples(1) })) : undefined;
      check(`${what} hostile ${JSON.stringify(hostile)} ${path}`, await send(gw.url, body ? 'POST' : 'GET', path, { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body));
    } else if (kind === 6) {
      // raw HTTP: lying Content-Length, broken chunked encoding, duplicate headers
      const body = JSON.stringify(signEnvelope(key, id, (nonces.get(id) ?? 0) + 1, { aggregated_data: samples(1) }));
      const variant = Math.floor(rand() * 5);
      const head = `POST /aggregated/${id} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n`;
      const raw =
        variant === 0 ? `${head}Content-Length: ${Math.floor(body.length / 2)}\r\n\r\n${body}`
        : variant === 1 ? `${head}Content-Length: 99999999\r\n\r\n${body}`
        : variant === 2 ? `${head}Transfer-Encoding: chunked\r\n\r\n${pick(['zz', 'ffffffffffff', '5', '-1'])}\r\n${body}\r\n0\r\n\r\n`
        : variant === 3 ? `${head}Content-Length: 5\r\nContent-Length: 7\r\n\r\n${body}`
        : `${head}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      const status = await sendRaw(gw.url, Buffer.from(raw, 'latin1'));
      assert.ok(status < 500, tag(`${what} raw variant ${variant} → ${status}`));
      if (variant === 4) {
        // well-formed chunked: a normal upload
        assert.is(status, 200, tag(`${what}: a chunked upload was refused`));
        accepted.get(id)!.set((nonces.get(id) ?? 0) + 1, 1);
        nonces.set(id, (nonces.get(id) ?? 0) + 1);
      }
    } else if (kind === 7) {
      // downloads with odd Range / conditional headers, as admin
      const headers = { ...admin, range: pick(['bytes=0-0', 'bytes=-0', 'bytes=1-0', `bytes=${'9'.repeat(30)}-`, 'bytes=0-1,2-3,' + '4-5,'.repeat(100)]), 'if-range': pick(['"x"', 'Mon, 01 Jan 2001 00:00:00 GMT']) };
      check(`${what} download`, await send(gw.url, 'GET', `/ota/firmware/${pick(['1.0.0', '..', '%00', 'x'.repeat(300)])}`, headers));
    } else {
      // admin reads with hostile query values
      const q = pick(['/audit?since=', '/events?since=', '/telemetry/fz-0?from=', '/telemetry/fz-0?to=', '/devices/fz-0/events?limit=']) + encodeURIComponent(String(pick(weird)));
      check(`${what} ${q}`, await send(gw.url, 'GET', q, admin));
    }
  }

  // The process is up and still serves a device normally.
  assert.is(gw.child.exitCode, null, tag('the gateway process exited'));
  assert.is((await send(gw.url, 'GET', '/health', {})).status, 200);
  const finalNonce = next('fz-0');
  const last = await upload('fz-0', JSON.stringify(signEnvelope(keys.get('fz-0')!, 'fz-0', finalNonce, { aggregated_data: samples(1) })), 'final', finalNonce);
  assert.is(last.status, 200, tag(last.body));
  assert.is(await gw.kill('SIGTERM'), 0, tag(`clean stop; output: ${gw.output().slice(-2000)}`));

  // The store's own files: each accepted upload once, nothing else; each accepted report once.
  for (const id of REGISTERED) {
    const stored = await batchesInDayFiles(dataDir, id);
    const expected = [...accepted.get(id)!.entries()].sort((a, b) => a[0] - b[0]);
    assert.is(JSON.stringify(stored), JSON.stringify(expected), tag(`${id}: stored (nonce, samples) batches`));
    assert.is(await linesIn(join(dataDir, 'diagnostics', id)), acceptedDiagnostics.get(id)!, tag(`${id}: stored diagnostics reports`));
  }
  assert.ok((statuses.get(400) ?? 0) > 100 && (statuses.get(401) ?? 0) > 50, tag(JSON.stringify([...statuses])));
});

/** (nonce, sample count) of every batch line in a device's telemetry day files, by nonce. */
async function batchesInDayFiles(dataDir: string, id: string): Promise<[number, number][]> {
  const dir = join(dataDir, 'telemetry', id);
  const out: [number, number][] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      const batch = JSON.parse(line) as { nonce: number; samples: unknown[] };
      out.push([batch.nonce, batch.samples.length]);
    }
  }
  return out.sort((a, b) => a[0] - b[0]);
}

async function linesIn(dir: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    n += (await readFile(join(dir, name), 'utf8')).split('\n').filter((l) => l.trim()).length;
  }
  return n;
}

test.run();
