/**
 * End to end: the C device (firmware/host/build/fleetgate-sim, the portable core + POSIX port)
 * against the real gateway as a child process. One gateway (FAULTS_ENABLED=1, temp DATA_DIR,
 * KEYS_DIR from `fleetgate keys init`, FIRMWARE_DIR filled with `fleetgate firmware package`) and
 * one simulated device (one state dir) go through the steps below in order; each step is its own
 * test so a failure names it, and each asserts on the gateway's state through the admin API, not
 * only on the simulator's exit code and JSON lines.
 *
 * Images are packaged up front into a staging dir (in parallel with the build and the gateway's
 * start) and moved into FIRMWARE_DIR when a step needs them, so the gateway offers exactly what
 * each step expects. The simulator is built through scripts/setup-firmware.sh --no-test, which
 * takes a flock on the build dir (c-unit.test.ts builds the same tree, possibly at the same time).
 * FLEETGATE_E2E_KEEP=1 keeps the temp dir (printed) for a look after a failure.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adminApi, buildSim, describeRun, firmwareBytes, fleetgate, listed, moveBuilds, orderedSuite, runSim, SIM, type Line, type SimRun } from '../helpers/device-sim.ts';
import { tempDir } from '../helpers/gateway.ts';
import { runProcess, startGatewayProcess, type GatewayProcess } from '../helpers/process.ts';

const TOKEN = 'e2e-admin-token-0123456789abcdef';
const DEVICE = 'meter-e2e-1';
const METHODS = ['dictionary', 'delta', 'rle', 'adaptive', 'smart', 'plain'] as const;
const SAMPLES_PER_UPLOAD = 24;

const MiB = 1024 * 1024;
/** The board's OTA slot (firmware/partitions.csv ota_0/ota_1: 0x1E0000 bytes). */
const SLOT_BYTES = 0x1e0000;

/** The images of the run: version, security counter, size, and the step that releases them. */
const IMAGES = {
  '1.0.5': { counter: 1, seed: 5, size: 1 * MiB }, // step 6: a full 1 MiB update, offered by /ota/check
  '1.0.6': { counter: 2, seed: 6, size: Math.floor(1.8 * MiB) }, // step 7: slot-sized, power cut mid-download
  '1.0.7': { counter: 2, seed: 7, size: 150_000 }, // step 8: a tampered page and chunk; power cut before the boot switch
  '1.0.10': { counter: 3, seed: 10, size: 90_000 }, // step 9: the gateway is down during the self-test
  '1.0.11': { counter: 4, seed: 11, size: 80_000 }, // step 10: fails its self-test: rolled back, reported
  '1.0.4': { counter: 3, seed: 4, size: 70_000 }, // step 11: older version, allowed counter: the device refuses
  '1.0.8': { counter: 1, seed: 8, size: 70_000 }, // step 11: newer version, counter below the floor: never offered
  '1.0.12': { counter: 4, seed: 12, size: 70_000 }, // step 12: its manifest is tampered with on disk
} as const;
type Version = keyof typeof IMAGES;

let dir = '';
let keysDir = '';
let stageDir = '';
let fwDir = '';
let dataDir = '';
let stateDir = '';
let gw: GatewayProcess | undefined;
const plain = new Map<Version, Buffer>();

// ---------------------------------------------------------------------------------------------
// helpers

const sim = (args: string[], timeoutMs = 60_000): Promise<SimRun> => {
  assert.ok(gw, 'gateway not running');
  return runSim(['--state-dir', stateDir, '--url', gw!.url, '--keys-dir', keysDir, ...args], timeoutMs);
};

const { admin, adminOk, waitForCatalog } = adminApi(() => {
  assert.ok(gw, 'gateway not running');
  return gw!.url;
}, TOKEN);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Sample {
  timestamp: number;
  voltage: number;
  current: number;
  power: number;
}

/** A meter series: 1 decimal volts, 2 decimal amps, whole watts; its own time range per upload. */
function samplesFor(index: number, count = SAMPLES_PER_UPLOAD): Sample[] {
  const out: Sample[] = [];
  let volts = 229.5 + index / 10;
  for (let i = 0; i < count; i++) {
    volts = Math.round((volts + (((i * 7 + index) % 5) - 2) * 0.1) * 10) / 10;
    const current = Math.round((1 + ((i + index) % 7) * 0.25 + (i % 3) * 0.01) * 100) / 100;
    out.push({ timestamp: 1_760_000_000 + index * 100_000 + 60 * i, voltage: volts, current, power: Math.round(volts * current) });
  }
  return out;
}

async function writeSamples(name: string, samples: Sample[]): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(samples));
  return path;
}

async function telemetry(): Promise<any[]> {
  const j = await adminOk('GET', `/telemetry/${DEVICE}?limit=100000`);
  return j.samples as any[];
}

async function securityStats(): Promise<any> {
  const j = await adminOk('GET', '/security/stats');
  return j.devices[DEVICE];
}

async function deviceRecord(): Promise<any> {
  const j = await adminOk('GET', '/devices');
  const d = (j.devices as any[]).find((x) => x.device_id === DEVICE);
  assert.ok(d, `${DEVICE} not in GET /devices`);
  return d;
}

const otaStatus = () => adminOk('GET', `/ota/status/${DEVICE}`);
const otaStats = () => adminOk('GET', '/ota/stats');
const simStatus = async () => (await sim(['status'])).last('status');

/** Moves staged images into FIRMWARE_DIR: the gateway lists them as drafts. */
const release = (...versions: Version[]) => moveBuilds(stageDir, fwDir, versions);

/** Publishes drafts to every device (as images present at the gateway's first start are), checks and all. */
async function publish(...versions: Version[]): Promise<void> {
  for (const v of versions) await adminOk('POST', `/ota/images/${v}/publish`, { general: true, allow_lower_counter: true });
}

/** Slot files of the simulated device (a finished slot is truncated to the image size). */
const slot = (n: 0 | 1) => readFile(join(stateDir, `slot${n}.bin`));

async function assertInstalled(n: 0 | 1, v: Version): Promise<void> {
  const bytes = await slot(n);
  assert.is(bytes.length, plain.get(v)!.length, `slot${n} size`);
  assert.ok(bytes.equals(plain.get(v)!), `slot${n} is not byte-for-byte firmware ${v}`);
  // the packager's own verifier: decrypts the image as served and checks every signature
  const manifest = join(fwDir, `firmware_${v}_manifest.json`);
  const r = await fleetgate(['firmware', 'verify', manifest, '--image', join(fwDir, `firmware_${v}_encrypted.bin`), '--keys', keysDir]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^OK ${v.replace(/\./g, '\\.')} \\(counter ${IMAGES[v].counter}\\)`));
  assert.ok(r.stdout.includes(`sha256 ${sha256(bytes)}`), `firmware verify's sha256 differs from slot${n}: ${r.stdout}`);
}

/**
 * Reboot into the new image; at the next command it passes its local self-test and confirms
 * itself (no gateway needed), then reports success to the gateway with its running version.
 */
async function rebootAndConfirm(v: Version, runningSlot: 0 | 1): Promise<void> {
  const boot = await sim(['reboot']);
  assert.is(boot.code, 0, describeRun(boot));
  const rb = boot.last('reboot');
  assert.is(rb.firmware_version, v);
  assert.is(rb.running_slot, runningSlot);
  assert.is(rb.pending_verify, true);
  const diag = await sim(['diagnostics']);
  assert.is(diag.code, 0, describeRun(diag));
  const confirm = diag.lines.find((l) => l.action === 'confirm');
  assert.ok(confirm, `no self-confirmation\n${describeRun(diag)}`);
  assert.is(confirm!.trigger, 'self_test');
  assert.is(confirm!.firmware_version, v);
  assert.is(confirm!.security_counter_min, IMAGES[v].counter);
  const report = diag.lines.find((l) => l.action === 'ota_report');
  assert.ok(report, `no success report after the confirmation\n${describeRun(diag)}`);
  assert.equal([report!.ok, report!.success, report!.version], [true, true, v]);
  assert.is(diag.last('diagnostics').firmware_version, v);
  const st = await simStatus();
  assert.is(st.firmware_version, v);
  assert.is(st.slots[runningSlot].state, 'valid');
  assert.is(st.update_state, 'normal');
  const latest = (await adminOk('GET', `/diagnostics/${DEVICE}?limit=1`)).entries[0];
  assert.is(latest.firmware_version, v, 'the gateway saw the new version in diagnostics');
  const status = await otaStatus();
  assert.is(status.current_version, v);
  assert.is(status.last_result.version, v);
  assert.is(status.last_result.success, true);
}

/** A finished OTA run: verified and activated, nothing reported yet (the new image will). */
function assertInstalledNotReported(r: SimRun, v: Version): Line {
  assert.is(r.code, 0, describeRun(r));
  const res = r.last('ota');
  assert.is(res.ok, true, describeRun(r));
  assert.is(res.version, v);
  assert.is(res.complete, true);
  assert.is(res.security_counter, IMAGES[v].counter);
  assert.is(res.chunk_size, 4096, 'new images: 4 KiB chunks');
  assert.ok(r.lines.some((l) => l.event === 'activating'));
  assert.ok(r.lines.some((l) => l.event === 'verified'));
  assert.ok(!r.lines.some((l) => l.event === 'reported'), 'no success reported before the reboot');
  return res;
}

/**
 * Runs the simulator and kills it with SIGKILL (a power cut) once it reported chunk `after` as
 * written: what is on "flash" (slot file, kv files) is all the next run has.
 */
async function simKilledAfterChunk(args: string[], after: number): Promise<{ signal: NodeJS.Signals | null; chunks: number[] }> {
  const child = spawn(SIM, ['--state-dir', stateDir, '--url', gw!.url, '--keys-dir', keysDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: number[] = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, nl)) as Line;
      buffered = buffered.slice(nl + 1);
      if (line.event === 'chunk') {
        chunks.push(line.chunk as number);
        if (line.chunk >= after) child.kill('SIGKILL');
      }
    }
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
  return { signal, chunks };
}

const { setup, step, cleanUp } = orderedSuite(() => gw);

// ---------------------------------------------------------------------------------------------

test.after(async () => {
  await gw?.kill();
  await cleanUp(dir);
});

setup('setup: build fleetgate-sim, keys init, package images, start the gateway, provision the device', async () => {
  dir = await tempDir('fleetgate-e2e-');
  keysDir = join(dir, 'keys');
  stageDir = join(dir, 'staged');
  fwDir = join(dir, 'firmware');
  dataDir = join(dir, 'data');
  stateDir = join(dir, 'device');
  await Promise.all([mkdir(stageDir), mkdir(fwDir)]);
  const gateway = async () => {
    const keys = await fleetgate(['keys', 'init', '--dir', keysDir]);
    assert.is(keys.code, 0, keys.stderr);
    // Sizes 64-200 KiB, not multiples of the chunk size (a short last chunk, PKCS#7 padding).
    let i = 0;
    await Promise.all(
      (Object.keys(IMAGES) as Version[]).map(async (v) => {
        const bytes = firmwareBytes(IMAGES[v].seed, IMAGES[v].size + 7919 * i++);
        plain.set(v, bytes);
        const bin = join(dir, `app_${v}.bin`);
        await writeFile(bin, bytes);
        const r = await fleetgate(['firmware', 'package', bin, '--version', v, '--security-counter', String(IMAGES[v].counter), '--keys', keysDir, '--out', stageDir, '--notes', `e2e ${v}`]);
        assert.is(r.code, 0, `package ${v}: ${r.stderr}`);
      }),
    );
    await release('1.0.5');
    gw = await startGatewayProcess({
      DATA_DIR: dataDir,
      KEYS_DIR: keysDir,
      FIRMWARE_DIR: fwDir,
      ADMIN_TOKEN: TOKEN,
      FAULTS_ENABLED: '1',
      DURABILITY: 'write',
    });
  };
  await Promise.all([buildSim(), gateway()]);

  const reg = await admin('POST', '/devices', { device_id: DEVICE });
  assert.is(reg.status, 201, JSON.stringify(reg.json));
  const key = reg.json.hmac_key as string;
  assert.match(key, /^[0-9a-f]{64}$/);
  const prov = await sim(['--device-id', DEVICE, '--key-hex', key, '--fw-version', '1.0.0', 'provision']);
  assert.is(prov.code, 0, describeRun(prov));
  assert.is(prov.last('boot').firmware_version, '1.0.0');
  assert.is(prov.last('provision').device_id, DEVICE);
});

// 1 ---------------------------------------------------------------------------------------------
step('1. uploads with every packing method (and plain) are stored exactly, method per sample', async () => {
  const expected = new Map<string, Sample[]>();
  for (const [index, method] of METHODS.entries()) {
    const samples = samplesFor(index);
    expected.set(method, samples);
    const r = await sim(['upload', '--samples', await writeSamples(`upload-${method}`, samples), '--method', method]);
    assert.is(r.code, 0, describeRun(r));
    const line = r.last('upload');
    assert.is(line.ok, true, describeRun(r));
    assert.is(line.status, 200);
    assert.is(line.verified, true, 'the upload answer is signed and verified (no --upload-sig optional)');
    assert.is(line.accepted, samples.length);
    assert.is(line.duplicate, false);
    assert.is(line.method, method);
  }
  const stored = await telemetry();
  assert.is(stored.length, METHODS.length * SAMPLES_PER_UPLOAD, 'exactly the uploaded samples, once each');
  const nonces = new Set<number>();
  for (const method of METHODS) {
    const got = stored
      .filter((s) => s.method === method)
      .map((s) => ({ timestamp: s.timestamp, voltage: s.voltage, current: s.current, power: s.power }))
      .sort((a, b) => a.timestamp - b.timestamp);
    assert.equal(got, expected.get(method), `samples stored for method ${method}`);
    for (const s of stored.filter((x) => x.method === method)) nonces.add(s.nonce);
  }
  assert.is(nonces.size, METHODS.length, 'one message (nonce) per upload');
});

// 2 ---------------------------------------------------------------------------------------------
step('2. a retransmission after a dropped response is answered duplicate and stored once', async () => {
  const before = await telemetry();
  const statsBefore = await securityStats();
  const samples = samplesFor(10, 12);
  // The gateway processes the upload, its answer is lost; the client resends the identical bytes.
  const r = await sim(['--drop-responses', '1', 'upload', '--samples', await writeSamples('retransmit', samples), '--method', 'adaptive']);
  assert.is(r.code, 0, describeRun(r));
  const line = r.last('upload');
  assert.is(line.ok, true);
  assert.is(line.responses_dropped, 1);
  assert.is(line.attempts, 2, 'one retransmission');
  assert.is(line.duplicate, true, 'the retransmission is answered from the stored reply');
  assert.is(line.verified, true);
  assert.is(line.accepted, samples.length);
  const after = await telemetry();
  assert.is(after.length, before.length + samples.length, 'stored once');
  assert.is(after.filter((s) => s.nonce === line.nonce).length, samples.length);
  const statsAfter = await securityStats();
  assert.is(statsAfter.duplicate, statsBefore.duplicate + 1);
  assert.is(statsAfter.accepted, statsBefore.accepted + 1);
  assert.is(statsAfter.replay, statsBefore.replay);

  // A signed request whose answer is held past the device's timeout (fault network_timeout):
  // the device times out, resends the same bytes, gets the stored reply; one report is stored.
  const diagBefore = (await adminOk('GET', `/diagnostics/${DEVICE}?limit=1000`)).count as number;
  const inj = await admin('POST', '/fault/inject', { fault_type: 'network_timeout', device_id: DEVICE, count: 1, delay_ms: 4000 });
  assert.is(inj.status, 201, JSON.stringify(inj.json));
  const d = await sim(['--timeout-ms', '1500', '--attempts', '3', 'diagnostics']);
  assert.is(d.code, 0, describeRun(d));
  const dl = d.last('diagnostics');
  assert.is(dl.ok, true);
  assert.ok(dl.attempts >= 2, `the held answer timed out and the request was resent: ${JSON.stringify(dl)}`);
  assert.is(dl.verified, true);
  assert.is((await adminOk('GET', `/diagnostics/${DEVICE}?limit=1000`)).count, diagBefore + 1, 'diagnostics stored once');
  const history = (await adminOk('GET', '/fault/history')).history as any[];
  assert.ok(history.some((h) => h.action === 'triggered' && h.fault_type === 'network_timeout' && h.path === `/diagnostics/${DEVICE}`));
  assert.is((await securityStats()).duplicate, statsAfter.duplicate + 1);
});

// 3 ---------------------------------------------------------------------------------------------
step('3. a reboot keeps the nonces valid: next epoch, larger nonce, upload accepted (a rolled-back epoch is a signed 401 replay)', async () => {
  const old = (await deviceRecord()).last_nonce as number;
  assert.ok(old > 0);
  const epochBefore = await readFile(join(stateDir, 'kv', 'fg_epoch'));
  const boot = await sim(['reboot', '--reason', 'watchdog']);
  assert.is(boot.code, 0, describeRun(boot));
  assert.is(boot.last('reboot').reset_reason, 'watchdog');
  const r = await sim(['upload', '--samples', await writeSamples('after-reboot', samplesFor(11, 6)), '--method', 'smart']);
  assert.is(r.code, 0, describeRun(r));
  const line = r.last('upload');
  assert.is(line.status, 200);
  assert.is(line.duplicate, false);
  const now = (await deviceRecord()).last_nonce as number;
  assert.is(now, line.nonce, 'the gateway accepted the new nonce');
  assert.ok(now > old, `nonce ${now} > ${old}`);
  assert.is(now >>> 16, (old >>> 16) + 1, 'the boot reserved the next epoch (high 16 bits)');
  assert.is(now & 0xffff, 0, 'first nonce of the new epoch');
  const diag = await sim(['diagnostics']);
  assert.is(diag.code, 0, describeRun(diag));
  assert.is(diag.last('diagnostics').boot_id, now >>> 16);
  const latest = (await adminOk('GET', `/diagnostics/${DEVICE}?limit=1`)).entries[0];
  assert.is(latest.boot_id, String(now >>> 16));
  assert.is(latest.reset_reason, 'watchdog');

  // The counter-example: a copy of the device whose NVS epoch was rolled back reuses that
  // epoch's nonces. The gateway refuses it as a replay, and the 401 is signed, so the device can
  // believe it (verified, error_code read).
  const clone = join(dir, 'device-rolled-back');
  await cp(stateDir, clone, { recursive: true });
  await writeFile(join(clone, 'kv', 'fg_epoch'), epochBefore);
  await rm(join(clone, 'ram'));
  const statsBefore = await securityStats();
  const lastBefore = (await deviceRecord()).last_nonce as number;
  const replay = await runProcess(SIM, ['--state-dir', clone, '--url', gw!.url, 'upload', '--samples', await writeSamples('replayed', samplesFor(14, 3)), '--method', 'smart']);
  const rl = JSON.parse(replay.stdout.trim().split('\n').pop()!) as Line;
  assert.is(replay.code, 4, replay.stdout + replay.stderr);
  assert.is(rl.action, 'upload');
  assert.is(rl.nonce, now, 'the rolled-back device reuses the first nonce of the epoch');
  assert.is(rl.status, 401);
  assert.is(rl.error_code, 'replay');
  assert.is(rl.verified, true, 'the replay rejection is signed');
  assert.is((await securityStats()).replay, statsBefore.replay + 1);
  assert.is((await deviceRecord()).last_nonce, lastBefore, 'nothing accepted');
  await rm(clone, { recursive: true, force: true });
});

// 4 ---------------------------------------------------------------------------------------------
step('4. command poll → execute → result: set_power 75% completes', async () => {
  const created = await admin('POST', `/commands/${DEVICE}`, { command_type: 'set_power', parameters: { power: '75%' } });
  assert.is(created.status, 201, JSON.stringify(created.json));
  const id = created.json.command_id as string;
  const r = await sim(['poll']);
  assert.is(r.code, 0, describeRun(r));
  const line = r.last('poll');
  assert.is(line.ok, true);
  assert.is(line.verified, true);
  assert.is(line.command.command_id, id);
  assert.is(line.command.command_type, 'set_power');
  assert.equal(line.command.parameters, { power: '75%' });
  assert.is(line.result.status, 'completed');
  assert.is(line.result.acknowledged, true);
  assert.is(line.result.http_status, 200);
  const status = await adminOk('GET', `/commands/status/${id}`);
  assert.is(status.command.status, 'completed');
  assert.is(status.command.result, 'Power set to 75%');
  assert.is(status.command.attempts, 1);
  // nothing else queued
  const again = await sim(['poll']);
  assert.is(again.last('poll').command, null);
});

// 5 ---------------------------------------------------------------------------------------------
step('5. a config change is picked up (GET /config, and a set_config push), applied, reported in diagnostics', async () => {
  const put = await adminOk('PUT', `/config/${DEVICE}`, { upload_frequency: 300, compression_method: 'delta' });
  const version = put.config_version as number;
  assert.ok(version >= 1);
  assert.is(put.behind, true);
  const r = await sim(['config']);
  assert.is(r.code, 0, describeRun(r));
  const line = r.last('config');
  assert.is(line.ok, true);
  assert.is(line.verified, true);
  assert.is(line.config_version, version);
  assert.is(line.config.upload_frequency, 300);
  assert.is(line.config.compression_method, 'delta');
  assert.ok(line.changed.includes('upload_frequency') && line.changed.includes('compression_method'), JSON.stringify(line.changed));
  const st = await simStatus();
  assert.is(st.config_version, version, 'persisted on the device');
  const diag = await sim(['diagnostics']);
  assert.is(diag.code, 0, describeRun(diag));
  const dl = diag.last('diagnostics');
  assert.is(dl.gateway_config_version, version);
  assert.is(dl.config_behind, false);
  const view = await adminOk('GET', `/config/${DEVICE}`);
  assert.is(view.applied_version, version, "the gateway's view: applied version");
  assert.is(view.behind, false);
  const latest = (await adminOk('GET', `/diagnostics/${DEVICE}?limit=1`)).entries[0];
  assert.is(latest.config_version, version);
  // the applied config drives the device: an upload without --method uses the configured one
  const up = await sim(['upload', '--samples', await writeSamples('configured', samplesFor(12, 8))]);
  assert.is(up.code, 0, describeRun(up));
  assert.is(up.last('upload').method, 'delta');

  // pushed with a set_config command: the parameters carry the new version, applied at once
  const pushed = await admin('POST', `/commands/${DEVICE}`, { command_type: 'set_config', parameters: { heartbeat_interval: 120 } });
  assert.is(pushed.status, 201, JSON.stringify(pushed.json));
  const poll = await sim(['poll']);
  assert.is(poll.code, 0, describeRun(poll));
  const pl = poll.last('poll');
  assert.is(pl.command.command_type, 'set_config');
  const pushedVersion = pl.command.parameters.config_version as number;
  assert.ok(pushedVersion > version, JSON.stringify(pl.command));
  assert.is(pl.result.status, 'completed');
  const st2 = await simStatus();
  assert.is(st2.config_version, pushedVersion);
  assert.is(st2.config.heartbeat_interval, 120);
  assert.is(st2.config.upload_frequency, 300, 'earlier values kept');
  assert.is((await sim(['diagnostics'])).code, 0);
  const view2 = await adminOk('GET', `/config/${DEVICE}`);
  assert.is(view2.config_version, pushedVersion);
  assert.is(view2.applied_version, pushedVersion);
  assert.is(view2.behind, false);
});

// 6 ---------------------------------------------------------------------------------------------
step('6. full 1 MiB OTA by hash pages and Range requests; success reported by the new image after its self-test', async () => {
  const successesBefore = (await otaStatus()).successes as number;
  const r = await sim(['ota']);
  assert.ok(r.lines.some((l) => l.event === 'available' && l.version === '1.0.5'), 'offered by /ota/check');
  const res = assertInstalledNotReported(r, '1.0.5');
  assert.is(res.chunks_written, res.total_chunks);
  assert.is(res.total_chunks, Math.ceil((plain.get('1.0.5')!.length + 16 - (plain.get('1.0.5')!.length % 16)) / 4096));
  assert.is(res.pages_fetched, Math.ceil(res.total_chunks / 64), 'each 2 KiB hash page fetched once');
  assert.is(res.refetches, 0);
  const chunks = r.lines.filter((l) => l.event === 'chunk').map((l) => l.chunk);
  assert.equal(chunks, [...Array(res.total_chunks as number).keys()]);
  assert.is((await otaStatus()).successes, successesBefore, 'nothing recorded before the new image runs');
  const stats = await otaStats();
  assert.is(stats.versions['1.0.5'].downloads, res.total_chunks, 'one Range request per chunk');
  assert.is(stats.versions['1.0.5'].download_bytes, plain.get('1.0.5')!.length + 16 - (plain.get('1.0.5')!.length % 16));

  const st = await simStatus();
  assert.is(st.running_slot, 0);
  assert.is(st.slots[1].version, '1.0.5');
  assert.is(st.slots[1].state, 'new');
  assert.is(st.pending_update.version, '1.0.5', 'the pending record names the image');
  await assertInstalled(1, '1.0.5');
  await rebootAndConfirm('1.0.5', 1);
  assert.is((await otaStatus()).successes, successesBefore + 1);
  assert.is((await otaStatus()).security_counter_floor, 1);
});

// 7 ---------------------------------------------------------------------------------------------
step('7. a slot-sized (1.8 MiB) update survives a power cut (SIGKILL) mid-download and resumes from flash', async () => {
  await release('1.0.6', '1.0.7');
  await waitForCatalog((j) => listed(j, '1.0.6') && listed(j, '1.0.7'), '1.0.6 and 1.0.7');
  await publish('1.0.6', '1.0.7');
  assert.ok(plain.get('1.0.6')!.length > 1.75 * MiB && plain.get('1.0.6')!.length < SLOT_BYTES, 'fills the slot');
  const KILL_AFTER = 150;
  const killed = await simKilledAfterChunk(['ota', '--version', '1.0.6'], KILL_AFTER);
  assert.is(killed.signal, 'SIGKILL');
  const written = killed.chunks.at(-1)!;
  assert.ok(written >= KILL_AFTER, `killed after chunk ${written}`);
  const mid = await simStatus();
  assert.ok(mid.ota_resume_chunk >= KILL_AFTER && mid.ota_resume_chunk <= written + 1, JSON.stringify(mid));
  assert.is(mid.firmware_version, '1.0.5', 'still running the old image');

  const second = await sim(['ota', '--version', '1.0.6']);
  const res = assertInstalledNotReported(second, '1.0.6');
  assert.is(res.resumed, true);
  assert.is(res.resumed_at, mid.ota_resume_chunk, 'resumed where the flash state says');
  const chunks = second.lines.filter((l) => l.event === 'chunk').map((l) => l.chunk);
  assert.is(chunks[0], mid.ota_resume_chunk, 'no earlier chunk fetched again');
  assert.is(res.chunks_written, res.total_chunks - mid.ota_resume_chunk);
  await assertInstalled(0, '1.0.6');
  await rebootAndConfirm('1.0.6', 0);
});

// 8 ---------------------------------------------------------------------------------------------
step('8. a tampered hash page and a corrupted chunk are refused and refetched alone; a power cut between the pending record and the boot switch', async () => {
  for (const fault_type of ['ota_page_tamper', 'ota_hash_mismatch']) {
    const inj = await admin('POST', '/fault/inject', { fault_type, device_id: DEVICE, count: 1 });
    assert.is(inj.status, 201, JSON.stringify(inj.json));
  }
  const r = await sim(['ota', '--kill-at', 'activating']); // /ota/check offers the newest: 1.0.7
  assert.is(r.code, null, `killed at the activation point\n${describeRun(r)}`);
  const pageRejected = r.lines.filter((l) => l.event === 'page_rejected');
  assert.is(pageRejected.length, 1, describeRun(r));
  assert.equal([pageRejected[0]!.page, pageRejected[0]!.check], [0, 'hash_page']);
  const rejected = r.lines.filter((l) => l.event === 'chunk_rejected');
  assert.is(rejected.length, 1, describeRun(r));
  assert.equal([rejected[0]!.chunk, rejected[0]!.check], [0, 'chunk_hash']);
  assert.is(r.lines.filter((l) => l.event === 'chunk' && l.chunk === 0).length, 1);
  assert.ok(r.lines.some((l) => l.event === 'activating'));
  assert.ok(!r.lines.some((l) => l.event === 'verified'), 'killed before the boot switch');
  const history = (await adminOk('GET', '/fault/history')).history as any[];
  assert.ok(history.some((h) => h.action === 'triggered' && h.path === '/ota/hashes/1.0.7'), JSON.stringify(history));
  assert.ok(history.some((h) => h.action === 'triggered' && h.path === '/ota/firmware/1.0.7'), JSON.stringify(history));
  // Power back: the old image runs, the record of the unswitched image is dropped (no report),
  // and the next run re-checks the written image and activates it without fetching a chunk.
  const mid = await simStatus();
  assert.is(mid.firmware_version, '1.0.6');
  assert.is(mid.slots[1].state, 'aborted', 'the boot partition was not switched');
  const resumed = await sim(['ota', '--version', '1.0.7']);
  const res = assertInstalledNotReported(resumed, '1.0.7');
  assert.is(res.resumed_at, res.total_chunks);
  assert.is(res.chunks_written, 0);
  assert.ok(!resumed.lines.some((l) => l.action === 'ota_report'), 'an unswitched image is not a rollback');
  await assertInstalled(1, '1.0.7');
  await rebootAndConfirm('1.0.7', 1);
});

// 9 ---------------------------------------------------------------------------------------------
step('9. the gateway down during the self-test window: the image confirms itself and is kept; success is reported later', async () => {
  await release('1.0.10', '1.0.11');
  await waitForCatalog((j) => listed(j, '1.0.10') && listed(j, '1.0.11'), '1.0.10 and 1.0.11');
  await publish('1.0.10', '1.0.11');
  assertInstalledNotReported(await sim(['ota', '--version', '1.0.10']), '1.0.10');
  await gw!.kill();
  gw = undefined;
  const boot = await runProcess(SIM, ['--state-dir', stateDir, 'reboot'], { timeoutMs: 30_000 });
  assert.is(boot.code, 0, boot.stderr);
  // the app loop runs with the gateway unreachable: the self-test needs no gateway
  const down = await runProcess(SIM, ['--state-dir', stateDir, '--url', 'http://127.0.0.1:9', '--attempts', '1', '--timeout-ms', '500', 'diagnostics'], { timeoutMs: 30_000 });
  const lines = down.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);
  assert.ok(lines.some((l) => l.action === 'confirm' && l.trigger === 'self_test' && l.ok === true), down.stdout);
  assert.ok(lines.some((l) => l.action === 'ota_report' && l.ok === false), 'the report waits for the gateway');
  const again = await runProcess(SIM, ['--state-dir', stateDir, 'reboot'], { timeoutMs: 30_000 });
  assert.is(again.code, 0);
  assert.match(again.stdout, /"firmware_version":"1\.0\.10"/, 'kept across a reboot: not rolled back');
  assert.match(again.stdout, /"rolled_back":false/);
  gw = await startGatewayProcess({ DATA_DIR: dataDir, KEYS_DIR: keysDir, FIRMWARE_DIR: fwDir, ADMIN_TOKEN: TOKEN, FAULTS_ENABLED: '1', DURABILITY: 'write' });
  const up = await sim(['diagnostics']);
  assert.is(up.code, 0, describeRun(up));
  const report = up.last('ota_report');
  assert.equal([report.ok, report.success, report.version], [true, true, '1.0.10']);
  const status = await otaStatus();
  assert.is(status.current_version, '1.0.10');
  assert.is(status.last_result.success, true);
  assert.is((await simStatus()).security_counter_min, 3);
});

// 10 --------------------------------------------------------------------------------------------
step('10. a new image that fails its self-test rolls back and is reported as rolled_back; the floor stays', async () => {
  assertInstalledNotReported(await sim(['ota', '--version', '1.0.11']), '1.0.11');
  const failuresBefore = (await otaStatus()).failures as number;
  const boot = await sim(['reboot']);
  assert.is(boot.last('reboot').firmware_version, '1.0.11');
  const r = await sim(['--fail-selftest', 'diagnostics']);
  assert.is(r.code, 0, describeRun(r));
  assert.ok(r.lines.some((l) => l.action === 'selftest' && l.ok === false), describeRun(r));
  const rb = r.last('reboot');
  assert.is(rb.firmware_version, '1.0.10', 'back on the previous image');
  const report = r.last('ota_report');
  assert.equal([report.ok, report.success, report.version, report.error_reported], [true, false, '1.0.11', 'rolled_back']);
  const status = await otaStatus();
  assert.is(status.current_version, '1.0.10');
  assert.is(status.failures, failuresBefore + 1);
  assert.is(status.last_result.version, '1.0.11');
  assert.is(status.last_result.success, false);
  assert.match(status.last_result.error, /^rolled_back: /);
  assert.is((await otaStats()).versions['1.0.11'].failures, 1);
  const st = await simStatus();
  assert.is(st.security_counter_min, 3, 'the rolled-back image never raised the floor');
  assert.is(st.update_state, 'normal');
});

// 11 --------------------------------------------------------------------------------------------
step('11. downgrades are refused: older version by the device, lower counter never offered', async () => {
  await release('1.0.4', '1.0.8');
  await waitForCatalog((j) => listed(j, '1.0.4') && listed(j, '1.0.8'), '1.0.4 and 1.0.8');
  await publish('1.0.4', '1.0.8');
  const successesBefore = (await otaStatus()).successes as number;
  const slot1 = await slot(1);

  // /ota/check: 1.0.11 (counter 4) is newer but the device reports floor 3 — it is offered again;
  // 1.0.8 is below the floor, 1.0.4 is older. Ask explicitly for the two refused ones.
  const low = await sim(['ota', '--version', '1.0.8']);
  assert.is(low.code, 4, describeRun(low));
  const lowRes = low.last('ota');
  assert.is(lowRes.ok, false);
  assert.is(lowRes.status, 409);
  assert.is(lowRes.error_code, 'security_counter_too_low');
  assert.ok(!low.lines.some((l) => l.event === 'chunk' || l.event === 'page'));

  // Forced to 1.0.4 (counter 3, allowed): the gateway serves its manifest, the device refuses it
  // after authenticating it and before touching flash, and reports the refusal.
  const old = await sim(['ota', '--version', '1.0.4']);
  assert.is(old.code, 1, describeRun(old));
  const oldRes = old.last('ota');
  assert.is(oldRes.ok, false);
  assert.is(oldRes.check, 'downgrade');
  assert.is(oldRes.error, 'rollback');
  assert.ok(!old.lines.some((l) => l.event === 'chunk' || l.event === 'page'), 'not a single page or chunk fetched');
  assert.ok(old.lines.some((l) => l.event === 'reported' && l.check === 'downgrade'));

  const after = await otaStatus();
  assert.is(after.successes, successesBefore, 'no success recorded');
  assert.is(after.current_version, '1.0.10');
  assert.is(after.last_result.version, '1.0.4');
  assert.is(after.last_result.error, 'downgrade: version 1.0.4 is older than the running 1.0.10');
  const stats = await otaStats();
  assert.is(stats.versions['1.0.4'].successes, 0);
  assert.is(stats.versions['1.0.4'].downloads, 0);
  assert.is(stats.versions['1.0.8'].downloads, 0);
  assert.ok((await slot(1)).equals(slot1), 'the inactive slot is byte-for-byte unchanged');
});

// 12 --------------------------------------------------------------------------------------------
step('12. a tampered manifest is refused before flashing; nothing is installed', async () => {
  // Claim counter 9 instead of 4: header byte 12 (u32 LE) and its JSON copy, consistently, so
  // only the RSA-PSS manifest signature can tell.
  const manifestName = 'firmware_1.0.12_manifest.json';
  const m = JSON.parse(await readFile(join(stageDir, manifestName), 'utf8'));
  const header = Buffer.from(m.manifest_header, 'base64');
  assert.is(header.length, 176, 'format 2 header');
  assert.is(header.readUInt32LE(12), 4);
  header.writeUInt32LE(9, 12);
  m.manifest_header = header.toString('base64');
  m.security_counter = 9;
  await writeFile(join(stageDir, manifestName), JSON.stringify(m, null, 2));
  await release('1.0.12');
  const slots = [await slot(0), await slot(1)];
  const otadata = await readFile(join(stateDir, 'otadata'));

  // (a) This gateway holds the fleet's public key (shared KEYS_DIR): the image is a draft whose
  // signature it shows as invalid, publishing it is refused, and no device may fetch it.
  const cat = await waitForCatalog((j) => listed(j, '1.0.12'), '1.0.12 as a draft');
  const draft = (cat.images as any[]).find((i) => i.version === '1.0.12');
  assert.equal([draft.state, draft.signature.status], ['draft', 'invalid']);
  assert.match(draft.signature.problem, /manifest_signature/);
  const publishing = await admin('POST', '/ota/images/1.0.12/publish', { general: true });
  assert.equal([publishing.status, publishing.json.error.code, publishing.json.error.check], [409, 'signature_invalid', 'manifest_signature']);
  const refused = await sim(['ota', '--version', '1.0.12']);
  assert.is(refused.code, 4, describeRun(refused));
  const refusal = refused.last('ota');
  assert.equal([refusal.status, refusal.error_code, refusal.withdrawn, refusal.reason], [409, 'not_assigned', true, 'not_assigned'], describeRun(refused));
  assert.equal((await simStatus()).ota_withdrawn, { version: '1.0.12', reason: 'not_assigned', chunks: 0 }, 'the signed 409 is final and shown');

  // (b) A compromised gateway serves it anyway (here: its release record edited to published, and
  // no public key to check with): the device's own check stops it. Same DATA_DIR and
  // FIRMWARE_DIR; KEYS_DIR holds only the device master key.
  await gw!.kill();
  gw = undefined;
  const recordsPath = join(dataDir, 'ota-releases.json');
  const records = JSON.parse(await readFile(recordsPath, 'utf8'));
  for (const r of records.releases) if (r.version === '1.0.12') Object.assign(r, { state: 'published', general: true });
  await writeFile(recordsPath, JSON.stringify(records));
  const bareKeys = join(dir, 'gateway-keys-no-ota');
  await mkdir(bareKeys, { mode: 0o700 });
  await copyFile(join(keysDir, 'device_master.key'), join(bareKeys, 'device_master.key'));
  gw = await startGatewayProcess({ DATA_DIR: dataDir, KEYS_DIR: bareKeys, FIRMWARE_DIR: fwDir, ADMIN_TOKEN: TOKEN, FAULTS_ENABLED: '1', DURABILITY: 'write' });
  await waitForCatalog((j) => (j.images as any[]).some((i) => i.version === '1.0.12' && i.state === 'published'), '1.0.12 served by the compromised gateway');

  const r = await sim(['ota', '--version', '1.0.12']);
  assert.is(r.code, 1, describeRun(r));
  const res = r.last('ota');
  assert.is(res.ok, false);
  assert.is(res.check, 'manifest_signature');
  assert.is(res.complete, false);
  assert.ok(!r.lines.some((l) => l.event === 'manifest' || l.event === 'chunk' || l.event === 'page'), 'refused before any page or chunk');
  assert.ok(r.lines.some((l) => l.event === 'reported' && l.check === 'manifest_signature'));

  const status = await otaStatus();
  assert.is(status.current_version, '1.0.10');
  assert.is(status.last_result.version, '1.0.12');
  assert.is(status.last_result.success, false);
  assert.match(status.last_result.error, /^manifest_signature/);
  assert.is((await otaStats()).versions['1.0.12'].downloads, 0);

  const st = await simStatus();
  assert.is(st.firmware_version, '1.0.10');
  assert.is(st.ota_resume_chunk, null);
  assert.ok((await slot(0)).equals(slots[0]!), 'slot 0 untouched');
  assert.ok((await slot(1)).equals(slots[1]!), 'slot 1 untouched');
  assert.ok((await readFile(join(stateDir, 'otadata'))).equals(otadata), 'otadata untouched');
  // the device still talks to the restarted gateway with its nonces
  const up = await sim(['upload', '--samples', await writeSamples('final', samplesFor(13, 4)), '--method', 'rle']);
  assert.is(up.code, 0, describeRun(up));
  assert.is(up.last('upload').status, 200);
});

test.run();
