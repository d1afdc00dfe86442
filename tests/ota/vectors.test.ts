/**
 * tests/vectors/manifest.json, the file the ESP32 team builds its C verifier against: it equals a
 * fresh generation byte for byte (signatures use a message-derived salt); the PSS signatures verify,
 * with our verifier and with `openssl`; the header bytes parse to the listed fields; each chunk
 * decrypts alone with its listed IV; each tampered variant fails on exactly its named check.
 * Keys here come from the file itself, so the file is tested as the C team will use it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateManifestVectors, runVectorCase, type ManifestVectors } from '../../scripts/vectors/manifest.ts';
import { verifyKeysFrom } from '../../server/ota/keys.ts';
import { parseHeader } from '../../server/ota/manifest.ts';
import { decryptChunk } from '../../server/ota/verify.ts';

const stored: ManifestVectors = JSON.parse(await readFile(new URL('../vectors/manifest.json', import.meta.url), 'utf8'));
const keys = verifyKeysFrom(stored.keys.public_key_pem, Buffer.from(stored.keys.aes_key_hex, 'hex'));
const firmware = Buffer.from(stored.firmware.hex, 'hex');
const encrypted = Buffer.from(stored.encrypted.hex, 'hex');
test('the committed file equals a fresh generation (never hand-edited)', () => {
  assert.equal(stored, JSON.parse(JSON.stringify(generateManifestVectors())));
});

test('firmware follows the stated formula and hash; key ids follow SPEC §2', () => {
  assert.is(firmware.length, 3000);
  for (let i = 0; i < firmware.length; i++) if (firmware[i] !== ((i * 31 + (i >> 8) + 0x5a) & 0xff)) assert.unreachable(`byte ${i}`);
  assert.is(createHash('sha256').update(firmware).digest('hex'), stored.firmware.sha256);
  assert.is(createHash('sha256').update(Buffer.from(stored.keys.public_key_der_hex, 'hex')).digest('hex').slice(0, 16), stored.keys.key_id);
  assert.is(createHash('sha256').update(Buffer.from(stored.keys.aes_key_hex, 'hex')).digest('hex').slice(0, 16), stored.keys.aes_key_id);
});

test('the stored manifest verifies end to end (signatures included)', () => {
  assert.equal(runVectorCase(stored.manifest, encrypted, keys), { check: 'ok' });
});

test('openssl verifies both stored signatures and decrypts the stored image', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fleetgate-vectors-'));
  try {
    await opensslChecks(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function opensslChecks(dir: string): Promise<void> {
  const file = (name: string, data: Uint8Array | string) => writeFile(join(dir, name), data).then(() => join(dir, name));
  const pub = await file('pub.pem', stored.keys.public_key_pem);
  const pss = ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'];
  const fw = await file('fw.bin', firmware);
  const sig = await file('fw.sig', Buffer.from(stored.signatures.firmware_hex, 'hex'));
  assert.match(execFileSync('openssl', ['dgst', '-sha256', ...pss, '-verify', pub, '-signature', sig, fw]).toString(), /Verified OK/);
  const header = await file('header.bin', Buffer.from(stored.header.hex, 'hex'));
  const hsig = await file('header.sig', Buffer.from(stored.signatures.manifest_hex, 'hex'));
  assert.match(execFileSync('openssl', ['dgst', '-sha256', ...pss, '-verify', pub, '-signature', hsig, header]).toString(), /Verified OK/);
  const enc = await file('enc.bin', encrypted);
  const plain = execFileSync('openssl', ['enc', '-d', '-aes-256-cbc', '-K', stored.keys.aes_key_hex, '-iv', stored.params.iv_hex, '-in', enc]);
  assert.ok(plain.equals(firmware));
  assert.is(Buffer.from(stored.manifest.signature, 'base64').toString('hex'), stored.signatures.firmware_hex);
  assert.is(Buffer.from(stored.manifest.manifest_signature, 'base64').toString('hex'), stored.signatures.manifest_hex);
}

test('header hex = manifest_header and parses to the listed fields', () => {
  const bytes = Buffer.from(stored.header.hex, 'hex');
  assert.is(bytes.length, 160);
  assert.is(Buffer.from(stored.manifest.manifest_header, 'base64').toString('hex'), stored.header.hex);
  const h = parseHeader(bytes);
  const f = stored.header.fields;
  assert.is(f.magic_hex, '46474f4d');
  assert.is(h.version, f.version);
  assert.is(h.securityCounter, f.security_counter);
  assert.is(h.originalSize, f.original_size);
  assert.is(h.encryptedSize, f.encrypted_size);
  assert.is(h.chunkSize, f.chunk_size);
  assert.is(h.totalChunks, f.total_chunks);
  assert.is(h.keyId, f.key_id);
  assert.is(h.aesKeyId, f.aes_key_id);
  assert.is(Buffer.from(h.iv).toString('hex'), f.iv_hex);
  assert.is(Buffer.from(h.firmwareSha256).toString('hex'), f.firmware_sha256);
  assert.is(Buffer.from(h.root).toString('hex'), f.chunk_root);
  // The layout table agrees with the bytes: spot-check little-endian u32 at the listed offsets.
  const at = (name: string) => stored.header.layout.find((l) => l.name === name)!.offset as number;
  assert.is(bytes.readUInt32LE(at('security_counter')), f.security_counter);
  assert.is(bytes.readUInt32LE(at('total_chunks')), f.total_chunks);
});

test('each chunk decrypts alone with its listed IV; the last one carries the padding', () => {
  const key = Buffer.from(stored.keys.aes_key_hex, 'hex');
  assert.is(stored.chunks.length, 3);
  const concat = Buffer.concat(stored.chunks.map((c) => Buffer.from(c.sha256, 'hex')));
  assert.is(createHash('sha256').update(concat).digest('hex'), stored.chunk_root);
  for (const c of stored.chunks) {
    const bytes = encrypted.subarray(c.offset, c.offset + c.length);
    assert.is(createHash('sha256').update(bytes).digest('hex'), c.sha256);
    const plain = decryptChunk(key, Buffer.from(c.iv_hex, 'hex'), bytes);
    const expected = firmware.subarray(c.offset, c.offset + c.length);
    assert.ok(plain.subarray(0, expected.length).equals(expected), `chunk ${c.index}`);
  }
  const last = stored.chunks[2]!;
  assert.is(last.length, 960);
  const lastPlain = decryptChunk(key, Buffer.from(last.iv_hex, 'hex'), encrypted.subarray(last.offset));
  assert.equal([...lastPlain.subarray(-8)], [8, 8, 8, 8, 8, 8, 8, 8]);
});

for (const t of stored.tampered) {
  test(`tampered ${t.name} → [${t.expected_check}]`, () => {
    const image = t.encrypted_hex === undefined ? encrypted : Buffer.from(t.encrypted_hex, 'hex');
    const got = runVectorCase(t.manifest, image, keys, t.min_counter);
    assert.equal(got, t.expected_chunk === undefined ? { check: t.expected_check } : { check: t.expected_check, chunk: t.expected_chunk });
  });
}

test.run();
