/**
 * The device firmware's C unit tests as part of `npm test`: runs scripts/setup-firmware.sh, which
 * installs the Debian build dependencies if missing, builds firmware/host (core + tests under
 * ASan/UBSan, fleetgate-sim, the codec benchmark) and runs ctest. The C tests read the same
 * vector files in tests/vectors/ as the TypeScript tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD = join(ROOT, 'firmware', 'host', 'build');

let output = '';

test('setup-firmware.sh builds the host firmware and ctest passes', () => {
  const r = spawnSync('bash', [join(ROOT, 'scripts', 'setup-firmware.sh')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 20 * 60 * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  output = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  if (r.status !== 0) console.log(output.split('\n').slice(-80).join('\n'));
  assert.is(r.status, 0, 'setup-firmware.sh exited non-zero');
  assert.match(output, /100% tests passed, 0 tests failed out of \d+/);
});

test('every C unit test suite ran (none silently skipped)', () => {
  const m = /tests passed, 0 tests failed out of (\d+)/.exec(output);
  assert.ok(m, 'ctest summary missing');
  assert.ok(Number(m![1]) >= 12, `expected at least 12 C test suites, ctest ran ${m![1]}`);
  assert.not.match(output, /\(skipped:/);
});

test('the simulator and the benchmark were built', () => {
  assert.ok(existsSync(join(BUILD, 'fleetgate-sim')), 'fleetgate-sim missing');
  assert.ok(existsSync(join(BUILD, 'fleetgate-codec-bench')), 'fleetgate-codec-bench missing');
});

test.run();
