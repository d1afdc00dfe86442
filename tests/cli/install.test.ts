/**
 * `npm install -g .` and `npm link` from a checkout put a working `fleetgate` on PATH (here under
 * a temporary prefix, offline: a folder install is a symlink to the checkout, no registry is
 * asked). The installed command runs from any directory and loads its lazy chunks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/gateway.ts';
import { ROOT, runProcess } from '../helpers/process.ts';

const npmFlags = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];

async function check(prefix: string): Promise<void> {
  const bin = join(prefix, 'bin', 'fleetgate');
  const elsewhere = await tempDir('fleetgate-cwd-');
  const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}` };
  const version = await runProcess('fleetgate', ['--version'], { env, cwd: elsewhere });
  assert.is(version.code, 0, version.stderr);
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.is(version.stdout, `${pkg.version}\n`);
  // A command whose code is in a chunk (the codec), run from another directory.
  await writeFile(join(elsewhere, 's.csv'), 'timestamp,power\n100,5\n160,6\n');
  const packed = await runProcess(bin, ['pack', '--file', 's.csv'], { cwd: elsewhere });
  assert.is(packed.code, 0, packed.stderr);
  assert.is((JSON.parse(packed.stdout) as { method: number }).method, 0xff);
}

test('npm install -g . gives a working fleetgate on PATH', async () => {
  const prefix = await tempDir('fleetgate-global-');
  const r = await runProcess('npm', ['install', '-g', '--prefix', prefix, ...npmFlags, '.'], { cwd: ROOT });
  assert.is(r.code, 0, r.stderr);
  await check(prefix);
});

test('npm link gives a working fleetgate on PATH', async () => {
  const prefix = await tempDir('fleetgate-link-');
  const r = await runProcess('npm', ['link', ...npmFlags], { cwd: ROOT, env: { npm_config_prefix: prefix } });
  assert.is(r.code, 0, r.stderr);
  await check(prefix);
});

test.run();
