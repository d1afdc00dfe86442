/**
 * The download part of server/ota/README.md ("Checking a package by hand") with the real binaries
 * and a child-process gateway:
 * `fleetgate keys init`, `fleetgate firmware package`, start the gateway, download half the image
 * with `curl -r`, resume with `curl -C -`, `fleetgate firmware verify --image` the result; `curl -I`;
 * a second image packaged while the gateway runs appears without a restart; and a device-signed
 * range download with `fleetgate sign-request`, whose X-Signature is the streamed binding.
 * (openssl decrypt + verify of a packaged image is covered in package.test.ts.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hexToBytes, macHexEquals } from '../../server/crypto/hmac.ts';
import { streamSignature } from '../../server/http/device-request.ts';
import { runProcess, startGatewayProcess, type GatewayProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/gateway.ts';

const TOKEN = 'curl-test-admin-token-0123456789';
let dir = '';
let gw: GatewayProcess | undefined;

const fleetgate = (args: string[], env: Record<string, string> = {}) => runProcess(process.execPath, ['cli/bin.js', ...args], { env });
const curl = (args: string[]) => runProcess('curl', ['-sS', ...args]);

test.before(async () => {
  dir = await tempDir('fleetgate-ota-curl-');
});

test.after(async () => {
  await gw?.kill();
  await rm(dir, { recursive: true, force: true });
});

test('keys init → package → gateway → curl half + curl -C - → firmware verify', async () => {
  const keys = join(dir, 'keys');
  const images = join(dir, 'firmware');
  let r = await fleetgate(['keys', 'init', '--dir', keys]);
  assert.is(r.code, 0, r.stderr);
  const plain = randomBytes(300_000);
  await writeFile(join(dir, 'app.bin'), plain);
  r = await fleetgate(['firmware', 'package', join(dir, 'app.bin'), '--version', '1.2.3', '--security-counter', '4', '--keys', keys, '--out', images]);
  assert.is(r.code, 0, r.stderr);
  const manifestPath = join(images, 'firmware_1.2.3_manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { encrypted_size: number; hash_root: string };
  const size = manifest.encrypted_size;

  gw = await startGatewayProcess({ DATA_DIR: join(dir, 'data'), KEYS_DIR: keys, FIRMWARE_DIR: images, ADMIN_TOKEN: TOKEN });
  const url = `${gw.url}/ota/firmware/1.2.3`;
  const auth = ['-H', `Authorization: Bearer ${TOKEN}`];
  const out = join(dir, 'download.bin');

  // First half, as an interrupted download would leave it.
  r = await curl([...auth, '-r', `0-${Math.floor(size / 2) - 1}`, '-o', out, '-w', '%{http_code}', url]);
  assert.is(r.stdout, '206', r.stderr);
  assert.is((await stat(out)).size, Math.floor(size / 2));
  // Resume: curl sends Range: bytes=<size of out>- and appends.
  r = await curl([...auth, '-C', '-', '-o', out, '-w', '%{http_code}', url]);
  assert.is(r.stdout, '206', r.stderr);
  assert.ok((await readFile(out)).equals(await readFile(join(images, 'firmware_1.2.3_encrypted.bin'))));
  // Resuming a complete file: curl asks for bytes=<size>- and accepts the 416 as "already complete".
  r = await curl([...auth, '-C', '-', '-o', out, '-w', '%{http_code}', url]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '416');

  r = await fleetgate(['firmware', 'verify', manifestPath, '--image', out, '--keys', keys, '--min-counter', '4']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^OK 1\.2\.3 \(counter 4\): 300000 bytes/);

  // HEAD with curl -I: headers only.
  r = await curl([...auth, '-I', url]);
  assert.match(r.stdout, /^HTTP\/1\.1 200/);
  assert.match(r.stdout, new RegExp(`content-length: ${size}\\r?\\n`, 'i'));
  assert.match(r.stdout, new RegExp(`etag: "${manifest.hash_root}"`, 'i'));
  assert.match(r.stdout, /accept-ranges: bytes/i);
  // Without credentials: 401.
  r = await curl(['-o', '/dev/null', '-w', '%{http_code}', url]);
  assert.is(r.stdout, '401');
});

test('an image packaged while the gateway runs is listed and served without a restart', async () => {
  const keys = join(dir, 'keys');
  const images = join(dir, 'firmware');
  await writeFile(join(dir, 'app2.bin'), randomBytes(5000));
  const r = await fleetgate(['firmware', 'package', join(dir, 'app2.bin'), '--version', '1.2.4', '--keys', keys, '--out', images]);
  assert.is(r.code, 0, r.stderr);
  const deadline = Date.now() + 5000;
  let versions: string[] = [];
  while (Date.now() < deadline) {
    const res = await fetch(`${gw!.url}/ota/images`, { headers: { authorization: `Bearer ${TOKEN}` } });
    versions = ((await res.json()) as { images: { version: string }[] }).images.map((i) => i.version);
    if (versions.includes('1.2.4')) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  assert.equal(versions, ['1.2.3', '1.2.4']);
  const res = await fetch(`${gw!.url}/ota/firmware/1.2.4`, { headers: { authorization: `Bearer ${TOKEN}`, range: 'bytes=-16' } });
  assert.is(res.status, 206);
});

test('device-signed range download with curl and fleetgate sign-request; X-Signature is the binding', async () => {
  const reg = await curl(['-X', 'POST', '-H', `Authorization: Bearer ${TOKEN}`, '-d', '{"device_id":"curl-dev"}', `${gw!.url}/devices`]);
  const key = (JSON.parse(reg.stdout) as { hmac_key: string }).hmac_key;
  const path = '/ota/firmware/1.2.3';
  const signed = await fleetgate(['sign-request', '--device', 'curl-dev', '--key', key, '--nonce', '1', '--path', path]);
  assert.is(signed.code, 0, signed.stderr);
  const headerArgs = [...signed.stdout.matchAll(/-H '([^']+)'/g)].flatMap((m) => ['-H', m[1]!]);
  const r = await curl([...headerArgs, '-r', '0-1023', '-D', '-', '-o', join(dir, 'dev.bin'), `${gw!.url}${path}`]);
  const headers = Object.fromEntries(
    r.stdout
      .split(/\r?\n/)
      .map((l) => /^([^:]+):\s*(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!.toLowerCase(), m[2]!]),
  );
  assert.match(r.stdout, /^HTTP\/1\.1 206/);
  const binding = `${headers.etag} ${headers['content-range']}`;
  assert.ok(macHexEquals(headers['x-signature']!, streamSignature(hexToBytes(key), 1, binding)), binding);
  assert.is((await stat(join(dir, 'dev.bin'))).size, 1024);
});

test.run();
