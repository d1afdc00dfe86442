/**
 * `fleetgate keys init` on a directory it cannot make: one line, exit 3, at once (Node's recursive
 * mkdir spins forever under /proc; the CLI makes its directories through server/make-dir.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/gateway.ts';
import { fleetgate } from '../live.ts';

test('keys init --keys-dir under /proc or through a file: one line, exit 3, at once', async () => {
  const file = join(await tempDir(), 'afile');
  await writeFile(file, 'x');
  const pem = join(await tempDir(), 'server_public_key.pem');
  await writeFile(pem, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  for (const [args, message] of [
    [['keys', 'init', '--keys-dir', '/proc/x'], /^fleetgate: \/proc\/x: cannot create directories in \/proc\n$/],
    [['keys', 'init', '--public-only', pem, '--keys-dir', '/proc/x'], /^fleetgate: \/proc\/x: cannot create directories in \/proc\n$/],
    [['keys', 'init', '--keys-dir', join(file, 'keys')], /^fleetgate: \S+\/afile\/keys: \S+\/afile is not a directory\n$/],
  ] as const) {
    const r = await fleetgate([...args], {}, undefined, { timeoutMs: 15_000 });
    assert.is(r.code, 3, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test.run();
