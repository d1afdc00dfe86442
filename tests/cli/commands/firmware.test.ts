/**
 * `fleetgate firmware package` into a --firmware-dir it cannot make: one line, exit 3, at once
 * (Node's recursive mkdir spins forever under /proc). Missing keys: one line that says what to do
 * on which machine — never the hidden --dir, never "create signing keys" for a gateway's KEYS_DIR.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, writeFile } from 'node:fs/promises';
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

test('missing keys: package, verify and list say what to do, on the right machine', async () => {
  const out = join(dir, 'out');
  const made = await fleetgate(['firmware', 'package', join(dir, 'app.bin'), '--version', '1.0.1', '--keys-dir', keys, '--firmware-dir', out]);
  assert.is(made.code, 0, made.stderr);
  const manifest = join(out, 'firmware_1.0.1_manifest.json');
  const gateway = join(dir, 'gateway-keys');
  const pub = await fleetgate(['keys', 'init', '--public-only', join(keys, 'server_public_key.pem'), '--keys-dir', gateway]);
  assert.is(pub.code, 0, pub.stderr);
  const empty = join(dir, 'empty');
  await mkdir(empty);
  const cases: [string[], string][] = [
    [['firmware', 'verify', manifest, '--keys-dir', gateway], `fleetgate: ${gateway} has no aes_firmware_key.bin: it looks like a gateway's KEYS_DIR (public key only); checking an image needs the AES key too: verify on the build machine, --keys-dir naming its keys directory\n`],
    [['firmware', 'list', '--firmware-dir', out, '--keys-dir', empty], `fleetgate: ${empty} has no server_public_key.pem, aes_firmware_key.bin: pass --keys-dir the build machine's keys directory (the one \`fleetgate keys init\` made)\n`],
    [['firmware', 'package', join(dir, 'app.bin'), '--version', '1.0.2', '--keys-dir', gateway, '--firmware-dir', out], `fleetgate: ${gateway} has no server_private_key.pem, aes_firmware_key.bin: packaging signs and encrypts, on the build machine: create its keys there with \`fleetgate keys init --keys-dir ${gateway}\`\n`],
    [['keys', 'show', '--keys-dir', empty], `fleetgate: ${empty} has no server_public_key.pem: not a keys directory (build machine: \`fleetgate keys init --keys-dir ${empty}\`; gateway: \`fleetgate keys init --public-only <public key> --keys-dir ${empty}\`)\n`],
  ];
  for (const [args, message] of cases) {
    const r = await fleetgate(args);
    assert.is(r.code, 3, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.is(r.stderr, message);
    assert.not.match(r.stderr, /--dir /);
  }
});

test.run();
