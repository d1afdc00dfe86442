/**
 * FirmwareImageRepo contract, on every backend (FIRMWARE_DIR files; PostgreSQL rows): an image put
 * is listed as the catalog checks it and read back byte for byte — ranges across 64 KiB rows,
 * streams in pieces of at most 64 KiB, format 1 and format 2 (with its hash table); the same build
 * again is "unchanged", a re-packaged build replaces it, an older one is refused; bytes that do not
 * match the signed chunk hashes (or too few) are refused with nothing stored, and a put in
 * progress is never visible half-written; images survive a restart. On PostgreSQL, two replicas:
 * an image put on one is seen by the other (notified) with the same bytes, and the same build put
 * by both at once is stored once.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { FirmwareCatalog, type CatalogImage } from '../../../server/ota/catalog.ts';
import { FirmwareCheckError } from '../../../server/ota/checks.ts';
import { IMAGE_BLOCK, type FirmwareImageRepo } from '../../../server/ota/image-store.ts';
import { draftRelease } from '../../../server/ota/releases.ts';
import { FirmwareDir } from '../../../server/store/embedded/firmware-images.ts';
import { otaFixture, type OtaFixture, type PackagedImage } from '../../ota/routes-helpers.ts';
import { contract } from './backends.ts';

/** Packaged images in a source directory of their own (not the store's), checked as the gateway checks them. */
async function source(specs: Parameters<OtaFixture['addImage']>[0][]): Promise<{ fx: OtaFixture; dir: FirmwareDir; image(v: string): Promise<CatalogImage>; bytes(v: string): Buffer }> {
  const fx = await otaFixture(specs);
  const dir = new FirmwareDir(fx.firmwareDir);
  return {
    fx,
    dir,
    image: async (v) => (await FirmwareCatalog.read(dir, { verifyKeys: fx.verify })).requireImage(v),
    bytes: (v) => fx.images.get(v)!.encrypted,
  };
}

async function collect(pieces: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const p of pieces) out.push(p);
  return out;
}

async function* chunksOf(buf: Buffer, size: number, gate?: { reached(): void; wait: Promise<void> }, failAt?: number): AsyncIterable<Uint8Array> {
  for (let at = 0; at < buf.length; at += size) {
    if (failAt !== undefined && at >= failAt) throw new Error('upload interrupted');
    if (gate && at >= buf.length / 2) {
      gate.reached();
      await gate.wait;
      gate = undefined;
    }
    yield buf.subarray(at, at + size);
  }
}

const stored = async (store: FirmwareImageRepo) => FirmwareCatalog.read(store);
const ETAG_OF = (c: FirmwareCatalog, v: string) => c.getImage(v)?.root;

contract('an image put is listed as checked and read back byte for byte (format 2 and format 1)', async (store) => {
  const src = await source([
    { version: '2.0.0', size: 200_000, chunkSize: 1024, formatVersion: 2 }, // 196 chunks in 4 hash pages
    { version: '1.0.0', size: 3000, chunkSize: 1024, formatVersion: 1 },
  ]);
  for (const v of ['2.0.0', '1.0.0']) {
    const image = await src.image(v);
    assert.is(await store.firmware.put(image, chunksOf(src.bytes(v), 7000), 'test'), 'stored');
  }
  const catalog = await stored(store.firmware);
  assert.equal(catalog.problems, []);
  assert.equal(catalog.listImages().map((i) => i.version), ['1.0.0', '2.0.0']);
  const v2 = catalog.requireImage('2.0.0');
  const original = await src.image('2.0.0');
  assert.equal([v2.root, v2.size, v2.manifest, v2.pages?.totalPages], [original.root, original.size, original.manifest, original.pages?.totalPages]);
  assert.ok(v2.chunkHashes.equals(original.chunkHashes));
  assert.is(v2.pages?.totalPages, 4);
  assert.ok(v2.pages!.answer(3).equals(original.pages!.answer(3)), 'the same hash page answers');
  assert.is(catalog.requireImage('1.0.0').pages, undefined);
  const bytes = src.bytes('2.0.0');
  for (const [a, b] of [[0, 16], [IMAGE_BLOCK - 10, IMAGE_BLOCK + 10], [100, 3 * IMAGE_BLOCK + 5], [bytes.length - 1, bytes.length]]) {
    assert.ok((await store.firmware.read(v2.ref, a!, b!)).equals(bytes.subarray(a, b)), `read ${a}..${b}`);
  }
  assert.ok((await catalog.readChunk('2.0.0', 70)).equals(bytes.subarray(70 * 1024, 71 * 1024)));
  const ranged = await collect(store.firmware.stream(v2.ref, 1000, 150_000));
  assert.ok(ranged.every((p) => p.length <= IMAGE_BLOCK), 'pieces of at most 64 KiB');
  assert.ok(Buffer.concat(ranged).equals(bytes.subarray(1000, 150_001)));
  assert.ok(Buffer.concat(await collect(store.firmware.stream(v2.ref, 0))).equals(bytes), 'to the end when no end is given');
});

contract('the same build again is unchanged; a re-packaged build replaces it; an older build is refused', async (store) => {
  const first = await source([{ version: '1.0.6', size: 5000 }]);
  const image = await first.image('1.0.6');
  assert.is(await store.firmware.put(image, chunksOf(first.bytes('1.0.6'), 4096), 'a'), 'stored');
  assert.is(await store.firmware.put(image, chunksOf(first.bytes('1.0.6'), 4096), 'b'), 'unchanged');
  assert.ok(await store.firmware.changed(), 'a put is a change');
  await new Promise((r) => setTimeout(r, 5)); // created_at has millisecond resolution
  const newer = await source([{ version: '1.0.6', size: 6000 }]);
  assert.is(await store.firmware.put(await newer.image('1.0.6'), chunksOf(newer.bytes('1.0.6'), 4096), 'c'), 'stored');
  let catalog = await stored(store.firmware);
  assert.is(ETAG_OF(catalog, '1.0.6'), (await newer.image('1.0.6')).root);
  assert.ok((await catalog.readChunk('1.0.6', 5)).equals(newer.bytes('1.0.6').subarray(5 * 1024, 6 * 1024)));
  assert.is(await store.firmware.put(image, chunksOf(first.bytes('1.0.6'), 4096), 'd'), 'older');
  catalog = await stored(store.firmware);
  assert.is(ETAG_OF(catalog, '1.0.6'), (await newer.image('1.0.6')).root, 'the newer build stays');
});

contract('bytes that differ from the signed chunk hashes, too few bytes, or a failed upload store nothing', async (store) => {
  const src = await source([{ version: '3.0.0', size: 150_000, chunkSize: 4096, formatVersion: 2 }]);
  const image = await src.image('3.0.0');
  const tampered = Buffer.from(src.bytes('3.0.0'));
  tampered[70_000] = tampered[70_000]! ^ 1;
  const refused = async (bytes: AsyncIterable<Uint8Array>, check: string) => {
    try {
      await store.firmware.put(image, bytes, 'test');
      assert.unreachable('expected the put to fail');
    } catch (err) {
      if (check === 'any') return;
      assert.instance(err, FirmwareCheckError);
      assert.is((err as FirmwareCheckError).check, check);
    }
  };
  await refused(chunksOf(tampered, 65_536), 'chunk_hash');
  await refused(chunksOf(src.bytes('3.0.0').subarray(0, 100_000), 65_536), 'image_size');
  await refused(chunksOf(Buffer.concat([src.bytes('3.0.0'), Buffer.alloc(1)]), 65_536), 'image_size');
  await refused(chunksOf(src.bytes('3.0.0'), 65_536, undefined, 100_000), 'any');
  assert.equal((await stored(store.firmware)).listImages(), [], 'nothing of any of them is visible');
  assert.is(await store.firmware.put(image, chunksOf(src.bytes('3.0.0'), 65_536), 'test'), 'stored', 'the good bytes are still taken');
});

contract('a put given its release draft: refused, nothing is recorded; stored, the database commits the record with the build', async (store, { backend }) => {
  const src = await source([{ version: '3.1.0', size: 50_000, chunkSize: 4096, formatVersion: 2 }]);
  const image = await src.image('3.1.0');
  const draft = draftRelease({ version: image.version, build: image.build, security_counter: image.header.securityCounter }, 'upload', 'token:t', 1_000);
  const tampered = Buffer.from(src.bytes('3.1.0'));
  tampered[10_000] = tampered[10_000]! ^ 1;
  try {
    await store.firmware.put(image, chunksOf(tampered, 65_536), 'test', draft);
    assert.unreachable('expected the put to fail');
  } catch (err) {
    assert.instance(err, FirmwareCheckError);
  }
  assert.equal(await store.releases.list(), [], 'no record of a refused build');
  assert.is(await store.firmware.put(image, chunksOf(src.bytes('3.1.0'), 65_536), 'test', draft), 'stored');
  // The embedded store leaves the record to the caller (files and a JSON document cannot commit as one).
  const added = await store.releases.addDraft(draft);
  assert.is(added.created, backend === 'embedded', 'the database recorded it with the build');
  assert.equal([added.release.origin, added.release.created_at], ['upload', 1_000]);
});

contract('a put in progress is not visible; the previous build is served until it completes', async (store) => {
  const old = await source([{ version: '4.0.0', size: 90_000, chunkSize: 4096, formatVersion: 2 }]);
  await store.firmware.put(await old.image('4.0.0'), chunksOf(old.bytes('4.0.0'), 65_536), 'old');
  await new Promise((r) => setTimeout(r, 5));
  const next = await source([{ version: '4.0.0', size: 300_000, chunkSize: 4096, formatVersion: 2 }]);
  let reached!: () => void;
  const half = new Promise<void>((r) => (reached = r));
  let release!: () => void;
  const gate = { reached: () => reached(), wait: new Promise<void>((r) => (release = r)) };
  const putting = store.firmware.put(await next.image('4.0.0'), chunksOf(next.bytes('4.0.0'), 65_536, gate), 'next');
  putting.catch(() => undefined); // awaited below; a failed assertion in between must not leave it unhandled
  await half;
  const during = await stored(store.firmware);
  assert.is(ETAG_OF(during, '4.0.0'), (await old.image('4.0.0')).root, 'half way: still the old build');
  assert.ok((await during.readChunk('4.0.0', 3)).equals(old.bytes('4.0.0').subarray(3 * 4096, 4 * 4096)));
  release();
  assert.is(await putting, 'stored');
  const after = await stored(store.firmware);
  assert.is(ETAG_OF(after, '4.0.0'), (await next.image('4.0.0')).root);
  assert.ok((await after.readChunk('4.0.0', 70)).equals(next.bytes('4.0.0').subarray(70 * 4096, 71 * 4096)));
});

contract('images survive a restart', async (store, { reopen }) => {
  const src = await source([{ version: '5.0.0', size: 70_000, chunkSize: 4096, formatVersion: 2 }]);
  await store.firmware.put(await src.image('5.0.0'), chunksOf(src.bytes('5.0.0'), 10_000), 'test');
  await store.close();
  const again = await reopen();
  const catalog = await stored(again.firmware);
  assert.is(ETAG_OF(catalog, '5.0.0'), (await src.image('5.0.0')).root);
  assert.ok(Buffer.concat(await collect(again.firmware.stream(catalog.requireImage('5.0.0').ref, 0))).equals(src.bytes('5.0.0')));
});

contract(
  'two replicas: an image put on one is announced to the other and read there byte for byte; the same build put by both is stored once',
  async (a, { reopen }) => {
    const b = await reopen();
    await stored(b.firmware);
    assert.is(await b.firmware.changed(), false, 'nothing new yet');
    const src = await source([{ version: '6.0.0', size: 100_000, chunkSize: 4096, formatVersion: 2 }, { version: '6.1.0', size: 50_000, chunkSize: 4096, formatVersion: 2 }]);
    await a.firmware.put(await src.image('6.0.0'), chunksOf(src.bytes('6.0.0'), 65_536), 'a');
    const deadline = Date.now() + 2000;
    while (!(await b.firmware.changed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(await b.firmware.changed(), 'b was notified');
    const seen = await stored(b.firmware);
    assert.is(ETAG_OF(seen, '6.0.0'), (await src.image('6.0.0')).root);
    assert.ok(Buffer.concat(await collect(b.firmware.stream(seen.requireImage('6.0.0').ref, 0))).equals(src.bytes('6.0.0')));
    const image = await src.image('6.1.0');
    const both = await Promise.all([a.firmware.put(image, chunksOf(src.bytes('6.1.0'), 65_536), 'a'), b.firmware.put(image, chunksOf(src.bytes('6.1.0'), 65_536), 'b')]);
    assert.equal(both.sort(), ['stored', 'unchanged']);
  },
  { only: ['postgres'] },
);

test.run();
