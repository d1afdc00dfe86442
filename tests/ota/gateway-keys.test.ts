/**
 * Keys off the gateway (issue 15): `fleetgate keys init --public-only` prepares a gateway's
 * KEYS_DIR from the build machine's public key alone; a gateway on it verifies manifest signatures
 * (an image signed with other keys is caught) without ever holding the signing or AES key; and a
 * gateway whose KEYS_DIR holds those secrets warns at start.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createGateway } from '../../server/app.ts';
import { initKeys } from '../../server/ota/keys.ts';
import { tempDir, testConfig } from '../helpers/gateway.ts';
import { fleetgate } from '../cli/live.ts';

test('keys init --public-only writes the public key and the device master secret, nothing that signs or decrypts', async () => {
  const dir = await tempDir();
  const build = join(dir, 'build-keys');
  await initKeys(build, { bits: 2048 });
  const gatewayKeys = join(dir, 'gateway-keys');
  const r = await fleetgate(['keys', 'init', '--public-only', join(build, 'server_public_key.pem'), '--keys-dir', gatewayKeys]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /verify only/);
  assert.equal((await readdir(gatewayKeys)).sort(), ['device_master.key', 'server_public_key.pem']);
  const again = await fleetgate(['keys', 'init', '--public-only', join(build, 'server_public_key.pem'), '--keys-dir', gatewayKeys]);
  assert.is(again.code, 0, 'the same key again is fine');
  const other = join(dir, 'other-keys');
  await initKeys(other, { bits: 2048 });
  const clash = await fleetgate(['keys', 'init', '--public-only', join(other, 'server_public_key.pem'), '--keys-dir', gatewayKeys]);
  assert.is(clash.code, 2);
  assert.match(clash.stderr, /holds another public key; use --force/);
  const show = await fleetgate(['keys', 'show', '--keys-dir', gatewayKeys]);
  assert.match(show.stdout, /firmware AES key: none here/);
  const bad = await fleetgate(['keys', 'init', '--public-only', join(build, 'aes_firmware_key.bin'), '--keys-dir', join(dir, 'x')]);
  assert.not.equal(bad.code, 0);
});

test('a gateway warns at start when its KEYS_DIR holds the signing or AES key, and not with the public key alone', async () => {
  const warnings = async (keysDir: string) => {
    const dir = await tempDir();
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const gw = await createGateway({ ...testConfig(dir, { KEYS_DIR: keysDir }), adminToken: 'x'.repeat(20) }, { logger: pino({ level: 'warn' }, sink) });
    await gw.close();
    return lines.map((l) => JSON.parse(l) as { msg: string; files?: string[] }).filter((l) => l.msg.startsWith('KEYS_DIR holds firmware signing'));
  };
  const dir = await tempDir();
  const full = join(dir, 'full');
  await initKeys(full, { bits: 2048 });
  const warned = await warnings(full);
  assert.is(warned.length, 1);
  assert.equal(warned[0]!.files, ['server_private_key.pem', 'aes_firmware_key.bin', 'keys.h']);
  const pub = join(dir, 'pub');
  assert.is((await fleetgate(['keys', 'init', '--public-only', join(full, 'server_public_key.pem'), '--keys-dir', pub])).code, 0);
  assert.equal(await warnings(pub), []);
});

test.run();
