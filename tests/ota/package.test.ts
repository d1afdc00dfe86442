/**
 * `fleetgate firmware package|verify|list` end to end through the command modules: the round
 * trip, interoperability with the system `openssl` (decrypt, PSS verify of both signatures,
 * decrypting one middle chunk alone), every tamper caught with the right check named, option
 * validation, no-clobber and atomic output, and the catalog. One 2048-bit key for the file.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../cli/errors.ts';
import { FirmwareCatalog } from '../../server/ota/catalog.ts';
import { loadVerifyKeys, KEY_FILES, type VerifyKeys } from '../../server/ota/keys.ts';
import { HeaderOffset, type ManifestV1 } from '../../server/ota/manifest.ts';
import { chunkIv, decryptChunk, FirmwareVerifier, stripPadding } from '../../server/ota/verify.ts';
import { FirmwareCheckError } from '../../server/ota/checks.ts';
import { cliOk, runCli } from './cli-harness.ts';

let root = '';
let keysDir = '';
let outDir = '';
let fwPath = '';
let firmware = Buffer.alloc(0);
let verifyKeys: VerifyKeys;

const V1 = ['--manifest-format', '1', '--chunk-size', '1024'];
const manifestPath = (v: string, dir = outDir) => join(dir, `firmware_${v}_manifest.json`);
const imagePath = (v: string, dir = outDir) => join(dir, `firmware_${v}_encrypted.bin`);
const readManifest = async (v: string, dir = outDir): Promise<ManifestV1> => JSON.parse(await readFile(manifestPath(v, dir), 'utf8'));

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleetgate-fw-'));
  keysDir = join(root, 'keys');
  outDir = join(root, 'images');
  await cliOk(['keys', 'init', '--dir', keysDir]);
  verifyKeys = await loadVerifyKeys(keysDir);
  firmware = randomBytes(10_000); // 10016 encrypted: 10 chunks of 1024 (last one 800 bytes)
  fwPath = join(root, 'firmware.bin');
  await writeFile(fwPath, firmware);
  // Format 1 (the full chunk list) with 1 KiB chunks: this file covers format 1, which images
  // already in the field use; format 2 has tests/ota/manifest-v2.test.ts.
  await cliOk(['firmware', 'package', fwPath, '--version', '1.0.5', '--security-counter', '3', '--notes', 'first', '--keys', keysDir, '--out', outDir, ...V1]);
});

test('package writes image and manifest with the documented fields', async () => {
  const m = await readManifest('1.0.5');
  assert.is(m.version, '1.0.5');
  assert.is(m.security_counter, 3);
  assert.is(m.original_size, 10_000);
  assert.is(m.encrypted_size, 10_016);
  assert.is(m.chunk_size, 1024);
  assert.is(m.total_chunks, 10);
  assert.is(m.chunk_hashes.length, 10);
  assert.is(m.release_notes, 'first');
  assert.is(m.format_version, 1);
  assert.is(m.key_id, verifyKeys.keyId);
  assert.is(m.aes_key_id, verifyKeys.aesKeyId);
  assert.is(m.sha256_hash, createHash('sha256').update(firmware).digest('hex'));
  assert.is(Buffer.from(m.iv, 'base64').length, 16);
  assert.is(Buffer.from(m.manifest_header, 'base64').length, 160);
  assert.ok(!Number.isNaN(Date.parse(m.created_at)));
  const image = await readFile(imagePath('1.0.5'));
  assert.is(image.length, 10_016);
  for (let i = 0; i < 10; i++) {
    assert.is(createHash('sha256').update(image.subarray(i * 1024, (i + 1) * 1024)).digest('hex'), m.chunk_hashes[i]);
  }
  assert.equal((await readdir(outDir)).filter((n) => n.endsWith('.tmp')), []);
});

test('firmware verify: OK summary, default image path next to the manifest', async () => {
  const out = await cliOk(['firmware', 'verify', manifestPath('1.0.5'), '--keys', keysDir]);
  assert.is(out.length, 1);
  assert.match(out[0]!, /^OK 1\.0\.5 \(counter 3\): 10000 bytes, 10 chunks of 1024/);
});

test('openssl decrypts the image to the original bytes exactly', async () => {
  const m = await readManifest('1.0.5');
  const key = (await readFile(join(keysDir, KEY_FILES.aesKey))).toString('hex');
  const iv = Buffer.from(m.iv, 'base64').toString('hex');
  const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-K', key, '-iv', iv, '-in', imagePath('1.0.5')]);
  assert.ok(plain.equals(firmware));
});

test('openssl verifies the firmware signature and the manifest signature (PSS, SHA-256, salt 32)', async () => {
  const m = await readManifest('1.0.5');
  const pub = join(keysDir, KEY_FILES.publicKey);
  const sig = join(root, 'fw.sig');
  await writeFile(sig, Buffer.from(m.signature, 'base64'));
  const pss = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'];
  assert.match(execFileSync('openssl', ['dgst', '-sha256', ...pss, '-verify', pub, '-signature', sig, fwPath]).toString(), /Verified OK/);
  const header = join(root, 'header.bin');
  const msig = join(root, 'header.sig');
  await writeFile(header, Buffer.from(m.manifest_header, 'base64'));
  await writeFile(msig, Buffer.from(m.manifest_signature, 'base64'));
  assert.match(execFileSync('openssl', ['dgst', '-sha256', ...pss, '-verify', pub, '-signature', msig, header]).toString(), /Verified OK/);
  // A salt length other than 32 must not verify: the parameters are fixed, not negotiated.
  const wrongSalt = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:20'];
  try {
    execFileSync('openssl', ['dgst', '-sha256', ...wrongSalt, '-verify', pub, '-signature', sig, fwPath], { stdio: 'pipe' });
    assert.unreachable('salt length 20 must fail');
  } catch (err) {
    assert.ok((err as { status?: number }).status !== 0);
  }
});

test('resume: a middle chunk decrypts alone with IV = last 16 bytes of the previous chunk (ours and openssl)', async () => {
  const m = await readManifest('1.0.5');
  const image = await readFile(imagePath('1.0.5'));
  const aesKey = await readFile(join(keysDir, KEY_FILES.aesKey));
  const n = 5;
  const chunk = image.subarray(n * 1024, (n + 1) * 1024);
  const iv = chunkIv(n, Buffer.from(m.iv, 'base64'), image.subarray((n - 1) * 1024, n * 1024));
  assert.ok(decryptChunk(aesKey, iv, chunk).equals(firmware.subarray(n * 1024, (n + 1) * 1024)));
  const chunkFile = join(root, 'chunk5.bin');
  await writeFile(chunkFile, chunk);
  const viaOpenssl = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-nopad', '-K', aesKey.toString('hex'), '-iv', Buffer.from(iv).toString('hex'), '-in', chunkFile]);
  assert.ok(viaOpenssl.equals(firmware.subarray(n * 1024, (n + 1) * 1024)));
  // The last chunk alone, padding stripped: 10000 - 9*1024 = 784 bytes of firmware.
  const last = image.subarray(9 * 1024);
  const lastPlain = stripPadding(decryptChunk(aesKey, image.subarray(9 * 1024 - 16, 9 * 1024), last), 16, 9);
  assert.ok(lastPlain.equals(firmware.subarray(9 * 1024)));
});

test('FirmwareVerifier: a bad chunk is rejected without consuming state, the refetched one is accepted', async () => {
  const m = await readManifest('1.0.5');
  const image = await readFile(imagePath('1.0.5'));
  const v = new FirmwareVerifier(m, verifyKeys);
  const plain: Buffer[] = [];
  for (let i = 0; i < m.total_chunks; i++) {
    const good = image.subarray(i * 1024, Math.min((i + 1) * 1024, image.length));
    if (i === 4) {
      const bad = Buffer.from(good);
      bad[100] = bad[100]! ^ 0xff;
      try {
        v.acceptChunk(4, bad);
        assert.unreachable();
      } catch (err) {
        assert.instance(err, FirmwareCheckError);
        assert.is((err as FirmwareCheckError).check, 'chunk_hash');
        assert.is((err as FirmwareCheckError).chunk, 4);
      }
      assert.throws(() => v.acceptChunk(5, image.subarray(5 * 1024, 6 * 1024)), (e: FirmwareCheckError) => e.check === 'chunk_order');
      assert.throws(() => v.acceptChunk(4, good.subarray(0, 512)), (e: FirmwareCheckError) => e.check === 'chunk_length');
      assert.is(v.nextChunk, 4);
    }
    plain.push(v.acceptChunk(i, good));
  }
  const r = v.finish();
  assert.is(r.version, '1.0.5');
  assert.ok(Buffer.concat(plain).equals(firmware));
});

test('finish before the last chunk reports incomplete', async () => {
  const m = await readManifest('1.0.5');
  const v = new FirmwareVerifier(m, verifyKeys);
  assert.throws(() => v.finish(), (e: FirmwareCheckError) => e.check === 'incomplete');
});

// --- tampering: each case in its own copy, verified through the CLI ------------------------

async function tampered(name: string, edit: (m: ManifestV1, image: Buffer) => void | Promise<void>): Promise<string> {
  const dir = join(root, 'tamper', name);
  await mkdir(dir, { recursive: true });
  const m = await readManifest('1.0.5');
  const image = await readFile(imagePath('1.0.5'));
  await edit(m, image);
  await writeFile(manifestPath('1.0.5', dir), JSON.stringify(m));
  await writeFile(imagePath('1.0.5', dir), image);
  return manifestPath('1.0.5', dir);
}

function editHeader(m: ManifestV1, edit: (h: Buffer) => void): void {
  const h = Buffer.from(m.manifest_header, 'base64');
  edit(h);
  m.manifest_header = h.toString('base64');
}

const flipB64 = (s: string, at = 0) => {
  const b = Buffer.from(s, 'base64');
  b[at] = b[at]! ^ 1;
  return b.toString('base64');
};

async function expectCheck(manifest: string, check: string, extra: string[] = []): Promise<void> {
  const r = await runCli(['firmware', 'verify', manifest, '--keys', keysDir, ...extra]);
  assert.ok(r.error, `expected [${check}] but verification passed`);
  assert.is(r.error.exitCode, ExitCode.verificationFailed, r.error.message);
  assert.not.match(r.error.message, /\n/);
  assert.ok(r.error.message.startsWith(`verification failed [${check}]: `), `expected [${check}], got: ${r.error.message}`);
  if (process.env.SHOW_MESSAGES) console.log(r.error.message);
}

const tamperCases: [string, string, (m: ManifestV1, image: Buffer) => void][] = [
  ['iv-json', 'manifest_mismatch', (m) => void (m.iv = flipB64(m.iv))],
  ['iv-header', 'manifest_signature', (m) => {
    editHeader(m, (h) => (h[HeaderOffset.iv] = h[HeaderOffset.iv]! ^ 1));
    m.iv = flipB64(m.iv);
  }],
  ['ciphertext-byte', 'chunk_hash', (_m, image) => void (image[3000] = image[3000]! ^ 1)],
  ['version-json', 'manifest_mismatch', (m) => void (m.version = '1.0.6')],
  ['version-header', 'manifest_signature', (m) => {
    editHeader(m, (h) => (h[HeaderOffset.version + 4] = '6'.charCodeAt(0)));
    m.version = '1.0.6';
  }],
  ['counter-json', 'manifest_mismatch', (m) => void (m.security_counter = 9)],
  ['counter-header', 'manifest_signature', (m) => {
    editHeader(m, (h) => h.writeUInt32LE(9, HeaderOffset.securityCounter));
    m.security_counter = 9;
  }],
  ['size-header', 'manifest_signature', (m) => {
    editHeader(m, (h) => h.writeUInt32LE(10_001, HeaderOffset.originalSize));
    m.original_size = 10_001;
  }],
  ['chunk-hash', 'chunk_table', (m) => void (m.chunk_hashes[3] = createHash('sha256').update('x').digest('hex'))],
  ['chunk-list-short', 'chunk_table', (m) => void m.chunk_hashes.pop()],
  ['hash-json', 'manifest_mismatch', (m) => void (m.sha256_hash = createHash('sha256').update('x').digest('hex'))],
  ['signature', 'firmware_signature', (m) => void (m.signature = flipB64(m.signature, 7))],
  ['manifest-signature', 'manifest_signature', (m) => void (m.manifest_signature = flipB64(m.manifest_signature, 7))],
  ['magic', 'header_format', (m) => editHeader(m, (h) => (h[0] = 0))],
  ['not-base64', 'manifest_format', (m) => void (m.iv = '!!!')],
  ['missing-field', 'manifest_format', (m) => void delete (m as Partial<ManifestV1>).chunk_hashes],
];

for (const [name, check, edit] of tamperCases) {
  test(`tamper ${name} → [${check}]`, async () => {
    await expectCheck(await tampered(name, edit), check);
  });
}

test('tamper: truncated image → [image_size]', async () => {
  const dir = join(root, 'tamper', 'truncated');
  await mkdir(dir, { recursive: true });
  await copyFile(manifestPath('1.0.5'), manifestPath('1.0.5', dir));
  await writeFile(imagePath('1.0.5', dir), (await readFile(imagePath('1.0.5'))).subarray(0, 9000));
  await expectCheck(manifestPath('1.0.5', dir), 'image_size');
});

test('anti-rollback: --min-counter above the image counter → [rollback]; equal is fine', async () => {
  await expectCheck(manifestPath('1.0.5'), 'rollback', ['--min-counter', '4']);
  await cliOk(['firmware', 'verify', manifestPath('1.0.5'), '--keys', keysDir, '--min-counter', '3']);
});

test('verifying with someone else\'s keys → [key_id]', async () => {
  const other = join(root, 'other-keys');
  await mkdir(other);
  // Same RSA key, different AES key: enough to differ, and no second RSA key generation.
  await copyFile(join(keysDir, KEY_FILES.publicKey), join(other, KEY_FILES.publicKey));
  await writeFile(join(other, KEY_FILES.aesKey), randomBytes(32));
  const r = await runCli(['firmware', 'verify', manifestPath('1.0.5'), '--keys', other]);
  assert.ok(r.error?.message.startsWith('verification failed [key_id]: '), r.error?.message);
});

test('verify --image takes the image from elsewhere; a missing image is an io error', async () => {
  const elsewhere = join(root, 'elsewhere.bin');
  await copyFile(imagePath('1.0.5'), elsewhere);
  const dir = join(root, 'manifest-only');
  await mkdir(dir);
  await copyFile(manifestPath('1.0.5'), manifestPath('1.0.5', dir));
  await cliOk(['firmware', 'verify', manifestPath('1.0.5', dir), '--keys', keysDir, '--image', elsewhere]);
  const r = await runCli(['firmware', 'verify', manifestPath('1.0.5', dir), '--keys', keysDir]);
  assert.is(r.error?.exitCode, ExitCode.io);
});

// --- options and output rules --------------------------------------------------------------

test('chunk size must be a multiple of 16 in 256..65536: one clear line, usage exit', async () => {
  for (const bad of ['1000', '128', '65552', '0', '1024.5', 'abc']) {
    const r = await runCli(['firmware', 'package', fwPath, '--version', '9.9.9', '--chunk-size', bad, '--keys', keysDir, '--out', outDir]);
    assert.ok(r.error, `chunk size ${bad} accepted`);
    assert.is(r.error.exitCode, ExitCode.usage);
    assert.not.match(r.error.message, /\n/);
    assert.match(r.error.message, /chunk.size/);
  }
  assert.equal((await readdir(outDir)).filter((n) => n.includes('9.9.9')), []);
});

test('chunk sizes 256 and 65536 work; an image of exactly 16·k bytes gets a full padding block', async () => {
  const aligned = join(root, 'aligned.bin');
  await writeFile(aligned, randomBytes(4096));
  const out = join(root, 'sizes');
  await cliOk(['firmware', 'package', aligned, '--version', '2.0.0', '--chunk-size', '256', '--keys', keysDir, '--out', out]);
  await cliOk(['firmware', 'package', aligned, '--version', '2.0.1', '--chunk-size', '65536', '--keys', keysDir, '--out', out]);
  const a = await readManifest('2.0.0', out);
  assert.is(a.encrypted_size, 4112);
  assert.is(a.total_chunks, 17); // 16 full chunks + one 16-byte padding-only chunk
  assert.is((await readManifest('2.0.1', out)).total_chunks, 1);
  await cliOk(['firmware', 'verify', manifestPath('2.0.0', out), '--keys', keysDir]);
  await cliOk(['firmware', 'verify', manifestPath('2.0.1', out), '--keys', keysDir]);
});

test('version must be semver; counter must be a u32', async () => {
  for (const [flag, value] of [['--version', 'v1.0'], ['--version', '1.0'], ['--version', '1.0.0+build.5'], ['--security-counter', '-1'], ['--security-counter', '4294967296']] as const) {
    const args = ['firmware', 'package', fwPath, '--version', '3.0.0', '--keys', keysDir, '--out', outDir];
    const i = args.indexOf(flag);
    if (i >= 0) args[i + 1] = value;
    else args.push(flag, value);
    const r = await runCli(args);
    assert.ok(r.error, `${flag} ${value} accepted`);
    assert.is(r.error.exitCode, ExitCode.usage);
  }
});

test('an existing version is not replaced without --force; with --force it is', async () => {
  const before = await readFile(manifestPath('1.0.5'), 'utf8');
  const r = await runCli(['firmware', 'package', fwPath, '--version', '1.0.5', '--keys', keysDir, '--out', outDir]);
  assert.ok(r.error);
  assert.match(r.error.message, /already packaged.*--force/);
  assert.is(await readFile(manifestPath('1.0.5'), 'utf8'), before);
  const dir = join(root, 'force');
  await cliOk(['firmware', 'package', fwPath, '--version', '1.0.5', '--keys', keysDir, '--out', dir]);
  const first = await readManifest('1.0.5', dir);
  await cliOk(['firmware', 'package', fwPath, '--version', '1.0.5', '--keys', keysDir, '--out', dir, '--force']);
  const second = await readManifest('1.0.5', dir);
  assert.is.not(second.iv, first.iv, 'a fresh IV per packaging');
  await cliOk(['firmware', 'verify', manifestPath('1.0.5', dir), '--keys', keysDir]);
});

test('failed packaging leaves no files: empty firmware, missing firmware, missing keys', async () => {
  const dir = join(root, 'failures');
  const empty = join(root, 'empty.bin');
  await writeFile(empty, Buffer.alloc(0));
  let r = await runCli(['firmware', 'package', empty, '--version', '1.0.0', '--keys', keysDir, '--out', dir]);
  assert.is(r.error?.exitCode, ExitCode.usage);
  assert.match(r.error!.message, /empty/);
  r = await runCli(['firmware', 'package', join(root, 'nope.bin'), '--version', '1.0.0', '--keys', keysDir, '--out', dir]);
  assert.is(r.error?.exitCode, ExitCode.io);
  r = await runCli(['firmware', 'package', fwPath, '--version', '1.0.0', '--keys', join(root, 'no-keys'), '--out', dir]);
  assert.is(r.error?.exitCode, ExitCode.io);
  assert.match(r.error!.message, /keys init/);
  const left = await readdir(dir).catch(() => [] as string[]);
  assert.equal(left, []);
});

test('KEYS_DIR and FIRMWARE_DIR are the defaults', async () => {
  const saved = { k: process.env.KEYS_DIR, f: process.env.FIRMWARE_DIR };
  process.env.KEYS_DIR = keysDir;
  process.env.FIRMWARE_DIR = join(root, 'env-images');
  try {
    await cliOk(['firmware', 'package', fwPath, '--version', '4.0.0']);
    const out = await cliOk(['firmware', 'list']);
    assert.ok(out.some((l) => l.startsWith('4.0.0 ')));
  } finally {
    for (const [k, v] of [['KEYS_DIR', saved.k], ['FIRMWARE_DIR', saved.f]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

test('firmware list sorts by semver and reports invalid manifests', async () => {
  const dir = join(root, 'list');
  for (const v of ['1.0.10', '1.0.9', '1.0.9-rc.1', '0.9.0']) {
    await cliOk(['firmware', 'package', fwPath, '--version', v, '--keys', keysDir, '--out', dir, '--chunk-size', '4096']);
  }
  await writeFile(join(dir, 'firmware_7.0.0_manifest.json'), '{"version": "7.0.0"}');
  await writeFile(join(dir, 'firmware_8.0.0_manifest.json'), 'not json');
  const m = await readManifest('1.0.9', dir);
  await writeFile(manifestPath('6.0.0', dir), JSON.stringify({ ...m, version: '6.0.0' }));
  const out = await cliOk(['firmware', 'list', '--dir', dir, '--keys', keysDir]);
  const versions = out.filter((l) => /^\d/.test(l)).map((l) => l.split(/\s+/)[0]);
  assert.equal(versions, ['0.9.0', '1.0.9-rc.1', '1.0.9', '1.0.10']);
  const skipped = out.filter((l) => l.startsWith('skipped '));
  assert.is(skipped.length, 3, out.join('\n'));
  assert.ok(skipped.some((l) => l.includes('firmware_6.0.0_manifest.json') && l.includes('manifest_mismatch')));
});

test('catalog: list/get/readChunk; problems for a missing or wrong-size image', async () => {
  const dir = join(root, 'catalog');
  await cliOk(['firmware', 'package', fwPath, '--version', '5.0.0', '--keys', keysDir, '--out', dir, ...V1]);
  await cliOk(['firmware', 'package', fwPath, '--version', '5.1.0', '--security-counter', '9', '--keys', keysDir, '--out', dir, ...V1]);
  await cliOk(['firmware', 'package', fwPath, '--version', '5.2.0', '--keys', keysDir, '--out', dir, ...V1]);
  await writeFile(imagePath('5.2.0', dir), Buffer.alloc(10)); // wrong size
  const catalog = await FirmwareCatalog.load(dir, { verifyKeys });
  assert.equal(catalog.listImages().map((i) => i.version), ['5.0.0', '5.1.0']);
  assert.is(catalog.problems.length, 1);
  assert.match(catalog.problems[0]!.reason, /10 bytes/);
  const img = catalog.getImage('5.1.0')!;
  assert.is(img.size, 10_016);
  assert.is(img.header.securityCounter, 9);
  assert.is(catalog.getImage('9.9.9'), undefined);
  assert.throws(() => catalog.requireImage('9.9.9'), /not found/);
  assert.is(catalog.latest()?.version, '5.1.0');
  const chunk = await catalog.readChunk('5.1.0', 9);
  assert.is(chunk.length, 800);
  assert.is(createHash('sha256').update(chunk).digest('hex'), img.chunkHashes.toString("hex", 9 * 32, 10 * 32));
  const empty = await FirmwareCatalog.load(join(root, 'does-not-exist'));
  assert.equal(empty.listImages(), []);
});

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test.run();
