/**
 * The streaming OTA path of format 2 (SPEC.md §11), in-process: GET /ota/manifest/:version (the
 * compact signed manifest), GET /ota/hashes/:version?page=N (binary page + inclusion proof,
 * signed over its body like any answer), and per-chunk byte ranges of /ota/firmware/:version with
 * the streamed binding — a whole image verified this way, with the device holding one page and
 * one chunk at a time. Errors: bad page (400), page out of range (416), a format 1 image (409),
 * below the device's counter floor (409), unknown version (404); a corrupted range (fault) is
 * caught by its chunk hash and refetched alone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { FirmwareCheckError } from '../../server/ota/checks.ts';
import { parsePageAnswer } from '../../server/ota/hash-tree.ts';
import { chunkRange, type ManifestV2 } from '../../server/ota/manifest.ts';
import { FirmwareVerifier } from '../../server/ota/verify.ts';
import { OTA_MANIFEST_MAX_BYTES } from '../../server/protocol/limits.ts';
import { verifyResponseSignature } from '../../server/protocol/device-request.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { otaFixture, otaGateway, SimDevice, type OtaFixture } from './routes-helpers.ts';

let fx: OtaFixture;
let gw: TestGateway;

test.before.each(async () => {
  fx = await otaFixture([
    { version: '2.0.0', counter: 3, size: 300_000, chunkSize: 4096, formatVersion: 2 },
    { version: '1.9.0', counter: 3, formatVersion: 1 },
    { version: '1.0.0', counter: 1, formatVersion: 2 },
  ]);
  gw = await otaGateway(fx, { env: { FAULTS_ENABLED: '1' } });
});

test.after.each(async () => {
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

/** A signed binary GET whose answer is signed over its body (hash pages). */
async function binary(d: SimDevice, path: string): Promise<{ status: number; bytes: Buffer }> {
  const nonce = ++d.nonce;
  const res = await gw.deviceRequest(d.id, d.key, nonce, 'GET', path);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.ok(verifyResponseSignature(d.key, nonce, bytes, res.headers.get('x-signature') ?? ''), `${path}: answer not signed over its body`);
  return { status: res.status, bytes };
}

test('a whole format 2 image through manifest, hash pages and one Range request per chunk', async () => {
  const d = await SimDevice.register(gw, 'stream-1');
  const m = await d.request<ManifestV2>('GET', '/ota/manifest/2.0.0');
  assert.is(m.status, 200);
  assert.is(m.json.format_version, 2);
  assert.ok(Buffer.byteLength(JSON.stringify(m.json)) <= OTA_MANIFEST_MAX_BYTES);
  assert.not.ok('chunk_hashes' in m.json);
  const v = new FirmwareVerifier(m.json, fx.verify);
  const etag = `"${m.json.hash_root}"`;
  const plain: Buffer[] = [];
  let pagesFetched = 0;
  for (let i = 0; i < v.header.totalChunks; i++) {
    const page = v.pageNeeded(i);
    if (page !== undefined) {
      const p = await binary(d, `/ota/hashes/2.0.0?page=${page}`);
      assert.is(p.status, 200);
      v.acceptPage(page, p.bytes);
      pagesFetched++;
    }
    const { start, end } = chunkRange(v.header, i);
    const { res, bytes } = await d.download('/ota/firmware/2.0.0', { range: `bytes=${start}-${end - 1}` });
    assert.is(res.status, 206);
    assert.is(res.headers.get('etag'), etag);
    plain.push(v.acceptChunk(i, bytes));
  }
  assert.is(pagesFetched, v.header.totalPages);
  const result = v.finish();
  assert.is(result.version, '2.0.0');
  assert.ok(Buffer.concat(plain).equals(fx.images.get('2.0.0')!.plain));
});

test('hash page answers: binary, bound to the page asked for; errors are signed JSON', async () => {
  const d = await SimDevice.register(gw, 'stream-2');
  const p1 = await binary(d, '/ota/hashes/2.0.0?page=1');
  assert.is(p1.status, 200);
  assert.is(parsePageAnswer(p1.bytes)!.page, 1);
  const cases: [string, number, string][] = [
    ['/ota/hashes/2.0.0?page=x', 400, 'invalid_page'],
    ['/ota/hashes/2.0.0', 400, 'invalid_page'],
    ['/ota/hashes/2.0.0?page=99', 416, 'range_not_satisfiable'],
    ['/ota/hashes/1.9.0?page=0', 409, 'no_hash_pages'],
    ['/ota/hashes/9.9.9?page=0', 404, 'firmware_not_found'],
    ['/ota/manifest/9.9.9', 404, 'firmware_not_found'],
    ['/ota/manifest/not-semver', 400, 'invalid_version'],
  ];
  for (const [path, status, code] of cases) {
    const r = await d.request<{ error: { code: string; message: string } }>('GET', path);
    assert.is(r.status, status, path);
    assert.is(r.json.error.code, code, path);
    if (code === 'invalid_version') assert.is(r.json.error.message, 'path parameter version: must be a semantic version like 1.0.5');
  }
  // a device whose floor is 3 (it reported it on /ota/check) is refused the counter-1 image
  await d.request('GET', '/ota/check/stream-2?version=1.5.0&security_counter=3');
  for (const path of ['/ota/manifest/1.0.0', '/ota/hashes/1.0.0?page=0']) {
    const r = await d.request<{ error: { code: string } }>('GET', path);
    assert.is(r.status, 409, path);
    assert.is(r.json.error.code, 'security_counter_too_low');
  }
});

test('a corrupted range (fault ota_hash_mismatch) fails its chunk hash and only that chunk is fetched again', async () => {
  const d = await SimDevice.register(gw, 'stream-3');
  const m = await d.request<ManifestV2>('GET', '/ota/manifest/2.0.0');
  const v = new FirmwareVerifier(m.json, fx.verify);
  v.acceptPage(0, (await binary(d, '/ota/hashes/2.0.0?page=0')).bytes);
  const inj = await gw.admin('POST', '/fault/inject', { fault_type: 'ota_hash_mismatch', device_id: 'stream-3', count: 1 });
  assert.is(inj.status, 201);
  const { start, end } = chunkRange(v.header, 0);
  const bad = await d.download('/ota/firmware/2.0.0', { range: `bytes=${start}-${end - 1}` });
  assert.throws(() => v.acceptChunk(0, bad.bytes), (e: unknown) => e instanceof FirmwareCheckError && e.check === 'chunk_hash' && e.chunk === 0);
  const good = await d.download('/ota/firmware/2.0.0', { range: `bytes=${start}-${end - 1}` });
  v.acceptChunk(0, good.bytes);
  assert.is(v.nextChunk, 1);
});

test('/ota/check for a format 2 image: at most 22 members, no arrays, the hash root instead of a chunk root', async () => {
  const d = await SimDevice.register(gw, 'stream-4');
  const r = await d.request<Record<string, unknown>>('GET', '/ota/check/stream-4?version=1.0.0');
  assert.is(r.json.version, '2.0.0');
  assert.ok(Object.keys(r.json).length <= 22, `${Object.keys(r.json).length} members`);
  assert.ok(Object.values(r.json).every((x) => !Array.isArray(x)));
  assert.is(r.json.hash_root, (fx.images.get('2.0.0')!.manifest as ManifestV2).hash_root);
});

test.run();
