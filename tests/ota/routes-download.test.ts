/**
 * GET/HEAD /ota/firmware/:version in-process: Range edge cases (first/last byte, suffix,
 * open-ended, beyond the end → 416 with Content-Range bytes * /size, malformed → 200, several
 * ranges), If-Range and If-None-Match, HEAD, 404, who may download (admin, signed device with the
 * streamed binding signature, OTA_PUBLIC_DOWNLOADS), a whole image fetched by a device in 64 KiB
 * ranges and verified, the fault on a range, one shared load for concurrent downloads, the
 * streamed-from-file path (cache bound 0), a tampered image refused, and a new image picked up
 * from FIRMWARE_DIR without a restart.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FirmwareCheckError } from '../../server/ota/checks.ts';
import { imageFileName, manifestRoot } from '../../server/ota/manifest.ts';
import { otaOf } from '../../server/ota/routes.ts';
import { FirmwareVerifier } from '../../server/ota/verify.ts';
import { signRequestHeaders } from '../../server/protocol/device-request.ts';
import { ADMIN_TOKEN, type TestGateway } from '../helpers/gateway.ts';
import { copySlowly, otaFixture, otaGateway, SimDevice, type OtaFixture, type PackagedImage } from './routes-helpers.ts';

let fx: OtaFixture;
let gw: TestGateway;
let img: PackagedImage;
const SIZE = 100_000; // 100016 bytes encrypted
const ENC = 100_016;
const URL_ = '/ota/firmware/1.0.5';

test.before(async () => {
  fx = await otaFixture([{ version: '1.0.5', counter: 1, size: SIZE }]);
  img = fx.images.get('1.0.5')!;
  gw = await otaGateway(fx, { env: { FAULTS_ENABLED: '1' } });
});

test.after(async () => {
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

const get = async (headers: Record<string, string> = {}, method = 'GET', path = URL_) => {
  const res = await gw.app.request(path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
};
const etag = () => `"${manifestRoot(img.manifest)}"`;

test('full GET: octet-stream, strong ETag = chunk root, Accept-Ranges, exact bytes', async () => {
  const { res, bytes } = await get();
  assert.is(res.status, 200);
  assert.is(res.headers.get('content-type'), 'application/octet-stream');
  assert.is(res.headers.get('content-length'), String(ENC));
  assert.is(res.headers.get('accept-ranges'), 'bytes');
  assert.is(res.headers.get('etag'), etag());
  assert.ok(bytes.equals(img.encrypted));
});

test('ranges: first byte, last byte, suffix, open-ended, middle', async () => {
  const cases: [string, number, number][] = [
    ['bytes=0-0', 0, 0],
    [`bytes=${ENC - 1}-${ENC - 1}`, ENC - 1, ENC - 1],
    ['bytes=-16', ENC - 16, ENC - 1],
    ['bytes=65536-', 65536, ENC - 1],
    ['bytes=1000-1999', 1000, 1999],
    [`bytes=0-${ENC + 500}`, 0, ENC - 1],
  ];
  for (const [range, start, end] of cases) {
    const { res, bytes } = await get({ range });
    assert.is(res.status, 206, range);
    assert.is(res.headers.get('content-range'), `bytes ${start}-${end}/${ENC}`, range);
    assert.is(res.headers.get('content-length'), String(end - start + 1));
    assert.is(res.headers.get('etag'), etag());
    assert.ok(bytes.equals(img.encrypted.subarray(start, end + 1)), range);
  }
});

test('beyond the end: 416 with Content-Range bytes */size; malformed: full 200', async () => {
  for (const range of [`bytes=${ENC}-`, `bytes=${ENC + 10}-${ENC + 20}`, 'bytes=-0']) {
    const { res, bytes } = await get({ range });
    assert.is(res.status, 416, range);
    assert.is(res.headers.get('content-range'), `bytes */${ENC}`);
    assert.is(JSON.parse(bytes.toString()).error.code, 'range_not_satisfiable');
  }
  for (const range of ['bytes=10-5', 'bytes=abc', 'lines=1-2', 'bytes=']) {
    const { res, bytes } = await get({ range });
    assert.is(res.status, 200, range);
    assert.is(bytes.length, ENC);
  }
});

test('several ranges: adjacent ones merge into one 206, disjoint ones get the full image (documented)', async () => {
  let r = await get({ range: 'bytes=0-99,100-199' });
  assert.is(r.res.status, 206);
  assert.is(r.res.headers.get('content-range'), `bytes 0-199/${ENC}`);
  r = await get({ range: 'bytes=0-99,500-599' });
  assert.is(r.res.status, 200);
  assert.is(r.bytes.length, ENC);
});

test('If-Range: matching ETag → 206, other ETag or a date → full 200; If-None-Match → 304', async () => {
  let r = await get({ range: 'bytes=10-19', 'if-range': etag() });
  assert.is(r.res.status, 206);
  r = await get({ range: 'bytes=10-19', 'if-range': '"0000"' });
  assert.is(r.res.status, 200);
  assert.is(r.bytes.length, ENC);
  r = await get({ range: 'bytes=10-19', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' });
  assert.is(r.res.status, 200);
  r = await get({ 'if-none-match': etag() });
  assert.is(r.res.status, 304);
  assert.is(r.bytes.length, 0);
  assert.is(r.res.headers.get('etag'), etag());
});

test('HEAD: headers of the GET, no body', async () => {
  let r = await get({}, 'HEAD');
  assert.is(r.res.status, 200);
  assert.is(r.res.headers.get('content-length'), String(ENC));
  assert.is(r.res.headers.get('etag'), etag());
  assert.is(r.bytes.length, 0);
  r = await get({ range: 'bytes=-10' }, 'HEAD');
  assert.is(r.res.status, 206);
  assert.is(r.res.headers.get('content-range'), `bytes ${ENC - 10}-${ENC - 1}/${ENC}`);
  assert.is(r.bytes.length, 0);
});

test('unknown version → 404; no credentials → 401; a bad token → 401', async () => {
  const r = await get({}, 'GET', '/ota/firmware/9.9.9');
  assert.is(r.res.status, 404);
  assert.is(JSON.parse(r.bytes.toString()).error.code, 'firmware_not_found');
  assert.is((await gw.app.request(URL_)).status, 401);
  assert.is((await gw.app.request(URL_, { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).status, 401);
});

test('signed device download: binding signature, retransmission gets the original extent, old nonce refused', async () => {
  const d = await SimDevice.register(gw, 'dl-1');
  const { res, bytes } = await d.download(URL_, { range: 'bytes=0-1023' }); // checks the binding signature
  assert.is(res.status, 206);
  assert.ok(bytes.equals(img.encrypted.subarray(0, 1024)));
  const served = async () => ((await otaOf(gw.ctx).state.versionCounters())['1.0.5'] ?? { download_bytes: 0 }).download_bytes;
  const before = await served();
  // An exact retransmission (same nonce, same signature) gets the stored answer: the same extent,
  // the same signature, even with another Range header (it is not signed), and no bookkeeping again.
  for (const range of ['bytes=0-1023', 'bytes=5000-90000']) {
    const headers = { ...signRequestHeaders(d.key, d.id, d.nonce, 'GET', URL_), range };
    const again = await gw.app.request(URL_, { headers });
    assert.is(again.status, 206);
    assert.is(again.headers.get('content-range'), res.headers.get('content-range'));
    assert.is(again.headers.get('x-signature'), res.headers.get('x-signature'));
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(bytes));
  }
  assert.is(await served(), before, 'a retransmission is not counted as a second download');
  // A lower nonce is a replay.
  const old = await gw.app.request(URL_, { headers: { ...signRequestHeaders(d.key, d.id, d.nonce - 1 || 0, 'GET', URL_) } });
  assert.is(old.status, 401);
  // Errors to a device are signed over their body as usual (SimDevice checks it).
  const e = await d.download('/ota/firmware/9.9.9');
  assert.is(e.res.status, 404);
  const h = await d.download(URL_, {}, 'HEAD');
  assert.is(h.res.status, 200);
});

test('a device fetches the whole image in 64 KiB ranges and verifies it chunk by chunk', async () => {
  const d = await SimDevice.register(gw, 'dl-2');
  const parts: Buffer[] = [];
  for (let start = 0; start < ENC; start += 65536) {
    const { res, bytes } = await d.download(URL_, { range: `bytes=${start}-${Math.min(start + 65535, ENC - 1)}` });
    assert.is(res.status, 206);
    parts.push(bytes);
  }
  const image = Buffer.concat(parts);
  const v = new FirmwareVerifier(img.manifest, fx.verify);
  for (let i = 0; i < v.header.totalChunks; i++) v.acceptChunk(i, image.subarray(i * 1024, Math.min((i + 1) * 1024, ENC)));
  assert.is(v.finish().version, '1.0.5');
  const stats = (await (await gw.admin('GET', '/ota/stats')).json()) as { versions: Record<string, { downloads: number; download_bytes: number }> };
  assert.ok(stats.versions['1.0.5']!.download_bytes >= ENC);
});

test('fault ota_hash_mismatch on a device range: corrupted once, caught by the chunk hash', async () => {
  const d = await SimDevice.register(gw, 'dl-3');
  gw.ctx.faults.arm('dl-3', 'ota_hash_mismatch', 1);
  const bad = (await d.download(URL_, { range: 'bytes=0-1023' })).bytes;
  const good = (await d.download(URL_, { range: 'bytes=0-1023' })).bytes;
  assert.ok(good.equals(img.encrypted.subarray(0, 1024)));
  assert.not.ok(bad.equals(good));
  const v = new FirmwareVerifier(img.manifest, fx.verify);
  assert.throws(() => v.acceptChunk(0, bad), (e: unknown) => e instanceof FirmwareCheckError && e.check === 'chunk_hash');
  v.acceptChunk(0, good);
});

test('concurrent downloads share one loaded image', async () => {
  const before = otaOf(gw.ctx).cache.stats();
  const all = await Promise.all(Array.from({ length: 50 }, (_, i) => get({ range: `bytes=${i * 100}-${i * 100 + 99}` })));
  for (const { res } of all) assert.is(res.status, 206);
  const after = otaOf(gw.ctx).cache.stats();
  assert.is(after.loads, before.loads, 'no reload');
  assert.is(after.cached_images, 1);
  assert.is(after.cached_bytes, ENC);
});

test('OTA_PUBLIC_DOWNLOADS=1 serves without credentials; a bad token is still refused', async () => {
  const pub = await otaGateway(fx, { env: { OTA_PUBLIC_DOWNLOADS: '1' } });
  try {
    const res = await pub.app.request(URL_, { headers: { range: 'bytes=0-15' } });
    assert.is(res.status, 206);
    assert.is((await pub.app.request(URL_, { headers: { authorization: 'Bearer wrong-wrong-wrong-wrong' } })).status, 401);
  } finally {
    await pub.close();
  }
});

test('cache bound 0: ranges streamed from the file, same bytes and headers', async () => {
  const small = await otaGateway(fx, { env: { OTA_CACHE_MAX_BYTES: '0' } });
  try {
    const h = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const res = await small.app.request(URL_, { headers: { ...h, range: 'bytes=70000-80000' } });
    assert.is(res.status, 206);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(img.encrypted.subarray(70000, 80001)));
    const full = await small.app.request(URL_, { headers: h });
    assert.ok(Buffer.from(await full.arrayBuffer()).equals(img.encrypted));
    const head = await small.app.request(URL_, { method: 'HEAD', headers: h });
    assert.is(head.headers.get('content-length'), String(ENC));
    const stats = otaOf(small.ctx).cache.stats();
    assert.is(stats.cached_bytes, 0);
    assert.is(stats.streamed_images, 1);
    // The JSON chunk route reads single chunks from the file too.
    const d = await SimDevice.register(small, 'st-1');
    await d.request('POST', '/ota/initiate/st-1', { firmware_version: '1.0.5' });
    const c = await d.request<{ chunk_data: string }>('GET', '/ota/chunk/st-1?version=1.0.5&chunk=97');
    assert.ok(Buffer.from(c.json.chunk_data, 'base64').equals(img.encrypted.subarray(97 * 1024, 98 * 1024)));
  } finally {
    await small.close();
  }
});

test('an image whose bytes differ from its signed chunk hashes is refused with 503', async () => {
  const other = await otaFixture([{ version: '2.0.0', size: 3000 }]);
  const path = join(other.firmwareDir, imageFileName('2.0.0'));
  const bytes = await readFile(path);
  bytes[1500] = bytes[1500]! ^ 0xff;
  await writeFile(path, bytes);
  const g = await otaGateway(other);
  try {
    const res = await g.app.request('/ota/firmware/2.0.0', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.is(res.status, 503);
  } finally {
    await g.destroy();
    await rm(other.dir, { recursive: true, force: true });
  }
});

test('a newly packaged image is served without a restart; re-packaging changes the ETag', async () => {
  const before = (await (await gw.admin('GET', '/ota/images')).json()) as { count: number };
  await fx.addImage({ version: '1.0.6', size: 2000 });
  await new Promise((r) => setTimeout(r, 1100)); // the directory is checked at most once a second
  const after = (await (await gw.admin('GET', '/ota/images')).json()) as { count: number; images: { version: string; etag: string }[] };
  assert.is(after.count, before.count + 1);
  assert.ok(after.images.some((i) => i.version === '1.0.6'));
  const oldTag = after.images.find((i) => i.version === '1.0.6')!.etag;
  await fx.addImage({ version: '1.0.6', size: 2000 }); // same version, new IV → new chunk root
  await otaOf(gw.ctx).catalog.reload();
  const r = await get({ range: 'bytes=0-15', 'if-range': oldTag }, 'GET', '/ota/firmware/1.0.6');
  assert.is(r.res.status, 200, 'old ETag: the full new image');
  assert.is.not(r.res.headers.get('etag'), oldTag);
  assert.ok(r.bytes.equals(fx.images.get('1.0.6')!.encrypted));
});

test('an image completed in place (a copy finishing) is picked up, though the directory\'s mtime did not change', async () => {
  const src = await otaFixture([{ version: '1.0.8', size: 70_000, chunkSize: 4096, formatVersion: 2 }]);
  const listed = await copySlowly(gw, src, '1.0.8', fx.firmwareDir);
  assert.ok(listed.images.some((i) => i.version === '1.0.8'), JSON.stringify(listed.problems));
  assert.not.match(JSON.stringify(listed.problems), /1\.0\.8/);
});

test.run();
