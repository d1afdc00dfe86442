/**
 * Test vectors for the OTA manifest format (server/ota/SPEC.md), for the gateway's tests and the
 * ESP32 firmware team's C verifier. Everything is fixed and plain (hex strings, numbers): a
 * TEST-ONLY RSA-2048 key derived from a fixed seed, an AES key and IV derived from fixed labels, a 3000-byte
 * firmware from a formula (so with chunk_size 1024 the last chunk is partial), the encrypted
 * image, chunk table, header bytes and fields. RSA-PSS signatures are randomized, so they cannot
 * be regenerated bit for bit: the stored file keeps the ones produced and tests *verify* them,
 * while every other field is compared with a fresh generation. Each tampered variant carries the
 * check a correct verifier must fail on, and generation refuses to produce a variant that does not.
 */
import { createHash } from 'node:crypto';
import { FirmwareCheckError, type VerifyCheck } from '../../server/ota/checks.ts';
import { keyIdOf } from '../../server/ota/crypto.ts';
import { deterministicPssSign, deterministicTestRsaKeyPem } from './deterministic-pss.ts';
import { signingKeysFrom, verifyKeysFrom, type VerifyKeys } from '../../server/ota/keys.ts';
import {
  HEADER_SIZE,
  HeaderOffset,
  chunkRange,
  encodeHeader,
  headerOfManifest,
  type ManifestHeader,
  type ManifestV1,
} from '../../server/ota/manifest.ts';
import { packageBuffer } from '../../server/ota/package.ts';
import { FirmwareVerifier } from '../../server/ota/verify.ts';

/**
 * TEST KEY ONLY, and not stored anywhere: derived on each run from a fixed seed
 * (scripts/vectors/deterministic-pss.ts), so the repository holds no private key while
 * `npm run vectors` still reproduces every signature byte for byte.
 */
export const TEST_RSA_KEY_SEED = 'fleetgate test RSA key';
export const TEST_RSA_PRIVATE_KEY_PEM = deterministicTestRsaKeyPem(TEST_RSA_KEY_SEED);

const label = (text: string) => createHash('sha256').update(text).digest();

/** AES key = SHA-256("fleetgate test AES key"); a second key for the wrong-key variant. */
export const TEST_AES_KEY = label('fleetgate test AES key');
const OTHER_AES_KEY = label('fleetgate other AES key');
/** IV = first 16 bytes of SHA-256("fleetgate test IV"). */
export const TEST_IV = label('fleetgate test IV').subarray(0, 16);

export const FIRMWARE_SIZE = 3000;
export const FIRMWARE_FORMULA = 'firmware[i] = (i * 31 + (i >> 8) + 0x5a) & 0xff, for i in 0..2999';

export function testFirmware(): Buffer {
  const fw = Buffer.alloc(FIRMWARE_SIZE);
  for (let i = 0; i < fw.length; i++) fw[i] = (i * 31 + (i >> 8) + 0x5a) & 0xff;
  return fw;
}

const PARAMS = {
  version: '1.0.5',
  security_counter: 7,
  chunk_size: 1024,
  release_notes: 'test vector image',
  created_at: '2025-01-01T00:00:00.000Z',
} as const;

export interface TamperCase {
  name: string;
  description: string;
  /** The check a verifier following SPEC.md §7 must fail on ("ok" never appears here). */
  expected_check: VerifyCheck;
  /** Set when the chunk is the failure point. */
  expected_chunk?: number;
  /** Anti-rollback minimum to verify with (default 0). */
  min_counter?: number;
  manifest: ManifestV1;
  /** Present when the encrypted image differs from the main vector's. */
  encrypted_hex?: string;
}

export function testVerifyKeys(): VerifyKeys {
  const keys = signingKeysFrom(TEST_RSA_PRIVATE_KEY_PEM, TEST_AES_KEY);
  return verifyKeysFrom(keys.publicKey, TEST_AES_KEY);
}

/**
 * Verify a case exactly as a device does: manifest checks, then chunk i = encrypted bytes
 * [i*chunk_size, min((i+1)*chunk_size, len)) for i < total_chunks, then finish.
 * Returns "ok" or the failed check (and chunk).
 */
export function runVectorCase(
  manifest: unknown,
  encrypted: Uint8Array,
  keys: VerifyKeys,
  minCounter = 0,
): { check: VerifyCheck | 'ok'; chunk?: number } {
  try {
    const v = new FirmwareVerifier(manifest, keys, { minCounter });
    const { chunkSize, totalChunks } = v.header;
    for (let i = 0; i < totalChunks; i++) {
      v.acceptChunk(i, encrypted.subarray(i * chunkSize, Math.min((i + 1) * chunkSize, encrypted.length)));
    }
    v.finish();
    return { check: 'ok' };
  } catch (err) {
    if (err instanceof FirmwareCheckError) return err.chunk === undefined ? { check: err.check } : { check: err.check, chunk: err.chunk };
    throw err;
  }
}

function headerFields(h: ManifestHeader, bytes: Buffer) {
  return {
    magic_hex: bytes.subarray(0, 4).toString('hex'),
    format_version: h.formatVersion,
    header_size: bytes.readUInt16LE(HeaderOffset.headerSize),
    flags: bytes.readUInt32LE(HeaderOffset.flags),
    security_counter: h.securityCounter,
    original_size: h.originalSize,
    encrypted_size: h.encryptedSize,
    chunk_size: h.chunkSize,
    total_chunks: h.totalChunks,
    version: h.version,
    key_id: h.keyId,
    aes_key_id: h.aesKeyId,
    iv_hex: Buffer.from(h.iv).toString('hex'),
    firmware_sha256: Buffer.from(h.firmwareSha256).toString('hex'),
    chunk_root: Buffer.from(h.root).toString('hex'),
  };
}

const HEADER_LAYOUT = [
  ['magic', HeaderOffset.magic, 4, 'bytes "FGOM"'],
  ['format_version', HeaderOffset.formatVersion, 2, 'u16 LE'],
  ['header_size', HeaderOffset.headerSize, 2, 'u16 LE'],
  ['flags', HeaderOffset.flags, 4, 'u32 LE, 0'],
  ['security_counter', HeaderOffset.securityCounter, 4, 'u32 LE'],
  ['original_size', HeaderOffset.originalSize, 4, 'u32 LE'],
  ['encrypted_size', HeaderOffset.encryptedSize, 4, 'u32 LE'],
  ['chunk_size', HeaderOffset.chunkSize, 4, 'u32 LE'],
  ['total_chunks', HeaderOffset.totalChunks, 4, 'u32 LE'],
  ['version', HeaderOffset.version, 32, 'ASCII, NUL-padded'],
  ['key_id', HeaderOffset.keyId, 8, 'bytes'],
  ['aes_key_id', HeaderOffset.aesKeyId, 8, 'bytes'],
  ['iv', HeaderOffset.iv, 16, 'bytes'],
  ['firmware_sha256', HeaderOffset.firmwareSha256, 32, 'bytes'],
  ['chunk_root', HeaderOffset.root, 32, 'bytes'],
].map(([name, offset, size, type]) => ({ name, offset, size, type }));

export function generateManifestVectors() {
  const keys = signingKeysFrom(TEST_RSA_PRIVATE_KEY_PEM, TEST_AES_KEY);
  const verifyKeys = verifyKeysFrom(keys.publicKey, TEST_AES_KEY);
  const firmware = testFirmware();
  const base = {
    version: PARAMS.version,
    securityCounter: PARAMS.security_counter,
    chunkSize: PARAMS.chunk_size,
    releaseNotes: PARAMS.release_notes,
    iv: TEST_IV,
    createdAt: new Date(PARAMS.created_at),
    formatVersion: 1,
  };
  const packaged = packageBuffer(firmware, keys, base);
  const { encrypted } = packaged;
  if (packaged.manifest.format_version !== 1) throw new Error('format 1 expected');
  // Re-sign both signatures with a message-derived salt so the file is reproducible (see deterministic-pss.ts).
  const manifest: ManifestV1 = {
    ...packaged.manifest,
    signature: deterministicPssSign(firmware, TEST_RSA_PRIVATE_KEY_PEM).toString('base64'),
    manifest_signature: deterministicPssSign(Buffer.from(packaged.manifest.manifest_header, 'base64'), TEST_RSA_PRIVATE_KEY_PEM).toString('base64'),
  };
  const { bytes: headerBytes, header } = headerOfManifest(manifest);

  const chunks = Array.from({ length: header.totalChunks }, (_, i) => {
    const { start, end } = chunkRange(header, i);
    const iv = i === 0 ? TEST_IV : encrypted.subarray(start - 16, start);
    return {
      index: i,
      offset: start,
      length: end - start,
      iv_hex: Buffer.from(iv).toString('hex'),
      sha256: manifest.chunk_hashes[i]!,
    };
  });

  // --- tampered variants -------------------------------------------------------------------
  const clone = (): ManifestV1 => structuredClone(manifest);
  const flipB64 = (b64: string, at: number) => {
    const b = Buffer.from(b64, 'base64');
    b[at] = b[at]! ^ 0x01;
    return b.toString('base64');
  };
  /** Change header bytes (and the matching JSON fields) without re-signing. */
  const withHeader = (edit: (h: Buffer) => void, json: Partial<ManifestV1>): ManifestV1 => {
    const h = Buffer.from(headerBytes);
    edit(h);
    return { ...clone(), ...json, manifest_header: h.toString('base64') };
  };
  /** A header validly signed with the test key but stating a wrong fact: a packager bug. */
  const resigned = (fields: Partial<ManifestHeader>, json: Partial<ManifestV1>): ManifestV1 => {
    const h = encodeHeader({ ...header, ...fields });
    return { ...clone(), ...json, manifest_header: h.toString('base64'), manifest_signature: deterministicPssSign(h, TEST_RSA_PRIVATE_KEY_PEM).toString('base64') };
  };

  const tamperedImage = Buffer.from(encrypted);
  tamperedImage[1500] = tamperedImage[1500]! ^ 0x01;
  const otherKeyImage = packageBuffer(firmware, { ...keys, aesKey: Buffer.from(OTHER_AES_KEY) }, base).encrypted;
  const wrongHash = Buffer.from(header.firmwareSha256);
  wrongHash[0] = wrongHash[0]! ^ 0x01;

  const tampered: TamperCase[] = [
    { name: 'json_version_changed', description: 'JSON version 1.0.6, header untouched', expected_check: 'manifest_mismatch', manifest: { ...clone(), version: '1.0.6' } },
    {
      name: 'header_version_changed',
      description: 'header version byte at offset 36 "5" -> "6" and JSON version 1.0.6, not re-signed',
      expected_check: 'manifest_signature',
      manifest: withHeader((h) => (h[HeaderOffset.version + 4] = 0x36), { version: '1.0.6' }),
    },
    { name: 'json_security_counter_changed', description: 'JSON security_counter 8', expected_check: 'manifest_mismatch', manifest: { ...clone(), security_counter: 8 } },
    {
      name: 'header_security_counter_changed',
      description: 'header security_counter 8 and JSON 8, not re-signed',
      expected_check: 'manifest_signature',
      manifest: withHeader((h) => h.writeUInt32LE(8, HeaderOffset.securityCounter), { security_counter: 8 }),
    },
    {
      name: 'header_original_size_changed',
      description: 'header and JSON original_size 3001 (still consistent with encrypted_size 3008), not re-signed',
      expected_check: 'manifest_signature',
      manifest: withHeader((h) => h.writeUInt32LE(3001, HeaderOffset.originalSize), { original_size: 3001 }),
    },
    { name: 'json_iv_changed', description: 'JSON iv first byte xor 1', expected_check: 'manifest_mismatch', manifest: { ...clone(), iv: flipB64(manifest.iv, 0) } },
    {
      name: 'header_iv_changed',
      description: 'header iv first byte xor 1 and JSON iv likewise, not re-signed',
      expected_check: 'manifest_signature',
      manifest: withHeader((h) => (h[HeaderOffset.iv] = h[HeaderOffset.iv]! ^ 0x01), { iv: flipB64(manifest.iv, 0) }),
    },
    {
      name: 'header_magic_changed',
      description: 'magic "FGOX"',
      expected_check: 'header_format',
      manifest: withHeader((h) => (h[3] = 0x58), {}),
    },
    { name: 'manifest_signature_changed', description: 'manifest_signature byte 10 xor 1', expected_check: 'manifest_signature', manifest: { ...clone(), manifest_signature: flipB64(manifest.manifest_signature, 10) } },
    { name: 'rollback', description: 'valid image, device minimum security counter 8', expected_check: 'rollback', min_counter: 8, manifest: clone() },
    {
      name: 'chunk_hash_changed',
      description: 'JSON chunk_hashes[1] first byte changed',
      expected_check: 'chunk_table',
      manifest: { ...clone(), chunk_hashes: manifest.chunk_hashes.map((h, i) => (i === 1 ? (h[0] === '0' ? '1' : '0') + h.slice(1) : h)) },
    },
    { name: 'chunk_hash_removed', description: 'JSON chunk_hashes without the last entry', expected_check: 'chunk_table', manifest: { ...clone(), chunk_hashes: manifest.chunk_hashes.slice(0, -1) } },
    {
      name: 'ciphertext_byte_flipped',
      description: 'encrypted byte 1500 (chunk 1) xor 1',
      expected_check: 'chunk_hash',
      expected_chunk: 1,
      manifest: clone(),
      encrypted_hex: tamperedImage.toString('hex'),
    },
    {
      name: 'image_truncated',
      description: 'encrypted image without its last 16 bytes: chunk 2 is 944 bytes, not 960',
      expected_check: 'chunk_length',
      expected_chunk: 2,
      manifest: clone(),
      encrypted_hex: encrypted.subarray(0, encrypted.length - 16).toString('hex'),
    },
    {
      name: 'wrong_aes_key',
      description: 'image encrypted with SHA-256("fleetgate other AES key") but the header (validly signed) names the test AES key id',
      expected_check: 'padding',
      expected_chunk: 2,
      manifest: resigned({ root: createHash('sha256').update(chunkTable(otherKeyImage, header.chunkSize)).digest() }, {
        chunk_hashes: chunkHexes(otherKeyImage, header.chunkSize),
        chunk_root: createHash('sha256').update(chunkTable(otherKeyImage, header.chunkSize)).digest('hex'),
      }),
      encrypted_hex: otherKeyImage.toString('hex'),
    },
    {
      name: 'firmware_hash_wrong',
      description: 'validly signed header whose firmware_sha256 has its first byte xor 1',
      expected_check: 'firmware_hash',
      manifest: resigned({ firmwareSha256: wrongHash }, { sha256_hash: wrongHash.toString('hex') }),
    },
    { name: 'firmware_signature_changed', description: 'signature byte 10 xor 1', expected_check: 'firmware_signature', manifest: { ...clone(), signature: flipB64(manifest.signature, 10) } },
  ];

  // Never write a vector that does not behave as it says.
  if (runVectorCase(manifest, encrypted, verifyKeys).check !== 'ok') throw new Error('main vector does not verify');
  for (const t of tampered) {
    const image = t.encrypted_hex === undefined ? encrypted : Buffer.from(t.encrypted_hex, 'hex');
    const got = runVectorCase(t.manifest, image, verifyKeys, t.min_counter);
    if (got.check !== t.expected_check || got.chunk !== t.expected_chunk) {
      throw new Error(`tamper case ${t.name}: expected ${t.expected_check}/${t.expected_chunk}, got ${got.check}/${got.chunk}`);
    }
  }

  return {
    about:
      'fleetgate OTA manifest test vectors (server/ota/SPEC.md), generated by scripts/generate-vectors.ts — do not edit. ' +
      'TEST KEYS ONLY. The RSA-PSS signatures use a salt derived from the message (scripts/vectors/deterministic-pss.ts) so the ' +
      'file is reproducible; verify them like any PSS signature.',
    keys: {
      warning: 'TEST-ONLY keys, published; never use them for real images',
      rsa_bits: keys.rsaBits,
      private_key_derivation:
        `node-forge rsa.generateKeyPair(2048, e=65537) drawing its randomness from SHA-256("${TEST_RSA_KEY_SEED}" NUL counter) blocks ` +
        '(scripts/vectors/deterministic-pss.ts); the private key is not stored',
      public_key_pem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      public_key_der_hex: keys.publicKeyDer.toString('hex'),
      key_id: keys.keyId,
      aes_key_hex: TEST_AES_KEY.toString('hex'),
      aes_key_derivation: 'SHA-256("fleetgate test AES key")',
      aes_key_id: keyIdOf(TEST_AES_KEY),
    },
    params: { ...PARAMS, iv_hex: TEST_IV.toString('hex'), iv_derivation: 'first 16 bytes of SHA-256("fleetgate test IV")' },
    firmware: { formula: FIRMWARE_FORMULA, size: firmware.length, sha256: Buffer.from(header.firmwareSha256).toString('hex'), hex: firmware.toString('hex') },
    encrypted: { size: encrypted.length, hex: encrypted.toString('hex') },
    chunks,
    chunk_root: manifest.chunk_root,
    header: { size: HEADER_SIZE, hex: headerBytes.toString('hex'), layout: HEADER_LAYOUT, fields: headerFields(header, headerBytes) },
    signatures: {
      scheme: 'RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32',
      firmware_signed_bytes: 'firmware (plaintext) bytes; the PSS message hash is firmware.sha256',
      firmware_hex: Buffer.from(manifest.signature, 'base64').toString('hex'),
      manifest_signed_bytes: 'header bytes (header.hex)',
      manifest_hex: Buffer.from(manifest.manifest_signature, 'base64').toString('hex'),
    },
    manifest,
    tampered,
  };
}

function chunkTable(image: Buffer, chunkSize: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < image.length; i += chunkSize) parts.push(createHash('sha256').update(image.subarray(i, i + chunkSize)).digest());
  return Buffer.concat(parts);
}

function chunkHexes(image: Buffer, chunkSize: number): string[] {
  const t = chunkTable(image, chunkSize);
  return Array.from({ length: t.length / 32 }, (_, i) => t.toString('hex', i * 32, i * 32 + 32));
}

export type ManifestVectors = ReturnType<typeof generateManifestVectors>;
