/**
 * The README's walkthrough is executable: its ```sh walkthrough blocks run in order, as one bash
 * script (`set -Eeuo pipefail`), against a fresh gateway started as `npm start` runs it (the
 * bundle) on a free port. The script sees what the README's setup block gives a reader: `$GW`,
 * `KEYS_DIR` / `FIRMWARE_DIR` / `DATA_DIR` of that gateway, `fleetgate` and `fleetgate-sim` on
 * PATH, and `HMAC_PSK` (the gateway runs with the EcoWatt fleet key and ALLOW_SHARED_PSK=1, as
 * the README's shared-key section asks). It runs in a scratch directory with its own HOME (no
 * ~/.curlrc or ~/.npmrc of whoever runs the tests), and fails on any non-zero exit: the
 * assertions are inline in the blocks (`| jq -e …`, `cmp`).
 *
 * The script keeps the README's line numbers (everything else is blanked), so bash's own messages,
 * the xtrace (`+ README.md:<line>:`) and the failure line name README lines. KEEP_TEST_DIRS=1 keeps
 * the scratch directory (the gateway's data, the device's state, the files the blocks wrote).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { ROOT, runProcess, startGatewayProcess, type GatewayProcess } from '../helpers/process.ts';
import { failedLine, readmeScript, runScript } from './script.ts';

/** A fleet key for the shared-key section (hex, as HMAC_PSK takes it); test data, not a secret. */
const FLEET_KEY = '5ec7e7a4b1d0c0ffee0ddba11fa11e5a';
const SIM = join(ROOT, 'firmware', 'host', 'build', 'fleetgate-sim');
const RUN_TIMEOUT_MS = 90_000;

/** Steps the walkthrough must take, so that dropping one (or every block) fails here. */
const JOURNEY: [string, RegExp][] = [
  ['create the OTA keys', /^fleetgate keys init\b/m],
  ['register a device', /fleetgate device add meter-1\b/],
  ['show a signed upload over HTTP', /fleetgate sign .*\n?.*curl .*\/aggregated\//],
  ['provision the simulated device', /\bprovision\b/],
  ['queue a command', /fleetgate command send /],
  ['change the configuration', /fleetgate config set /],
  ['keep the signing key off the gateway', /fleetgate keys init --public-only /],
  ['package an image on the build machine', /fleetgate firmware package .*\n?.*--keys-dir "\$BUILD/],
  ['upload it to the gateway', /fleetgate ota upload /],
  ['publish it', /fleetgate ota publish /],
  ['roll it out to the canaries first', /fleetgate rollout create .*tag:canary/],
  ['install it on the device', /\bdev ota\b/],
  ['watch the rollout advance by itself', /step\.index == 1/],
  ['read who did each step in the audit log', /fleetgate audit --action rollout\./],
  ['check every step with an assertion', /jq -e/],
];

test('the walkthrough covers the journey from keys to a firmware update', async () => {
  const script = readmeScript(await readFile(join(ROOT, 'README.md'), 'utf8'), 'walkthrough');
  for (const [step, pattern] of JOURNEY) assert.match(script, pattern, `the walkthrough does not ${step} (${pattern})`);
});

test('the README walkthrough runs green against a fresh gateway', async () => {
  const dir = await tempDir('fleetgate-readme-');
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), FIRMWARE_DIR: join(dir, 'firmware-images') };
  const [bin, home, work] = [join(dir, 'bin'), join(dir, 'home'), join(dir, 'work')];
  await Promise.all([bin, home, work, env.FIRMWARE_DIR].map((d) => mkdir(d, { recursive: true })));
  await Promise.all([symlink(join(ROOT, 'cli', 'bin.js'), join(bin, 'fleetgate')), symlink(SIM, join(bin, 'fleetgate-sim'))]);
  const script = join(dir, 'walkthrough.sh');
  await writeFile(script, readmeScript(await readFile(join(ROOT, 'README.md'), 'utf8'), 'walkthrough'));

  // The simulator build (flock'd: the firmware tests may build the same tree), the tools the
  // README asks a reader to have, and the gateway, side by side.
  const build = runProcess('bash', [join(ROOT, 'scripts', 'setup-firmware.sh'), '--no-test'], { env: { DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 15 * 60_000 });
  const tools = runProcess('bash', [join(ROOT, 'scripts', 'apt-install.sh'), 'curl', 'jq', 'openssl'], { timeoutMs: 10 * 60_000 });
  let gw: GatewayProcess | undefined;
  try {
    // The steering job every second (30 s by default): the walkthrough waits for it to advance.
    gw = await startGatewayProcess(
      { ...env, ADMIN_TOKEN: '', HMAC_PSK: FLEET_KEY, ALLOW_SHARED_PSK: '1', LOG_LEVEL: 'warn', ROLLOUT_STEER_INTERVAL_SECONDS: '1' },
      { bundle: true },
    );
    for (const [what, r] of [['setup-firmware.sh --no-test', await build], ['apt-install.sh curl jq openssl', await tools]] as const) {
      assert.is(r.code, 0, `${what} failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    }
    const run = await runScript(script, work, {
      ...env,
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: home,
      LANG: 'C.UTF-8',
      GW: gw.url,
      HMAC_PSK: FLEET_KEY,
    }, RUN_TIMEOUT_MS);
    if (run.code !== 0) {
      console.log(`--- walkthrough output (last 80 lines) ---\n${run.output.split('\n').slice(-80).join('\n')}`);
      console.log(`--- gateway output ---\n${gw.output().slice(-3000)}`);
      if (process.env.KEEP_TEST_DIRS === '1') console.log(`kept ${dir}`);
    }
    assert.is(run.code, 0, failedLine(run.output) ?? `the walkthrough exited with ${run.code}`);
    console.log(`walkthrough ran in ${(run.ms / 1000).toFixed(1)} s`);
  } finally {
    await gw?.kill();
  }
});

test.run();
