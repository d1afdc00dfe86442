/**
 * Two gateways on one PostgreSQL database, each with a FIRMWARE_DIR of its own (in-process
 * replicas sharing KEYS_DIR, as replicas must): an image placed in replica A's directory is served
 * by replica B, which never saw the files and streams it from the database (its cache bound is 0),
 * with A's ETag, bytes, ranges (also across the 64 KiB rows), If-Range, If-None-Match, HEAD and 416,
 * and the same manifest and hash pages; an image packaged into A's directory while both run
 * reaches B without a request to A; one whose bytes differ from its chunk hashes is never stored
 * (a problem listed on A, 404 everywhere — where the embedded store lists it and answers 503 on
 * use); a device updating through both replicas in any order sees one
 * gateway (one session, its progress, one counted result).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashesFileName, imageFileName, manifestFileName, type ManifestV2 } from '../../server/ota/manifest.ts';
import { otaOf } from '../../server/ota/routes.ts';
import { FirmwareVerifier } from '../../server/ota/verify.ts';
import { ADMIN_TOKEN, startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { copySlowly, otaFixture, SimDevice, type OtaFixture } from './routes-helpers.ts';

let fxA: OtaFixture;
let a: TestGateway;
let b: TestGateway;
const SIZE = 300_016; // encrypted size of a 300,000-byte image
type Images = { count: number; images: { version: string; etag: string }[]; problems: unknown[] };

test.before(async () => {
  fxA = await otaFixture([
    { version: '2.0.0', counter: 2, size: 300_000, chunkSize: 4096, formatVersion: 2 },
    { version: '1.5.0', counter: 1, size: 5000, formatVersion: 1 },
  ]);
  const fxB = await otaFixture([]);
  const url = await freshDatabase();
  a = await startTestGateway({ dir: fxA.dir, env: { DATABASE_URL: url } });
  b = await startTestGateway({ dir: fxB.dir, env: { DATABASE_URL: url, KEYS_DIR: join(fxA.dir, 'keys'), OTA_CACHE_MAX_BYTES: '0' } });
});

test.after(async () => {
  await b?.destroy();
  await a?.destroy();
});

const get = async (gw: TestGateway, headers: Record<string, string> = {}, method = 'GET', path = '/ota/firmware/2.0.0') => {
  const res = await gw.app.request(path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
};
const HEADERS = ['etag', 'content-type', 'content-length', 'content-range', 'accept-ranges', 'cache-control', 'content-disposition'];

test('an image placed in A\'s FIRMWARE_DIR is served by B with the same ETag, ranges, If-Range, If-None-Match, HEAD and 416', async () => {
  const listed = (await (await b.admin('GET', '/ota/images')).json()) as Images;
  assert.equal(listed.images.map((i) => i.version), ['1.5.0', '2.0.0']);
  assert.equal(listed.problems, []);
  const etag = listed.images[1]!.etag;
  const image = fxA.images.get('2.0.0')!.encrypted;
  const cases: [Record<string, string>, string?][] = [
    [{}],
    [{ range: 'bytes=0-0' }],
    [{ range: 'bytes=65530-65545' }],
    [{ range: 'bytes=100-200000' }],
    [{ range: 'bytes=-16' }],
    [{ range: 'bytes=250000-' }],
    [{ range: `bytes=${SIZE}-` }],
    [{ range: 'bytes=0-99,500-599' }],
    [{ range: 'bytes=10-19', 'if-range': etag }],
    [{ range: 'bytes=10-19', 'if-range': '"0000"' }],
    [{ 'if-none-match': etag }],
    [{ range: 'bytes=-10' }, 'HEAD'],
    [{}, 'HEAD'],
  ];
  for (const [headers, method] of cases) {
    const [x, y] = [await get(a, headers, method), await get(b, headers, method)];
    const what = `${method ?? 'GET'} ${JSON.stringify(headers)}`;
    assert.is(y.res.status, x.res.status, what);
    for (const h of HEADERS) assert.is(y.res.headers.get(h), x.res.headers.get(h), `${what}: ${h}`);
    assert.ok(y.bytes.equals(x.bytes), `${what}: body`);
    const range = /^bytes (\d+)-(\d+)\//.exec(y.res.headers.get('content-range') ?? '');
    if (y.res.status === 206 && method !== 'HEAD') assert.ok(y.bytes.equals(image.subarray(Number(range![1]), Number(range![2]) + 1)), `${what}: the image's bytes`);
  }
  assert.is((await get(b)).res.headers.get('etag'), etag);
  const stats = otaOf(b.ctx).cache.stats();
  assert.equal([stats.cached_bytes, stats.streamed_images], [0, 1], 'B streamed it from the database');
});

test('B answers the manifest and hash pages as A does; a device verifies the whole image fetched from B', async () => {
  const onA = await SimDevice.register(a, 'pager');
  const onB = new SimDevice(b, 'pager', onA.key);
  const sync = (d: SimDevice) => ((d.nonce = Math.max(onA.nonce, onB.nonce)), d);
  const ma = await sync(onA).request<ManifestV2>('GET', '/ota/manifest/2.0.0');
  const mb = await sync(onB).request<ManifestV2>('GET', '/ota/manifest/2.0.0');
  assert.is(JSON.stringify(mb.json), JSON.stringify(ma.json), 'the same manifest, member for member');
  const v = new FirmwareVerifier(mb.json, fxA.verify);
  const pages = async (gw: TestGateway, d: SimDevice, p: number) => {
    sync(d);
    const res = await gw.deviceRequest(d.id, d.key, ++d.nonce, 'GET', `/ota/hashes/2.0.0?page=${p}`);
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  };
  for (let p = 0; p < mb.json.total_pages; p++) {
    const [x, y] = [await pages(a, onA, p), await pages(b, onB, p)];
    assert.equal([x.status, y.status], [200, 200]);
    assert.ok(y.bytes.equals(x.bytes), `page ${p}`);
  }
  assert.is((await pages(b, onB, mb.json.total_pages)).status, 416);
  const plain: Buffer[] = [];
  for (let i = 0; i < v.header.totalChunks; i++) {
    const page = v.pageNeeded(i);
    if (page !== undefined) v.acceptPage(page, (await pages(b, onB, page)).bytes);
    const start = i * 4096;
    const { res, bytes } = await sync(onB).download('/ota/firmware/2.0.0', { range: `bytes=${start}-${Math.min(start + 4095, SIZE - 1)}` });
    assert.is(res.status, 206);
    plain.push(v.acceptChunk(i, bytes));
  }
  assert.is(v.finish().version, '2.0.0');
  assert.ok(Buffer.concat(plain).equals(fxA.images.get('2.0.0')!.plain));
});

test('an image packaged into A\'s directory while both run reaches B without any request to A', async () => {
  const added = await fxA.addImage({ version: '2.1.0', size: 70_000, chunkSize: 4096, formatVersion: 2 });
  const deadline = Date.now() + 8000;
  let images: Images = { count: 0, images: [], problems: [] };
  while (Date.now() < deadline) {
    images = (await (await b.admin('GET', '/ota/images')).json()) as Images;
    if (images.images.some((i) => i.version === '2.1.0')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(images.images.find((i) => i.version === '2.1.0')?.etag, `"${added.manifest.format_version === 2 ? added.manifest.hash_root : ''}"`);
  const { res, bytes } = await get(b, { range: 'bytes=65000-69999' }, 'GET', '/ota/firmware/2.1.0');
  assert.is(res.status, 206);
  assert.ok(bytes.equals(added.encrypted.subarray(65000, 70000)));
});

test('an image in A\'s directory whose bytes differ from its chunk hashes is never stored: a problem on A, 404 on both', async () => {
  // Packaged elsewhere, then placed tampered: image and hash table first, the manifest last.
  const other = await otaFixture([{ version: '2.2.0', size: 20_000, chunkSize: 4096, formatVersion: 2 }]);
  const bytes = Buffer.from(other.images.get('2.2.0')!.encrypted);
  bytes[10_000] = bytes[10_000]! ^ 0xff;
  await writeFile(join(fxA.firmwareDir, imageFileName('2.2.0')), bytes);
  for (const name of [hashesFileName('2.2.0'), manifestFileName('2.2.0')]) await copyFile(join(other.firmwareDir, name), join(fxA.firmwareDir, name));
  const deadline = Date.now() + 8000;
  let images: Images = { count: 0, images: [], problems: [] };
  while (Date.now() < deadline && images.problems.length === 0) {
    await new Promise((r) => setTimeout(r, 100));
    images = (await (await a.admin('GET', '/ota/images')).json()) as Images;
  }
  assert.match(JSON.stringify(images.problems), /2\.2\.0.*not stored: chunk 2 does not match its signed hash/);
  assert.not.ok(images.images.some((i) => i.version === '2.2.0'));
  for (const gw of [a, b]) assert.is((await get(gw, {}, 'GET', '/ota/firmware/2.2.0')).res.status, 404);
});

test('an image completed in place in A\'s directory (a copy finishing) is stored and reaches B', async () => {
  const src = await otaFixture([{ version: '2.3.0', size: 70_000, chunkSize: 4096, formatVersion: 2 }]);
  const listed = await copySlowly(a, src, '2.3.0', fxA.firmwareDir);
  assert.ok(listed.images.some((i) => i.version === '2.3.0'), JSON.stringify(listed.problems));
  const deadline = Date.now() + 4000;
  let status = 0;
  while (Date.now() < deadline && (status = (await get(b, {}, 'GET', '/ota/firmware/2.3.0')).res.status) !== 200) await new Promise((r) => setTimeout(r, 100));
  assert.is(status, 200, 'B serves it (from the database)');
});

test('a device updating through both replicas in any order sees one gateway: one session, its progress, one result', async () => {
  const onA = await SimDevice.register(a, 'meter-r');
  const onB = new SimDevice(b, 'meter-r', onA.key);
  const via = (gw: TestGateway) => {
    const d = gw === a ? onA : onB;
    d.nonce = Math.max(onA.nonce, onB.nonce);
    return d;
  };
  const check = await via(b).request<{ update_available: boolean; latest_version: string }>('GET', '/ota/check/meter-r?version=1.0.0&security_counter=1');
  // 2.1.0 (counter 0) is below the floor this device reports: 2.0.0 (counter 2) is its offer.
  assert.equal([check.status, check.json.update_available, check.json.latest_version], [200, true, '2.0.0']);
  const started = await via(a).request<{ session_id: string; outcome: string }>('POST', '/ota/initiate/meter-r', { firmware_version: '1.5.0' });
  assert.is(started.json.outcome, 'created');
  for (let i = 0; i < 5; i++) {
    const c = await via(i % 2 ? a : b).request<{ chunk_index: number }>('GET', `/ota/chunk/meter-r?version=1.5.0&chunk=${i}`);
    assert.is(c.status, 200, `chunk ${i}`);
  }
  const resumed = await via(b).request<{ session_id: string; outcome: string }>('POST', '/ota/initiate/meter-r', { firmware_version: '1.5.0' });
  assert.equal([resumed.json.outcome, resumed.json.session_id], ['resumed', started.json.session_id]);
  const conflict = await via(a).request<{ error: { code: string } }>('POST', '/ota/initiate/meter-r', { firmware_version: '2.0.0' });
  assert.equal([conflict.status, conflict.json.error.code], [409, 'ota_session_active']);
  const done = await via(b).request<{ counted: boolean; session_id: string }>('POST', '/ota/complete/meter-r', { version: '1.5.0', success: true });
  assert.equal([done.json.counted, done.json.session_id], [true, started.json.session_id]);
  const again = await via(a).request<{ counted: boolean }>('POST', '/ota/complete/meter-r', { version: '1.5.0', success: true });
  assert.is(again.json.counted, false, 'the repeat reached the other replica and was not counted');
  await Promise.all([otaOf(a.ctx).state.flush(), otaOf(b.ctx).state.flush()]);
  // Chunks served by both replicas all count (next_chunk, a resume hint, follows each replica's
  // order of flushing and may lag when one device's chunks alternate between replicas).
  const status = (await (await a.admin('GET', '/ota/status/meter-r')).json()) as { successes: number; current_version: string; session: { status: string; chunks_served: number; bytes_served: number } };
  assert.equal([status.successes, status.current_version, status.session.status, status.session.chunks_served, status.session.bytes_served], [1, '1.5.0', 'completed', 5, 5008]);
  const stats = (await (await b.admin('GET', '/ota/stats')).json()) as { versions: Record<string, { chunks_served: number; successes: number; sessions_resumed: number }> };
  assert.equal([stats.versions['1.5.0']!.chunks_served, stats.versions['1.5.0']!.successes, stats.versions['1.5.0']!.sessions_resumed], [5, 1, 1]);
});

test.run();
