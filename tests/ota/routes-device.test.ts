/**
 * The device side of OTA serving, in-process: /ota/check offers (semver, anti-rollback floor from
 * reported and completed counters), /ota/initiate sessions (resume from the middle, 409 for a
 * fresh session of another version, replacement after 5 idle minutes under a fake clock),
 * /ota/chunk errors (400/404/416/409) and the ota_hash_mismatch fault caught by FirmwareVerifier
 * and refetched, /ota/complete feeding status and stats, the C client's request shapes, a full
 * check → initiate → chunks → verify → complete flow, and durability across a restart.
 */
import { test } from 'uvu';
import type { ManifestV1 } from '../../server/ota/manifest.ts';
import * as assert from 'uvu/assert';
import { rm } from 'node:fs/promises';
import { FakeClock } from '../../server/clock.ts';
import { FirmwareCheckError } from '../../server/ota/checks.ts';
import { FirmwareVerifier } from '../../server/ota/verify.ts';
import { abandonSilentSessions, otaOf } from '../../server/ota/routes.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { otaFixture, otaGateway, publishImage, SimDevice, type OtaFixture } from './routes-helpers.ts';

type Json = Record<string, unknown>;

let fx: OtaFixture;
let gw: TestGateway;
let clock: FakeClock;

test.before.each(async () => {
  fx = await otaFixture([
    { version: '1.0.4', counter: 1 },
    { version: '1.0.10', counter: 2, size: 10_000 },
    { version: '1.0.9', counter: 2 },
  ]);
  clock = new FakeClock();
  gw = await otaGateway(fx, { clock, env: { FAULTS_ENABLED: '1' } });
});

test.after.each(async () => {
  await gw.destroy();
  await rm(fx.dir, { recursive: true, force: true });
});

test('check: semver order (1.0.10 > 1.0.9), full manifest fields without the chunk table', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  const { status, json } = await d.request('GET', '/ota/check/meter-1?version=1.0.4');
  assert.is(status, 200);
  assert.is(json.update_available, true);
  assert.is(json.latest_version, '1.0.10');
  assert.is(json.version, '1.0.10');
  const m = fx.images.get('1.0.10')!.manifest as ManifestV1;
  for (const k of ['security_counter', 'encrypted_size', 'sha256_hash', 'signature', 'iv', 'chunk_size', 'total_chunks', 'manifest_header', 'manifest_signature', 'chunk_root', 'key_id', 'aes_key_id'] as const) {
    assert.equal(json[k], m[k], k);
  }
  assert.is(json.firmware_size, m.original_size);
  assert.not.ok('chunk_hashes' in json);
  // The C client's tokenizer holds 48 tokens: root + 2 per member, no arrays.
  assert.ok(1 + 2 * Object.keys(json).length <= 48, `${Object.keys(json).length} members`);
});

test('check: no update when current or newer; bad version is 400', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  let r = await d.request('GET', '/ota/check/meter-1?version=1.0.10');
  assert.equal(r.json, { update_available: false, current_version: '1.0.10', latest_version: '1.0.10', reason: 'up_to_date' });
  r = await d.request('GET', '/ota/check/meter-1?version=2.0.0');
  assert.is(r.json.update_available, false);
  r = await d.request('GET', '/ota/check/meter-1?version=banana');
  assert.is(r.status, 400);
  assert.equal(r.json.error, { code: 'invalid_version', message: 'query parameter version: must be a semantic version like 1.0.5', field: 'version' });
  r = await d.request('GET', '/ota/check/meter-1');
  assert.is(r.status, 400);
  assert.equal(r.json.error, { code: 'invalid_version', message: 'query parameter version: required', field: 'version' });
  r = await d.request('GET', '/ota/check/meter-1?version=1.0.0&security_counter=x');
  assert.equal([r.status, (r.json.error as Json).message], [400, 'query parameter security_counter: must be an unsigned 32-bit integer']);
});

test('check: images below the reported security counter are never offered, and the floor is remembered', async () => {
  await fx.addImage({ version: '1.1.0', counter: 1 }); // newest, but counter 1
  await publishImage(gw, '1.1.0', { general: true, allow_lower_counter: true });
  const d = await SimDevice.register(gw, 'meter-1');
  let r = await d.request('GET', '/ota/check/meter-1?version=1.0.4&security_counter=2');
  assert.is(r.json.latest_version, '1.0.10', '1.1.0 has counter 1 < 2');
  // Without the parameter the remembered floor (2) still applies.
  r = await d.request('GET', '/ota/check/meter-1?version=1.0.4');
  assert.is(r.json.latest_version, '1.0.10');
  r = await d.request('GET', '/ota/check/meter-1?version=1.0.4&security_counter=3');
  assert.equal(r.json, { update_available: false, current_version: '1.0.4', latest_version: null, reason: 'no_eligible_image' });
  r = await d.request('GET', '/ota/check/meter-1?version=1.0.4&security_counter=-1');
  assert.is(r.status, 400);
  // Initiating an image below the floor is refused.
  r = await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.1.0' });
  assert.is(r.status, 409);
  assert.is((r.json.error as Json).code, 'security_counter_too_low');
});

test('complete: a successful install raises the floor to that image counter', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  await fx.addImage({ version: '1.2.0', counter: 1 });
  await publishImage(gw, '1.2.0', { general: true, allow_lower_counter: true });
  assert.is((await d.request('GET', '/ota/check/meter-1?version=1.0.4')).json.latest_version, '1.2.0');
  const done = await d.request('POST', '/ota/complete/meter-1', { success: true, version: '1.0.10' }); // counter 2, no session
  assert.is(done.json.counted, true);
  const r = await d.request('GET', '/ota/check/meter-1?version=1.0.10');
  assert.is(r.json.update_available, false, '1.2.0 (counter 1) is below the completed counter 2');
  const status = (await (await gw.admin('GET', '/ota/status/meter-1')).json()) as Json;
  assert.is(status.completed_counter, 2);
  assert.is(status.current_version, '1.0.10');
});

test('initiate: creates a session; re-initiating resumes at the first chunk not served', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  const first = await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  assert.is(first.status, 200);
  assert.is(first.json.success, true);
  assert.is(first.json.next_chunk, 0);
  assert.is(first.json.total_chunks, 10);
  assert.is(first.json.outcome, 'created');
  assert.equal((first.json.manifest as Json).chunk_hashes, (fx.images.get('1.0.10')!.manifest as ManifestV1).chunk_hashes);
  for (let i = 0; i < 4; i++) assert.is((await d.request('GET', `/ota/chunk/meter-1?version=1.0.10&chunk=${i}`)).status, 200);
  clock.advance(60_000);
  const again = await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  assert.is(again.json.session_id, first.json.session_id);
  assert.is(again.json.resumed, true);
  assert.is(again.json.next_chunk, 4);
  // Refetching an earlier chunk does not move the resume point.
  await d.request('GET', '/ota/chunk/meter-1?version=1.0.10&chunk=1');
  assert.is((await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' })).json.next_chunk, 4);
  const status = (await (await gw.admin('GET', '/ota/status/meter-1')).json()) as { session: Json };
  assert.is(status.session.next_chunk, 4);
  assert.is(status.session.chunks_served, 5);
  assert.is(status.session.refetches, 1);
  assert.is(status.session.progress_percent, 40);
  assert.is(status.session.bytes_served, 5 * 1024);
});

test('initiate: another version while the session is fresh is 409; after 5 idle minutes it is replaced', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  const first = await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.9' });
  await d.request('GET', '/ota/chunk/meter-1?version=1.0.9&chunk=0');
  clock.advance(299_000);
  let r = await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  assert.is(r.status, 409);
  assert.is((r.json.error as Json).code, 'ota_session_active');
  // The chunk fetch at t=0 was the last activity; 300 s + 1 s later it is stale.
  clock.advance(2_000);
  r = await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  assert.is(r.status, 200);
  assert.is(r.json.outcome, 'replaced');
  assert.is.not(r.json.session_id, first.json.session_id);
  assert.is(r.json.next_chunk, 0);
  // The old session's chunks are refused now.
  r = await d.request('GET', '/ota/chunk/meter-1?version=1.0.9&chunk=1');
  assert.is(r.status, 409);
  assert.is((r.json.error as Json).code, 'ota_session_version_mismatch');
  const stats = (await (await gw.admin('GET', '/ota/stats')).json()) as { versions: Record<string, Json> };
  assert.is(stats.versions['1.0.9']!.sessions_replaced, 1);
  assert.is(stats.versions['1.0.10']!.sessions_started, 1);
});

test('initiate: a stale session of the same version is replaced too; the C client body {"version"} works', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  const first = await d.request('POST', '/ota/initiate/meter-1', { version: '1.0.9' });
  assert.is(first.status, 200);
  clock.advance(301_000);
  const r = await d.request('POST', '/ota/initiate/meter-1', { version: '1.0.9' });
  assert.is(r.json.outcome, 'replaced');
  assert.is((await d.request('POST', '/ota/initiate/meter-1', {})).status, 400);
  assert.is((await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '9.9.9' })).status, 404);
});

test('the cleanup job closes a session silent for OTA_SESSION_ABANDON_SECONDS: status and stats say so, the device starts again', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  assert.is((await d.request('GET', '/ota/chunk/meter-1?version=1.0.10&chunk=0')).status, 200);
  clock.advance(3_599_000);
  assert.equal(await abandonSilentSessions(gw.ctx), [], 'not yet: silent for 3599 s');
  clock.advance(2_000);
  const [closed] = await abandonSilentSessions(gw.ctx);
  assert.equal([closed?.device_id, closed?.status, closed?.error], ['meter-1', 'abandoned', 'abandoned: no request for 3601 s']);
  const status = (await (await gw.admin('GET', '/ota/status/meter-1')).json()) as { session: Json };
  assert.equal([status.session.status, status.session.stale], ['abandoned', false]);
  const stats = (await (await gw.admin('GET', '/ota/stats')).json()) as { totals: Json; active_sessions: unknown[] };
  assert.equal([stats.active_sessions.length, stats.totals.active_sessions, stats.totals.stale_sessions], [0, 0, 0]);
  const chunk = await d.request('GET', '/ota/chunk/meter-1?version=1.0.10&chunk=1');
  assert.equal([chunk.status, (chunk.json.error as Json).code], [409, 'no_ota_session']);
  assert.is((await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' })).json.outcome, 'created');
});

test('chunk: 400 for a bad index or version, 404 unknown version, 416 out of bounds, 409 without a session', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  const code = async (path: string) => {
    const r = await d.request('GET', path);
    return [r.status, (r.json.error as Json | undefined)?.code];
  };
  assert.equal(await code('/ota/chunk/meter-1?version=1.0.10&chunk=0'), [409, 'no_ota_session']);
  await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  assert.equal(await code('/ota/chunk/meter-1?version=1.0.10&chunk=abc'), [400, 'invalid_chunk']);
  assert.equal(await code('/ota/chunk/meter-1?version=1.0.10&chunk=-1'), [400, 'invalid_chunk']);
  assert.equal(await code('/ota/chunk/meter-1?version=1.0.10'), [400, 'invalid_chunk']);
  assert.equal(await code('/ota/chunk/meter-1?chunk=1'), [400, 'invalid_version']);
  assert.equal(await code('/ota/chunk/meter-1?version=3.0.0&chunk=0'), [404, 'firmware_not_found']);
  assert.equal(await code('/ota/chunk/meter-1?version=1.0.10&chunk=10'), [416, 'range_not_satisfiable']);
  assert.equal(await code('/ota/chunk/meter-1?version=1.0.10&chunk=99999999999'), [400, 'invalid_chunk']);
  assert.equal(await code('/ota/chunk/meter-1?version=1.0.9&chunk=0'), [409, 'ota_session_version_mismatch']);
  const last = await d.request('GET', '/ota/chunk/meter-1?version=1.0.10&chunk=9');
  assert.is(last.status, 200);
  assert.is(last.json.chunk_size, 10_016 - 9 * 1024);
  // Another device's path with this device's signature is refused before anything else.
  const other = await d.request('GET', '/ota/chunk/meter-2?version=1.0.10&chunk=0').catch((e: Error) => e);
  assert.ok(other instanceof Error || other.status === 400);
});

test('full flow: check → initiate → every chunk through FirmwareVerifier → finish → complete → stats', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  const check = await d.request('GET', '/ota/check/meter-1?version=1.0.4&security_counter=1');
  const version = check.json.latest_version as string;
  const init = await d.request<{ manifest: unknown; next_chunk: number; total_chunks: number }>('POST', '/ota/initiate/meter-1', { firmware_version: version });
  const verifier = new FirmwareVerifier(init.json.manifest, fx.verify, { minCounter: 1 });
  const plain: Buffer[] = [];
  for (let i = init.json.next_chunk; i < init.json.total_chunks; i++) {
    const c = await d.request<{ chunk_data: string; chunk_index: number; chunk_size: number; chunk_sha256: string }>('GET', `/ota/chunk/meter-1?version=${version}&chunk=${i}`);
    const bytes = Buffer.from(c.json.chunk_data, 'base64');
    assert.is(c.json.chunk_index, i);
    assert.is(c.json.chunk_size, bytes.length);
    assert.is(c.json.chunk_sha256, (fx.images.get(version)!.manifest as ManifestV1).chunk_hashes[i]);
    plain.push(verifier.acceptChunk(i, bytes));
  }
  const result = verifier.finish();
  assert.is(result.version, '1.0.10');
  assert.ok(Buffer.concat(plain).equals(fx.images.get('1.0.10')!.plain));
  const done = await d.request('POST', '/ota/complete/meter-1', { success: true });
  assert.is(done.json.version, '1.0.10', 'version taken from the session');
  assert.is(done.json.counted, true);
  const stats = (await (await gw.admin('GET', '/ota/stats')).json()) as { totals: Json; versions: Record<string, Json> };
  const v = stats.versions['1.0.10']!;
  assert.is(v.successes, 1);
  assert.is(v.chunks_served, 10);
  assert.is(v.chunk_bytes, 10_016);
  assert.is(v.completed_sessions, 1);
  assert.is(stats.totals.successes, 1);
  const status = (await (await gw.admin('GET', '/ota/status/meter-1')).json()) as { session: Json; current_version: string; update_available: boolean };
  assert.is(status.session.status, 'completed');
  assert.is(status.session.progress_percent, 100);
  assert.is(status.current_version, '1.0.10');
  assert.is(status.update_available, false);
});

test('fault ota_hash_mismatch: the corrupted chunk fails its hash check, the refetch succeeds', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  const init = await d.request<{ manifest: unknown }>('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  const verifier = new FirmwareVerifier(init.json.manifest, fx.verify);
  const fetch = async (i: number) =>
    Buffer.from((await d.request<{ chunk_data: string }>('GET', `/ota/chunk/meter-1?version=1.0.10&chunk=${i}`)).json.chunk_data, 'base64');
  verifier.acceptChunk(0, await fetch(0));
  gw.ctx.faults.arm('meter-1', 'ota_hash_mismatch', 1);
  const bad = await fetch(1);
  assert.is(bad.length, 1024, 'same length: only the hash can tell');
  try {
    verifier.acceptChunk(1, bad);
    assert.unreachable('corrupted chunk accepted');
  } catch (err) {
    assert.instance(err, FirmwareCheckError);
    assert.is((err as FirmwareCheckError).check, 'chunk_hash');
  }
  assert.is(verifier.nextChunk, 1, 'a rejected chunk changes nothing');
  verifier.acceptChunk(1, await fetch(1));
  for (let i = 2; i < 10; i++) verifier.acceptChunk(i, await fetch(i));
  assert.is(verifier.finish().version, '1.0.10');
  const history = gw.ctx.faults.history().filter((h) => h.action === 'triggered');
  assert.is(history.length, 1);
  const status = (await (await gw.admin('GET', '/ota/status/meter-1')).json()) as { session: Json };
  assert.is(status.session.refetches, 1);
});

test('a replayed chunk request gets the stored answer and runs no chunk bookkeeping again', async () => {
  // Attack (issue 12.2): /ota/chunk used to be recomputed for a retransmission.
  const d = await SimDevice.register(gw, 'meter-1');
  await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  const first = await d.request('GET', '/ota/chunk/meter-1?version=1.0.10&chunk=0');
  const body = Buffer.from(JSON.stringify(first.json));
  const chunksServed = async () => (await otaOf(gw.ctx).state.versionCounters())['1.0.10']?.chunks_served ?? 0;
  const progress = () => otaOf(gw.ctx).state.session('meter-1');
  const servedBefore = await chunksServed();
  const sessionBefore = JSON.stringify(await progress());
  for (let i = 0; i < 3; i++) {
    const path = '/ota/chunk/meter-1?version=1.0.10&chunk=0';
    const again = await gw.deviceRequest('meter-1', d.key, d.nonce, 'GET', path);
    assert.is(again.status, 200);
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(body), 'byte-identical stored reply');
  }
  assert.is(await chunksServed(), servedBefore);
  assert.is(JSON.stringify(await progress()), sessionBefore, 'session bookkeeping untouched');
});

test('complete: failures with the C client shape, repeated reports not double-counted, 409 without session or version', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  let r = await d.request('POST', '/ota/complete/meter-1', { success: false });
  assert.is(r.status, 409);
  assert.is((r.json.error as Json).code, 'no_ota_session');
  assert.is((await d.request('POST', '/ota/complete/meter-1', { version: '1.0.10' })).status, 400);
  assert.is((await d.request('POST', '/ota/complete/meter-1', { success: true, status: 'failed', version: '1.0.10' })).status, 400);
  await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  r = await d.request('POST', '/ota/complete/meter-1', { version: '1.0.10', status: 'failed', check: 'chunk_hash', detail: 'flash write' });
  assert.is(r.json.recorded, 'failure');
  assert.is(r.json.counted, true);
  r = await d.request('POST', '/ota/complete/meter-1', { success: false, version: '1.0.10', error: 'again' });
  assert.is(r.json.counted, false, 'same result again without a session');
  const status = (await (await gw.admin('GET', '/ota/status/meter-1')).json()) as Json & { session: Json; last_result: Json };
  assert.is(status.session.status, 'failed');
  assert.is(status.session.error, 'chunk_hash: flash write');
  assert.is(status.failures, 1);
  assert.is(status.last_result.error, 'again');
  const stats = (await (await gw.admin('GET', '/ota/stats')).json()) as { versions: Record<string, Json> };
  assert.is(stats.versions['1.0.10']!.failures, 1);
  // A retried session then succeeds: counted once more.
  await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  assert.is((await d.request('POST', '/ota/complete/meter-1', { success: true })).json.counted, true);
});

test('admin views need the token; unknown device status is 404', async () => {
  assert.is((await gw.app.request('/ota/stats')).status, 401);
  assert.is((await gw.app.request('/ota/images')).status, 401);
  assert.is((await gw.admin('GET', '/ota/status/nobody')).status, 404);
  const images = (await (await gw.admin('GET', '/ota/images')).json()) as { images: Json[] };
  assert.equal(images.images.map((i) => i.version), ['1.0.4', '1.0.9', '1.0.10']);
});

test('sessions, device state and counters survive a restart (progress flushed at close)', async () => {
  const d = await SimDevice.register(gw, 'meter-1');
  await d.request('GET', '/ota/check/meter-1?version=1.0.4&security_counter=2');
  const init = await d.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  for (let i = 0; i < 3; i++) await d.request('GET', `/ota/chunk/meter-1?version=1.0.10&chunk=${i}`);
  await gw.close();
  gw = await otaGateway(fx, { clock, env: { FAULTS_ENABLED: '1' } });
  const d2 = new SimDevice(gw, 'meter-1', d.key);
  d2.nonce = d.nonce;
  const again = await d2.request('POST', '/ota/initiate/meter-1', { firmware_version: '1.0.10' });
  assert.is(again.json.session_id, init.json.session_id);
  assert.is(again.json.next_chunk, 3);
  const status = (await (await gw.admin('GET', '/ota/status/meter-1')).json()) as Json;
  assert.is(status.reported_counter, 2);
  const stats = (await (await gw.admin('GET', '/ota/stats')).json()) as { versions: Record<string, Json> };
  assert.is(stats.versions['1.0.10']!.chunks_served, 3);
});

test.run();
