/**
 * `fleetgate firmware package` into a --firmware-dir it cannot make: one line, exit 3, at once
 * (Node's recursive mkdir spins forever under /proc).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/gateway.ts';
import { fleetgate } from '../live.ts';

let dir: string;
let keys: string;

test.before(async () => {
  dir = await tempDir();
  keys = join(dir, 'keys');
  const r = await fleetgate(['keys', 'init', '--keys-dir', keys]);
  assert.is(r.code, 0, r.stderr);
  await writeFile(join(dir, 'app.bin'), Buffer.alloc(5000, 7));
});

test('firmware package --firmware-dir /proc/nope: one line, exit 3, at once', async () => {
  const r = await fleetgate(['firmware', 'package', join(dir, 'app.bin'), '--version', '1.0.0', '--keys-dir', keys, '--firmware-dir', '/proc/nope'], {}, undefined, { timeoutMs: 15_000 });
  assert.is(r.code, 3, r.stderr);
  assert.is(r.stderr, 'fleetgate: /proc/nope: cannot create directories in /proc\n');
});

test.run();
