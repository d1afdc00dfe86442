/**
 * Releases through the routes: a build that reaches the gateway is a draft (offered to nobody,
 * downloadable by admins only); publish re-checks it at that moment — an image packaged with other
 * keys is refused, and swapping KEYS_DIR's public key in a running gateway changes the verdict
 * without a restart; a tampered chunk is refused naming it; the security-counter rule; yank (410
 * on every device route, also for a session or range download in progress); uploads over
 * PUT /ota/images/:version; the listing with state, who and when; one audit record per action.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initKeys, loadSigningKeys, type SigningKeys } from '../../server/ota/keys.ts';
import { IMAGE_BLOCK } from '../../server/ota/image-store.ts';
import { imageFileName } from '../../server/ota/manifest.ts';
import type { PostgresStore } from '../../server/store/postgres/index.ts';
import { writeMultipart } from '../../server/http/multipart.ts';
import { ADMIN_TOKEN, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { otaFixture, otaGateway, publishImage, SimDevice, uploadImage, uploadParts, type OtaFixture } from './routes-helpers.ts';

type Json = Record<string, any>;

let fx: OtaFixture;
let gw: TestGateway;
let otherKeys: { dir: string; signing: SigningKeys };

test.before(async () => {
  // Another build machine: `fleetgate keys init` run again, into a directory of its own.
  const dir = await tempDir('fleetgate-other-keys-');
  await initKeys(dir, { bits: 2048 });
  otherKeys = { dir, signing: await loadSigningKeys(dir) };
});

test.before.each(async () => {
  fx = await otaFixture([{ version: '1.0.0', counter: 2 }]);
  gw = await otaGateway(fx);
});

test.after.each(async () => {
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

const json = async (res: Response | Promise<Response>) => {
  const r = await res;
  return { status: r.status, body: (await r.json()) as Json };
};
const images = async () => (await json(gw.admin('GET', '/ota/images'))).body.images as Json[];
const image = async (v: string) => (await images()).find((i) => i.version === v)!;
const publish = (v: string, body?: unknown) => json(gw.admin('POST', `/ota/images/${v}/publish`, body));
const audit = async () => ((await json(gw.admin('GET', '/audit?limit=10000'))).body.entries as Json[]).filter((e) => e.action.startsWith('release.'));

test('images present at the first start are published to everyone; a new one is a draft, offered to nobody, downloadable by admins only', async () => {
  const legacy = await image('1.0.0');
  assert.equal([legacy.state, legacy.general, legacy.offered_to, legacy.release.origin, legacy.release.published_by], ['published', true, 'everyone', 'legacy', 'system']);
  await fx.addImage({ version: '1.1.0', counter: 2 });
  await otaOf();
  const draft = await image('1.1.0');
  assert.equal([draft.state, draft.offered_to, draft.release.origin, draft.release.recorded_by, draft.signature.status], ['draft', 'nobody', 'firmware_dir', 'system', 'valid']);
  const d = await SimDevice.register(gw, 'meter-1');
  assert.is((await d.request('GET', '/ota/check/meter-1?version=0.9.0')).json.latest_version, '1.0.0', 'the draft is not offered');
  const init = await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.1.0' });
  assert.equal([init.status, (init.json.error as Json).code], [409, 'not_assigned']);
  assert.is((await d.download('/ota/firmware/1.1.0')).res.status, 409);
  assert.is((await gw.admin('GET', '/ota/firmware/1.1.0')).status, 200, 'an admin may download a draft');
  const publicGw = await otaGateway(fx, { env: { OTA_PUBLIC_DOWNLOADS: '1' } });
  try {
    assert.is((await publicGw.app.request('/ota/firmware/1.1.0')).status, 404, 'anonymous downloads never see drafts');
    assert.is((await publicGw.app.request('/ota/firmware/1.0.0')).status, 200);
  } finally {
    await publicGw.close();
  }
  const records = await audit();
  assert.equal(records.map((e) => [e.actor, e.action, e.details.version]), [
    ['system', 'release.published', '1.0.0'],
    ['system', 'release.uploaded', '1.1.0'],
  ]);
});

test('the listing shows a build found in FIRMWARE_DIR once its draft record is stored, not while the write is on its way', async () => {
  const repo = gw.ctx.store.releases;
  const addDraft = repo.addDraft.bind(repo);
  const stored: string[] = [];
  // A slow disk: the record is in memory at once, its write takes 300 ms.
  repo.addDraft = (draft) => {
    const done = addDraft(draft);
    return new Promise((r) => setTimeout(r, 300)).then(async () => {
      const out = await done;
      stored.push(draft.version);
      return out;
    });
  };
  try {
    await fx.addImage({ version: '1.2.0', counter: 2 });
    await otaOf(); // the reload records the draft behind it
    assert.is((await image('1.2.0')).state, 'draft');
    assert.ok(stored.includes('1.2.0'), 'the listing waited for the record to be stored');
  } finally {
    repo.addDraft = addDraft;
    await new Promise((r) => setTimeout(r, 350)); // a write the listing did not wait for ends before teardown
  }
});

/** The catalog notices FIRMWARE_DIR changes within a second; an admin naming the version reloads it at once. */
async function otaOf(): Promise<void> {
  const { otaOf: of } = await import('../../server/ota/routes.ts');
  await of(gw.ctx).catalog.reload();
}

test('publish: an image packaged with other keys is refused; swapping KEYS_DIR in the running gateway changes that, no restart', async () => {
  await fx.addImage({ version: '1.1.0', counter: 2, signing: otherKeys.signing });
  const refused = await publish('1.1.0');
  assert.equal([refused.status, refused.body.error.code, refused.body.error.check], [409, 'signature_invalid', 'key_id']);
  assert.is((await image('1.1.0')).signature.status, 'invalid', 'the listing says so before anyone publishes');
  await fx.addImage({ version: '1.2.0', counter: 2 });
  // The gateway's KEYS_DIR now gets the other build machine's public key (copied over, a new file).
  const keysDir = join(fx.dir, 'keys');
  await copyFile(join(otherKeys.dir, 'server_public_key.pem'), join(keysDir, 'server_public_key.pem.new'));
  await rm(join(keysDir, 'server_public_key.pem'));
  await copyFile(join(keysDir, 'server_public_key.pem.new'), join(keysDir, 'server_public_key.pem'));
  const now = await publish('1.1.0');
  assert.equal([now.status, now.body.release.state], [200, 'published'], JSON.stringify(now.body));
  const old = await publish('1.2.0');
  assert.equal([old.status, old.body.error.code], [409, 'signature_invalid'], 'signed with the key the gateway no longer holds');
  // No key at all: nothing can be published.
  await rm(join(keysDir, 'server_public_key.pem'));
  const none = await publish('1.2.0');
  assert.equal([none.status, none.body.error.code], [409, 'no_verification_key']);
});

/** Flips one stored ciphertext bit of `version` where the store keeps it: FIRMWARE_DIR's file, or the database row. */
async function flipStoredBit(version: string, offset: number): Promise<void> {
  if (gw.ctx.store.backend === 'postgres') {
    const { sql } = gw.ctx.store as PostgresStore;
    await sql`UPDATE firmware_blocks SET data = set_byte(data, ${offset % IMAGE_BLOCK}, get_byte(data, ${offset % IMAGE_BLOCK}) # 1)
      WHERE block = ${Math.floor(offset / IMAGE_BLOCK)} AND build_id = (SELECT build_id FROM firmware_builds WHERE version = ${version} AND retired_at IS NULL)`;
    return;
  }
  const path = join(fx.firmwareDir, imageFileName(version));
  const bytes = await readFile(path);
  bytes[offset]! ^= 0x01;
  await writeFile(path, bytes);
}

test('publish: every chunk is checked at that moment (a tampered chunk is refused, naming it); the draft stays a draft', async () => {
  await fx.addImage({ version: '1.1.0', counter: 2, size: 9000 });
  await otaOf(); // FIRMWARE_DIR is re-checked at most once a second: now, not within the second
  assert.is((await image('1.1.0')).state, 'draft', 'stored (with a database: imported from the inbox)');
  await flipStoredBit('1.1.0', 5000);
  const refused = await publish('1.1.0');
  assert.equal([refused.status, refused.body.error.code, refused.body.error.check, refused.body.error.chunk], [409, 'chunk_hash_mismatch', 'chunk_hash', 4]);
  assert.is((await image('1.1.0')).state, 'draft');
  await flipStoredBit('1.1.0', 5000);
  assert.is((await publish('1.1.0')).status, 200);
});

test('publish: a lower security counter than a released build needs allow_lower_counter, and still never reaches a device above it', async () => {
  await fx.addImage({ version: '1.1.0', counter: 1 });
  const refused = await publish('1.1.0', { general: true });
  assert.equal([refused.status, refused.body.error.code, refused.body.error.higher_release], [409, 'lower_security_counter', '1.0.0']);
  const ok = await publish('1.1.0', { general: true, allow_lower_counter: true });
  assert.equal([ok.status, ok.body.release.state, ok.body.release.general], [200, 'published', true]);
  const low = await SimDevice.register(gw, 'low-1');
  const high = await SimDevice.register(gw, 'high-1');
  assert.is((await low.request('GET', '/ota/check/low-1?version=1.0.0&security_counter=1')).json.latest_version, '1.1.0');
  assert.is((await high.request('GET', '/ota/check/high-1?version=1.0.0&security_counter=2')).json.update_available, false);
  const init = await high.request('POST', '/ota/initiate/high-1', { firmware_version: '1.1.0' });
  assert.equal([init.status, (init.json.error as Json).code], [409, 'security_counter_too_low']);
  const again = await publish('1.1.0');
  assert.equal([again.status, again.body.changed], [200, false], 'publishing again changes nothing');
});

test('yank: 410 yanked on every device route, for a chunk session and a range download in progress too; no new offer', async () => {
  await fx.addImage({ version: '1.1.0', counter: 2, formatVersion: 2, size: 20_000, chunkSize: 4096 });
  await publishImage(gw, '1.1.0');
  const chunkDevice = await SimDevice.register(gw, 'chunky');
  const rangeDevice = await SimDevice.register(gw, 'ranger');
  assert.is((await chunkDevice.request('GET', '/ota/check/chunky?version=1.0.0')).json.latest_version, '1.1.0');
  assert.is((await chunkDevice.request('POST', '/ota/initiate/chunky', { firmware_version: '1.1.0' })).status, 200);
  assert.is((await chunkDevice.request('GET', '/ota/chunk/chunky?version=1.1.0&chunk=0')).status, 200);
  assert.is((await rangeDevice.request('GET', '/ota/manifest/1.1.0')).status, 200);
  assert.is((await rangeDevice.download('/ota/firmware/1.1.0', { range: 'bytes=0-4095' })).res.status, 206);

  const yanked = await json(gw.admin('POST', '/ota/images/1.1.0/yank', { reason: 'boot loop on rev B' }));
  assert.equal([yanked.status, yanked.body.release.state, yanked.body.release.yanked_by, yanked.body.release.yank_reason], [200, 'yanked', 'token:bootstrap', 'boot loop on rev B']);
  const gone = (r: { status: number; json: Json }) => [r.status, (r.json.error as Json | undefined)?.code];
  assert.equal(gone(await chunkDevice.request('GET', '/ota/chunk/chunky?version=1.1.0&chunk=1')), [410, 'yanked'], 'the session in progress hears it');
  const range = await rangeDevice.download('/ota/firmware/1.1.0', { range: 'bytes=4096-8191' });
  assert.equal([range.res.status, JSON.parse(range.bytes.toString()).error.code], [410, 'yanked'], 'so does the range download');
  assert.equal(gone(await rangeDevice.request('GET', '/ota/hashes/1.1.0?page=0')), [410, 'yanked']);
  assert.equal(gone(await rangeDevice.request('GET', '/ota/manifest/1.1.0')), [410, 'yanked']);
  assert.equal(gone(await chunkDevice.request('POST', '/ota/initiate/chunky', { firmware_version: '1.1.0' })), [410, 'yanked']);
  const check = await rangeDevice.request('GET', '/ota/check/ranger?version=1.0.0');
  assert.is(check.json.update_available, false, 'offered to nobody');
  assert.is((await gw.admin('GET', '/ota/firmware/1.1.0')).status, 200, 'admins may still fetch it (to look into it)');
  const listed = await image('1.1.0');
  assert.equal([listed.state, listed.offered_to, listed.release.yanked_by], ['yanked', 'nobody', 'token:bootstrap']);
  const republish = await publish('1.1.0');
  assert.equal([republish.status, republish.body.error.code], [409, 'release_yanked']);
  assert.is((await json(gw.admin('POST', '/ota/images/1.1.0/yank'))).body.changed, false, 'yanking again changes nothing');
  await fx.addImage({ version: '1.2.0', counter: 2 });
  const draft = await json(gw.admin('POST', '/ota/images/1.2.0/yank'));
  assert.equal([draft.status, draft.body.error.code], [409, 'not_published']);
  assert.equal((await json(gw.admin('POST', '/ota/images/9.9.9/yank'))).status, 404);
});

test('upload: PUT /ota/images/:version stores a draft (streamed, checked); the same again is unchanged; a released version is never replaced', async () => {
  const img = await fx.addImage({ version: '2.0.0', counter: 2, formatVersion: 2, size: 30_000, chunkSize: 4096, stage: true });
  const first = await uploadImage(gw, '2.0.0', uploadParts(img));
  const body = (await first.json()) as Json;
  assert.equal([first.status, body.outcome, body.release.state, body.release.origin, body.release.recorded_by], [201, 'stored', 'draft', 'upload', 'token:bootstrap']);
  assert.is((await image('2.0.0')).build, body.release.build);
  const stored = Buffer.from(await (await gw.admin('GET', '/ota/firmware/2.0.0')).arrayBuffer());
  assert.ok(stored.equals(img.encrypted), 'stored byte for byte');
  const again = await uploadImage(gw, '2.0.0', uploadParts(img));
  assert.equal([again.status, ((await again.json()) as Json).outcome], [200, 'unchanged']);
  assert.is((await publish('2.0.0')).status, 200);
  const rebuilt = await fx.addImage({ version: '2.0.0', counter: 2, formatVersion: 2, size: 30_000, chunkSize: 4096, stage: true });
  const replaced = await uploadImage(gw, '2.0.0', uploadParts(rebuilt));
  assert.equal([replaced.status, ((await replaced.json()) as Json).error.code], [409, 'release_exists']);
  assert.equal((await audit()).filter((e) => e.details.version === '2.0.0').map((e) => [e.actor, e.action]), [
    ['token:bootstrap', 'release.uploaded'],
    ['token:bootstrap', 'release.published'],
  ]);
});

test('upload: bad input is a clear 4xx and stores nothing', async () => {
  const img = await fx.addImage({ version: '2.0.0', counter: 2, formatVersion: 2, size: 30_000, chunkSize: 4096, stage: true });
  const [manifest, hashes, bytes] = uploadParts(img) as [any, any, any];
  const code = async (res: Promise<Response>) => {
    const r = await res;
    return [r.status, ((await r.json()) as Json).error.code];
  };
  const tampered = Buffer.from(img.encrypted);
  tampered[12_345]! ^= 0xff;
  assert.equal(await code(uploadImage(gw, '2.0.0', [manifest, hashes, { ...bytes, body: tampered }])), [400, 'firmware_check_failed']);
  assert.equal(await code(uploadImage(gw, '2.0.0', [manifest, hashes, { ...bytes, length: 100, body: img.encrypted.subarray(0, 100) }])), [400, 'firmware_check_failed']);
  const longer = Buffer.concat([img.encrypted, Buffer.alloc(32)]);
  assert.equal(await code(uploadImage(gw, '2.0.0', [manifest, hashes, { ...bytes, length: longer.length, body: longer }])), [413, 'payload_too_large']);
  assert.equal(await code(uploadImage(gw, '2.1.0', uploadParts(img))), [400, 'invalid_image'], 'the URL names another version');
  assert.equal(await code(uploadImage(gw, '2.0.0', [manifest, bytes])), [400, 'invalid_image'], 'format 2 without its hash table');
  assert.equal(await code(uploadImage(gw, '2.0.0', [bytes, manifest])), [400, 'invalid_multipart']);
  const junk = Buffer.from('{"version":"2.0.0"}');
  assert.equal(await code(uploadImage(gw, '2.0.0', [{ name: 'manifest', length: junk.length, body: junk }, hashes, bytes])), [400, 'firmware_check_failed'], 'check manifest_format');
  const plain = await gw.app.request('/ota/images/2.0.0', { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
  assert.is(plain.status, 415);
  const cut = await gw.app.request('/ota/images/2.0.0', {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'multipart/form-data; boundary=xyz' },
    body: '--xyz\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n{"a":',
  });
  assert.equal([cut.status, ((await cut.json()) as Json).error.code], [400, 'invalid_multipart']);
  const huge = await gw.app.request('/ota/images/2.0.0', {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'multipart/form-data; boundary=xyz', 'content-length': String(64 * 1024 * 1024) },
    body: 'x',
  });
  assert.is(huge.status, 413);
  assert.is((await images()).find((i) => i.version === '2.0.0'), undefined, 'nothing stored');
  assert.equal((await gw.ctx.store.releases.list()).filter((r) => r.version !== '1.0.0'), [], 'no release record either (no draft without an image)');
  const latest = await json(gw.admin('PUT', '/ota/images/latest', {}));
  assert.equal([latest.status, latest.body.error.message], [400, 'path parameter version: must be a semantic version like 1.0.5']);
  const nul = await json(gw.admin('POST', '/ota/images/%00/publish'));
  assert.equal([nul.status, nul.body.error.message], [400, 'path parameter version: must be a semantic version like 1.0.5']);
});

test('upload: a refused upload leaves no record; the good one after it is recorded as itself, then (not at the failed attempt)', async () => {
  const img = await fx.addImage({ version: '2.0.0', counter: 2, formatVersion: 2, size: 30_000, chunkSize: 4096, stage: true });
  const [manifest, hashes, bytes] = uploadParts(img) as [any, any, any];
  const tampered = Buffer.from(img.encrypted);
  tampered[5000]! ^= 0xff;
  const refused = await uploadImage(gw, '2.0.0', [manifest, hashes, { ...bytes, body: tampered }]);
  assert.equal([refused.status, ((await refused.json()) as Json).error.code], [400, 'firmware_check_failed']);
  assert.is((await gw.ctx.store.releases.list()).find((r) => r.version === '2.0.0'), undefined, 'no draft recorded');
  assert.is((await json(gw.admin('POST', '/ota/images/2.0.0/yank', {}))).status, 404, 'unknown, not "a draft"');
  const failedAt = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  const good = await json(uploadImage(gw, '2.0.0', uploadParts(img)));
  assert.equal([good.status, good.body.release.origin], [201, 'upload']);
  assert.ok(Date.parse(good.body.release.recorded_at) > failedAt, 'recorded when stored');
  assert.equal((await audit()).filter((e) => e.details.version === '2.0.0').map((e) => [e.actor, e.action, e.details.origin]), [['token:bootstrap', 'release.uploaded', 'upload']]);
});

test('upload: the image is streamed — a bad chunk near the start is refused long before the body ends', async () => {
  const img = await fx.addImage({ version: '3.0.0', counter: 2, formatVersion: 2, size: 8 << 20, chunkSize: 4096, stage: true });
  const bad = Buffer.from(img.encrypted);
  bad[70_000]! ^= 0x01; // chunk 17
  const parts = uploadParts(img);
  parts[2] = { ...parts[2]!, body: bad };
  const m = writeMultipart(parts);
  // 64 KiB per pull, as a socket delivers it: the stream is asked for more only as it is read.
  const pieces: Uint8Array[] = [];
  for await (const part of m.bytes()) for (let at = 0; at < part.length; at += 65_536) pieces.push(part.subarray(at, at + 65_536));
  let sent = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const piece = pieces.shift();
        if (!piece) return controller.close();
        sent += piece.length;
        controller.enqueue(piece);
      },
    },
    { highWaterMark: 0 },
  );
  const res = await gw.app.request('/ota/images/3.0.0', {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': m.contentType },
    body,
    duplex: 'half',
  } as RequestInit);
  const answer = (await res.json()) as Json;
  assert.equal([res.status, answer.error.code, answer.error.check, answer.error.chunk], [400, 'firmware_check_failed', 'chunk_hash', 17]);
  assert.ok(sent < m.length / 2, `the gateway read ${sent} of ${m.length} bytes before refusing`);
  assert.is((await images()).find((i) => i.version === '3.0.0'), undefined, 'nothing stored');
});

test('every release action is one audit record naming the token; roles: a viewer and an operator get 403', async () => {
  const token = async (name: string, role: string) => ((await json(gw.admin('POST', '/tokens', { name, role }))).body.token as string);
  const alice = await token('alice', 'admin');
  const olga = await token('olga', 'operator');
  const img = await fx.addImage({ version: '2.0.0', counter: 2, stage: true });
  const as = (t: string, method: string, path: string) =>
    gw.app.request(path, { method, headers: { authorization: `Bearer ${t}` } });
  const before = (await audit()).length;
  assert.is((await uploadImage(gw, '2.0.0', uploadParts(img), alice)).status, 201);
  assert.is((await as(olga, 'POST', '/ota/images/2.0.0/publish')).status, 403, 'releases are for admins');
  assert.is((await as(alice, 'POST', '/ota/images/2.0.0/publish')).status, 200);
  assert.is((await as(alice, 'POST', '/ota/images/2.0.0/publish')).status, 200);
  assert.is((await as(alice, 'POST', '/ota/images/2.0.0/yank')).status, 200);
  assert.is((await uploadImage(gw, '2.0.0', uploadParts(img), olga)).status, 403);
  assert.equal((await audit()).slice(before).map((e) => [e.actor, e.action, e.details.version]), [
    ['token:alice', 'release.uploaded', '2.0.0'],
    ['token:alice', 'release.published', '2.0.0'],
    ['token:alice', 'release.yanked', '2.0.0'],
  ], 'the no-op second publish left no record');
  const listed = await image('2.0.0');
  assert.equal([listed.release.recorded_by, listed.release.published_by, listed.release.yanked_by], ['token:alice', 'token:alice', 'token:alice']);
  assert.ok(Date.parse(listed.release.published_at) > 0);
});

test.run();
