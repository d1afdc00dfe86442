/**
 * End to end: the C device (fleetgate-sim) and a release withdrawn while it downloads it. The real
 * gateway runs as a child process; the device talks to it through a man in the middle
 * (tests/helpers/http-proxy.ts) that logs every request and answer, yanks the release at the
 * moment a chosen request passes, and forges refusals the way anyone on a plain-HTTP path can.
 *
 *   1. a rollout's release is yanked in the middle of the download: the device stops at its next
 *      request (the gateway's signed 410), retries nothing, installs nothing, keeps no resume
 *      state, shows why (status, diagnostics), reports nothing, and the rollout counts no
 *      failure; the next check offers nothing;
 *   2. forged refusals — a wrongly signed 410 on every chunk, an unsigned 410 on the manifest —
 *      are retried like a lost network and end the run with the download resumable: nothing
 *      dropped, nothing recorded;
 *   3. a newer release (published after the yank) continues from where (2) stopped, past one
 *      more forged unsigned 410, installs, confirms itself and reports success; the record of
 *      the withdrawn version is gone.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adminApi, buildSim, describeRun, firmwareBytes, fleetgate, listed, moveBuilds, orderedSuite, runSim, type Line, type SimRun } from '../helpers/device-sim.ts';
import { tempDir } from '../helpers/gateway.ts';
import { startProxy, type HttpProxy } from '../helpers/http-proxy.ts';
import { startGatewayProcess, type GatewayProcess } from '../helpers/process.ts';

const TOKEN = 'e2e-yank-admin-token-0123456789ab';
const DEVICE = 'meter-yank-1';
/** 1.1.0: 147 chunks of 4 KiB in 3 hash pages; yanked when its 40th Range request arrives. */
const YANKED = { version: '1.1.0', seed: 110, size: 600_000 };
const YANK_AT_REQUEST = 40;
/** 1.1.1: the fix, published after the yank (74 chunks, 2 pages). */
const FIX = { version: '1.1.1', seed: 111, size: 300_000 };
/** The chunk from which the forger of step 2 answers every Range request. */
const FORGE_FROM_CHUNK = 10;

let dir = '';
let keysDir = '';
let stateDir = '';
let gw: GatewayProcess | undefined;
let proxy: HttpProxy | undefined;
let rolloutId = '';

const sim = (args: string[]): Promise<SimRun> => runSim(['--state-dir', stateDir, '--url', proxy!.url, '--keys-dir', keysDir, ...args]);
const simStatus = async () => (await sim(['status'])).last('status');
const { adminOk, waitForCatalog } = adminApi(() => gw!.url, TOKEN);
const otaStatus = () => adminOk('GET', `/ota/status/${DEVICE}`);

const refusal = (code: string) => JSON.stringify({ success: false, error: { code, message: `firmware was ${code}` } });
const events = (r: SimRun, event: string): Line[] => r.lines.filter((l) => l.event === event);

const { setup, step, cleanUp } = orderedSuite(() => gw);

test.after.each(() => {
  if (proxy) proxy.intercept = undefined;
});

test.after(async () => {
  await proxy?.close();
  await gw?.kill();
  await cleanUp(dir);
});

setup('setup: build fleetgate-sim, keys init, package two releases, start the gateway and the proxy, provision the device', async () => {
  dir = await tempDir('fleetgate-e2e-yank-');
  keysDir = join(dir, 'keys');
  stateDir = join(dir, 'device');
  const fwDir = join(dir, 'firmware');
  const stageDir = join(dir, 'staged');
  await Promise.all([mkdir(fwDir), mkdir(stageDir)]);
  const gateway = async () => {
    const keys = await fleetgate(['keys', 'init', '--dir', keysDir]);
    assert.is(keys.code, 0, keys.stderr);
    await Promise.all(
      [YANKED, FIX].map(async ({ version, seed, size }) => {
        const bin = join(dir, `app_${version}.bin`);
        await writeFile(bin, firmwareBytes(seed, size));
        const r = await fleetgate(['firmware', 'package', bin, '--version', version, '--security-counter', '1', '--keys', keysDir, '--out', stageDir]);
        assert.is(r.code, 0, `package ${version}: ${r.stderr}`);
      }),
    );
    // The steering job runs every second: a yanked release's rollout is cancelled within step 1.
    gw = await startGatewayProcess({
      DATA_DIR: join(dir, 'data'),
      KEYS_DIR: keysDir,
      FIRMWARE_DIR: fwDir,
      ADMIN_TOKEN: TOKEN,
      DURABILITY: 'write',
      ROLLOUT_STEER_INTERVAL_SECONDS: '1',
    });
    proxy = await startProxy(gw.url);
    // Arriving after the first start, both builds are drafts until a step publishes them.
    await moveBuilds(stageDir, fwDir, [YANKED.version, FIX.version]);
    await waitForCatalog((j) => listed(j, YANKED.version) && listed(j, FIX.version), 'both drafts');
  };
  await Promise.all([buildSim(), gateway()]);
  const reg = await adminOk('POST', '/devices', { device_id: DEVICE });
  const prov = await sim(['--device-id', DEVICE, '--key-hex', reg.hmac_key as string, '--fw-version', '1.0.0', 'provision']);
  assert.is(prov.code, 0, describeRun(prov));
});

// 1 ---------------------------------------------------------------------------------------------
step('1. a release yanked mid-download: the device stops at its next request, drops it, shows why, reports nothing; the rollout counts no failure', async () => {
  await adminOk('POST', `/ota/images/${YANKED.version}/publish`, {});
  const rollout = await adminOk('POST', '/ota/rollouts', { version: YANKED.version, target: [DEVICE], failure_threshold: 0, min_results: 1 });
  rolloutId = rollout.rollout.id as string;
  let ranges = 0;
  let logAtYank = -1;
  proxy!.intercept = async (req) => {
    if (req.path === `/ota/firmware/${YANKED.version}` && ++ranges === YANK_AT_REQUEST) {
      logAtYank = proxy!.log.length; // this request, forwarded after the yank, is the next entry
      await adminOk('POST', `/ota/images/${YANKED.version}/yank`, { reason: 'e2e: a bad build' });
    }
    return undefined;
  };
  const r = await sim(['ota']); // /ota/check offers the rollout's release
  assert.ok(events(r, 'available').some((l) => l.version === YANKED.version), describeRun(r));
  assert.is(r.code, 4, `the gateway refused: exit 4\n${describeRun(r)}`);
  const res = r.last('ota');
  assert.equal(
    [res.ok, res.error, res.status, res.error_code, res.withdrawn, res.reason, res.complete],
    [false, 'yanked', 410, 'yanked', true, 'yanked', false],
    describeRun(r),
  );
  const written = YANK_AT_REQUEST - 1;
  assert.is(res.chunks_written, written);
  assert.is(res.refetches, 0, 'nothing fetched again');
  assert.equal(events(r, 'chunk').map((l) => l.chunk), [...Array(written).keys()]);
  assert.equal(events(r, 'withdrawn').map((l) => [l.version, l.reason, l.chunks]), [[YANKED.version, 'yanked', written]]);
  assert.is(events(r, 'reported').length, 0, 'nothing reported to /ota/complete');
  assert.ok(!events(r, 'activating').length && !events(r, 'verified').length);

  // On the wire: the request that met the yank got the gateway's signed 410, and it was the last.
  const after = proxy!.log.slice(logAtYank);
  assert.is(after.length, 1, `one request after the yank, no retry: ${JSON.stringify(after)}`);
  assert.equal([after[0]!.path, after[0]!.status, after[0]!.forged], [`/ota/firmware/${YANKED.version}`, 410, false]);
  assert.match(after[0]!.signature, /^[0-9a-f]{64}$/, 'the refusal is signed');
  assert.is(proxy!.log.filter((e) => e.path === `/ota/firmware/${YANKED.version}`).length, YANK_AT_REQUEST);
  assert.ok(!proxy!.log.some((e) => e.path.startsWith('/ota/complete/')), 'no report sent');

  const st = await simStatus();
  assert.is(st.firmware_version, '1.0.0');
  assert.is(st.ota_resume_chunk, null, 'no resume state for a yanked image');
  assert.equal(st.ota_withdrawn, { version: YANKED.version, reason: 'yanked', chunks: written });
  assert.is(st.slots[1].state, 'aborted', 'the partial slot is not bootable');
  assert.equal([st.update_state, st.pending_update], ['normal', null]);
  const boot = await sim(['reboot']);
  assert.equal([boot.last('reboot').firmware_version, boot.last('reboot').running_slot], ['1.0.0', 0], describeRun(boot));

  // The device tells the gateway in its diagnostics; results and the rollout count no failure.
  const diag = await sim(['diagnostics']);
  assert.is(diag.code, 0, describeRun(diag));
  const latest = (await adminOk('GET', `/diagnostics/${DEVICE}?limit=1`)).entries[0];
  assert.equal(latest.extra.ota_withdrawn, { version: YANKED.version, reason: 'yanked', chunks: written });
  const status = await otaStatus();
  assert.equal([status.failures, status.successes, status.last_result, status.current_version], [0, 0, null, '1.0.0']);
  for (let i = 0; ; i++) {
    const ro = (await adminOk('GET', `/ota/rollouts/${rolloutId}`)).rollout;
    if (ro.status === 'cancelled') {
      assert.is(ro.finish_reason, 'release_yanked');
      assert.equal([ro.results.failures, ro.figures.failed, ro.figures.downloading], [0, 0, 1], JSON.stringify(ro));
      break;
    }
    assert.ok(i < 200, `the steering job never cancelled the yanked release's rollout: ${JSON.stringify(ro)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.is((await adminOk('GET', '/ota/stats')).versions[YANKED.version].failures, 0);

  // The next check decides afresh: nothing is offered now.
  const next = await sim(['ota']);
  assert.is(next.code, 0, describeRun(next));
  assert.equal([next.last('ota').ok, next.last('ota').update_available], [true, false]);
});

// 2 ---------------------------------------------------------------------------------------------
step('2. forged refusals (wrongly signed, unsigned) are retried like a lost network: the download stays resumable, nothing is dropped', async () => {
  await adminOk('POST', `/ota/images/${FIX.version}/publish`, { general: true });
  // (a) every Range request from chunk 10 on is answered 410 "yanked" with the signature of a
  // genuine earlier answer: it does not verify for the request's nonce.
  const chunkBytes = 4096;
  proxy!.intercept = (req) => {
    const first = Number(/bytes=(\d+)-/.exec(String(req.headers.range))?.[1] ?? -1);
    if (req.path !== `/ota/firmware/${FIX.version}` || first < FORGE_FROM_CHUNK * chunkBytes) return undefined;
    const replayed = [...proxy!.log].reverse().find((e) => e.signature !== '')!.signature;
    return { status: 410, headers: { 'x-signature': replayed }, body: refusal('yanked') };
  };
  const a = await sim(['ota']);
  assert.is(a.code, 1, `an answer that does not verify: exit 1\n${describeRun(a)}`);
  const ares = a.last('ota');
  assert.equal([ares.error, ares.withdrawn, ares.chunks_written, ares.next_chunk], ['auth', undefined, FORGE_FROM_CHUNK, FORGE_FROM_CHUNK], describeRun(a));
  assert.is(proxy!.log.filter((e) => e.forged).length, 3, 'the chunk was tried three times, then the run ended');
  assert.is(events(a, 'withdrawn').length + events(a, 'reported').length, 0);
  let st = await simStatus();
  assert.is(st.ota_resume_chunk, FORGE_FROM_CHUNK, 'resumable');
  assert.is(st.ota_withdrawn.version, YANKED.version, 'no record for the forged refusal');

  // (b) an unsigned 410 on the manifest: the run ends there; still resumable, nothing recorded.
  proxy!.intercept = (req) => (req.path === `/ota/manifest/${FIX.version}` ? { status: 410, body: refusal('yanked') } : undefined);
  const b = await sim(['ota']);
  assert.is(b.code, 4, describeRun(b));
  assert.equal([b.last('ota').error, b.last('ota').status, b.last('ota').withdrawn], ['http_status', 410, undefined], describeRun(b));
  st = await simStatus();
  assert.is(st.ota_resume_chunk, FORGE_FROM_CHUNK);
  assert.is(st.ota_withdrawn.version, YANKED.version);
  assert.is((await otaStatus()).failures, 0, 'nothing reported');
});

// 3 ---------------------------------------------------------------------------------------------
step('3. the newer release resumes past one more forged 410, installs, confirms itself and reports success; the withdrawn record is gone', async () => {
  let forged = 0;
  proxy!.intercept = (req) => (req.path === `/ota/firmware/${FIX.version}` && forged++ === 0 ? { status: 410, body: refusal('yanked') } : undefined);
  const r = await sim(['ota']);
  assert.is(r.code, 0, describeRun(r));
  const res = r.last('ota');
  assert.equal([res.ok, res.complete, res.version, res.resumed, res.resumed_at, res.refetches], [true, true, FIX.version, true, FORGE_FROM_CHUNK, 1], describeRun(r));
  assert.is(res.chunks_written, res.total_chunks - FORGE_FROM_CHUNK);
  assert.is(forged, res.chunks_written + 1, 'one forged answer, then every chunk once');
  assert.is(events(r, 'chunk')[0]!.chunk, FORGE_FROM_CHUNK, 'no earlier chunk fetched again');
  assert.equal((await simStatus()).ota_withdrawn, null, 'the activation clears the record');

  const boot = await sim(['reboot']);
  assert.is(boot.last('reboot').firmware_version, FIX.version, describeRun(boot));
  const diag = await sim(['diagnostics']);
  assert.is(diag.code, 0, describeRun(diag));
  assert.equal([diag.last('ota_report').ok, diag.last('ota_report').success, diag.last('ota_report').version], [true, true, FIX.version]);
  const status = await otaStatus();
  assert.equal([status.current_version, status.successes, status.failures], [FIX.version, 1, 0]);
  assert.is((await adminOk('GET', `/diagnostics/${DEVICE}?limit=1`)).entries[0].extra.ota_withdrawn, null);
});

test.run();
