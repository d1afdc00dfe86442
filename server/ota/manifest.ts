/**
 * The OTA manifest wire format, owned here and nowhere else: the fixed 160-byte binary header that
 * the manifest signature covers (encode and strict parse), the manifest JSON type and its schema,
 * the JSON-versus-header comparison, and the size arithmetic (encrypted size, chunk count, chunk
 * offsets) every other OTA module and the device share. SPEC.md describes the same format in
 * prose; when they disagree that is a bug in one of them, and the test vectors decide.
 */
import semver from 'semver';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { FirmwareCheckError } from './checks.ts';
import { AES_BLOCK, KEY_ID_LENGTH, sha256 } from './crypto.ts';

/** "FGOM": FleetGate OTA Manifest. */
export const HEADER_MAGIC = Uint8Array.of(0x46, 0x47, 0x4f, 0x4d);
export const HEADER_FORMAT_VERSION = 1;
export const HEADER_SIZE = 160;
/** The version field is 32 bytes, NUL-padded, so at most 31 characters and always NUL-terminated. */
export const VERSION_FIELD_SIZE = 32;
export const MAX_VERSION_LENGTH = VERSION_FIELD_SIZE - 1;
export const MIN_CHUNK_SIZE = 256;
export const MAX_CHUNK_SIZE = 65536;
export const DEFAULT_CHUNK_SIZE = 1024;
export const MAX_U32 = 0xffffffff;
/** Largest image whose padded size still fits the u32 encrypted_size field. */
export const MAX_ORIGINAL_SIZE = MAX_U32 - AES_BLOCK;

/** Byte offsets of the header fields; SPEC.md §3 has the same table. */
export const HeaderOffset = {
  magic: 0,
  formatVersion: 4,
  headerSize: 6,
  flags: 8,
  securityCounter: 12,
  originalSize: 16,
  encryptedSize: 20,
  chunkSize: 24,
  totalChunks: 28,
  version: 32,
  keyId: 64,
  aesKeyId: 72,
  iv: 80,
  firmwareSha256: 96,
  chunkRoot: 128,
} as const;

/** The signed facts about one image. Binary fields are raw bytes; key ids are 16 hex chars. */
export interface ManifestHeader {
  formatVersion: number;
  version: string;
  securityCounter: number;
  originalSize: number;
  encryptedSize: number;
  chunkSize: number;
  totalChunks: number;
  /** Id of the RSA key that signed the header and the image. */
  keyId: string;
  /** Id of the AES key the image is encrypted with. */
  aesKeyId: string;
  iv: Uint8Array;
  firmwareSha256: Uint8Array;
  chunkRoot: Uint8Array;
}

/** What a packager supplies; the derived fields (format version, sizes that follow) are checked. */
export type HeaderFields = Omit<ManifestHeader, 'formatVersion'>;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes * 2} lowercase hex characters`);
const base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64');
const u32 = z.number().int().min(0).max(MAX_U32);

export const firmwareManifestSchema = z.object({
  version: z
    .string()
    .max(MAX_VERSION_LENGTH)
    .refine((v) => semver.valid(v) === v, 'must be a semantic version without build metadata'),
  security_counter: u32,
  original_size: u32,
  encrypted_size: u32,
  sha256_hash: hex(32),
  signature: base64,
  iv: base64,
  chunk_size: u32,
  total_chunks: u32,
  release_notes: z.string(),
  created_at: z.string(),
  key_id: hex(KEY_ID_LENGTH),
  aes_key_id: hex(KEY_ID_LENGTH),
  format_version: z.number().int(),
  manifest_header: base64,
  manifest_signature: base64,
  chunk_root: hex(32),
  chunk_hashes: z.array(hex(32)),
});

/** The manifest JSON as written by the packager (`firmware_<version>_manifest.json`). */
export type FirmwareManifest = z.infer<typeof firmwareManifestSchema>;

export function imageFileName(version: string): string {
  return `firmware_${version}_encrypted.bin`;
}

export function manifestFileName(version: string): string {
  return `firmware_${version}_manifest.json`;
}

// ---------------------------------------------------------------------------------------------
// Size arithmetic

/** PKCS#7 always adds 1..16 bytes, so the ciphertext is the next multiple of 16 strictly above. */
export function encryptedSizeFor(originalSize: number): number {
  return originalSize - (originalSize % AES_BLOCK) + AES_BLOCK;
}

export function totalChunksFor(encryptedSize: number, chunkSize: number): number {
  return Math.ceil(encryptedSize / chunkSize);
}

/** Byte range [start, end) of chunk `index` in the encrypted image. */
export function chunkRange(
  h: Pick<ManifestHeader, 'encryptedSize' | 'chunkSize' | 'totalChunks'>,
  index: number,
): { start: number; end: number } {
  if (!Number.isInteger(index) || index < 0 || index >= h.totalChunks) {
    throw new RangeError(`chunk index ${index} out of range 0..${h.totalChunks - 1}`);
  }
  const start = index * h.chunkSize;
  return { start, end: Math.min(start + h.chunkSize, h.encryptedSize) };
}

/** SHA-256 over the concatenated raw 32-byte chunk digests (`packed`, chunk order). */
export function chunkRootOf(packed: Uint8Array): Buffer {
  return sha256(packed);
}

/** Pack the manifest's hex chunk hashes into one buffer of 32-byte digests. */
export function packChunkHashes(hexHashes: readonly string[]): Buffer {
  return Buffer.from(hexHashes.join(''), 'hex');
}

// ---------------------------------------------------------------------------------------------
// Input validation for packaging (one clear line each; the CLI prints the message as is)

export function validateChunkSize(chunkSize: number): void {
  if (
    !Number.isInteger(chunkSize) ||
    chunkSize < MIN_CHUNK_SIZE ||
    chunkSize > MAX_CHUNK_SIZE ||
    chunkSize % AES_BLOCK !== 0
  ) {
    throw new ValidationError(
      `chunk size must be a multiple of 16 between ${MIN_CHUNK_SIZE} and ${MAX_CHUNK_SIZE}, got ${chunkSize}`,
      'invalid_chunk_size',
    );
  }
}

/** SemVer 2.0.0 without build metadata (it would be silently dropped by semver tools), ≤ 31 chars. */
export function validateVersion(version: string): void {
  if (semver.valid(version) !== version) {
    throw new ValidationError(`version must be a semantic version like 1.0.5, got "${version}"`, 'invalid_version');
  }
  if (version.length > MAX_VERSION_LENGTH) {
    throw new ValidationError(`version must be at most ${MAX_VERSION_LENGTH} characters, got ${version.length}`, 'invalid_version');
  }
}

export function validateSecurityCounter(counter: number): void {
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_U32) {
    throw new ValidationError(`security counter must be an integer 0..${MAX_U32}, got ${counter}`, 'invalid_security_counter');
  }
}

// ---------------------------------------------------------------------------------------------
// Binary header

function bad(message: string): FirmwareCheckError {
  return new FirmwareCheckError('header_format', `header: ${message}`);
}

/** The invariants every header satisfies, shared by encode (a bug guard) and parse (an input check). */
function checkHeaderInvariants(h: HeaderFields): void {
  if (!/^[\x21-\x7e]{1,31}$/.test(h.version)) throw bad('version must be 1..31 printable ASCII characters');
  if (h.originalSize < 1 || h.originalSize > MAX_ORIGINAL_SIZE) throw bad(`original_size ${h.originalSize} out of range`);
  if (h.encryptedSize !== encryptedSizeFor(h.originalSize)) {
    throw bad(`encrypted_size ${h.encryptedSize} does not match original_size ${h.originalSize} plus PKCS#7 padding`);
  }
  if (h.chunkSize < MIN_CHUNK_SIZE || h.chunkSize > MAX_CHUNK_SIZE || h.chunkSize % AES_BLOCK !== 0) {
    throw bad(`chunk_size ${h.chunkSize} invalid`);
  }
  if (h.totalChunks !== totalChunksFor(h.encryptedSize, h.chunkSize)) {
    throw bad(`total_chunks ${h.totalChunks} does not match encrypted_size / chunk_size`);
  }
  if (h.iv.length !== AES_BLOCK || h.firmwareSha256.length !== 32 || h.chunkRoot.length !== 32) {
    throw bad('iv, firmware hash or chunk root has the wrong length');
  }
  if (!/^[0-9a-f]{16}$/.test(h.keyId) || !/^[0-9a-f]{16}$/.test(h.aesKeyId)) throw bad('key ids must be 16 hex characters');
}

export function encodeHeader(fields: HeaderFields): Buffer {
  checkHeaderInvariants(fields);
  const out = Buffer.alloc(HEADER_SIZE); // zero-filled: flags and version padding are NUL
  out.set(HEADER_MAGIC, HeaderOffset.magic);
  out.writeUInt16LE(HEADER_FORMAT_VERSION, HeaderOffset.formatVersion);
  out.writeUInt16LE(HEADER_SIZE, HeaderOffset.headerSize);
  out.writeUInt32LE(0, HeaderOffset.flags);
  out.writeUInt32LE(fields.securityCounter, HeaderOffset.securityCounter);
  out.writeUInt32LE(fields.originalSize, HeaderOffset.originalSize);
  out.writeUInt32LE(fields.encryptedSize, HeaderOffset.encryptedSize);
  out.writeUInt32LE(fields.chunkSize, HeaderOffset.chunkSize);
  out.writeUInt32LE(fields.totalChunks, HeaderOffset.totalChunks);
  out.write(fields.version, HeaderOffset.version, 'ascii');
  out.write(fields.keyId, HeaderOffset.keyId, 'hex');
  out.write(fields.aesKeyId, HeaderOffset.aesKeyId, 'hex');
  out.set(fields.iv, HeaderOffset.iv);
  out.set(fields.firmwareSha256, HeaderOffset.firmwareSha256);
  out.set(fields.chunkRoot, HeaderOffset.chunkRoot);
  return out;
}

/** Strict parse: every byte is either a field value or a checked zero, so one header = one encoding. */
export function parseHeader(bytes: Uint8Array): ManifestHeader {
  if (bytes.length !== HEADER_SIZE) throw bad(`expected ${HEADER_SIZE} bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!b.subarray(0, 4).equals(HEADER_MAGIC)) throw bad('bad magic (expected "FGOM")');
  const formatVersion = b.readUInt16LE(HeaderOffset.formatVersion);
  if (formatVersion !== HEADER_FORMAT_VERSION) throw bad(`unsupported header format version ${formatVersion}`);
  const headerSize = b.readUInt16LE(HeaderOffset.headerSize);
  if (headerSize !== HEADER_SIZE) throw bad(`header_size ${headerSize}, expected ${HEADER_SIZE}`);
  if (b.readUInt32LE(HeaderOffset.flags) !== 0) throw bad('flags must be 0');

  const versionField = b.subarray(HeaderOffset.version, HeaderOffset.version + VERSION_FIELD_SIZE);
  const nul = versionField.indexOf(0);
  if (nul < 1) throw bad('version must be 1..31 characters followed by NUL padding');
  if (versionField.subarray(nul).some((x) => x !== 0)) throw bad('version padding must be all NUL');

  const header: ManifestHeader = {
    formatVersion,
    version: versionField.subarray(0, nul).toString('latin1'),
    securityCounter: b.readUInt32LE(HeaderOffset.securityCounter),
    originalSize: b.readUInt32LE(HeaderOffset.originalSize),
    encryptedSize: b.readUInt32LE(HeaderOffset.encryptedSize),
    chunkSize: b.readUInt32LE(HeaderOffset.chunkSize),
    totalChunks: b.readUInt32LE(HeaderOffset.totalChunks),
    keyId: b.subarray(HeaderOffset.keyId, HeaderOffset.keyId + KEY_ID_LENGTH).toString('hex'),
    aesKeyId: b.subarray(HeaderOffset.aesKeyId, HeaderOffset.aesKeyId + KEY_ID_LENGTH).toString('hex'),
    iv: Uint8Array.from(b.subarray(HeaderOffset.iv, HeaderOffset.iv + AES_BLOCK)),
    firmwareSha256: Uint8Array.from(b.subarray(HeaderOffset.firmwareSha256, HeaderOffset.firmwareSha256 + 32)),
    chunkRoot: Uint8Array.from(b.subarray(HeaderOffset.chunkRoot, HeaderOffset.chunkRoot + 32)),
  };
  checkHeaderInvariants(header);
  return header;
}

// ---------------------------------------------------------------------------------------------
// Manifest JSON

/** Validate the shape of a manifest JSON value (not its signatures: see verify.ts). */
export function parseManifest(value: unknown): FirmwareManifest {
  const result = firmwareManifestSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'manifest';
    throw new FirmwareCheckError('manifest_format', `manifest: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

/** Decode a base64 field of known length; strict so that two encodings of one value never differ. */
export function decodeBase64Field(value: string, field: string, length?: number): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) throw new FirmwareCheckError('manifest_format', `manifest: ${field} is not canonical base64`);
  if (length !== undefined && bytes.length !== length) {
    throw new FirmwareCheckError('manifest_format', `manifest: ${field} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** The header carried in the manifest, decoded and parsed (not yet authenticated). */
export function headerOfManifest(manifest: FirmwareManifest): { bytes: Buffer; header: ManifestHeader } {
  const bytes = decodeBase64Field(manifest.manifest_header, 'manifest_header');
  return { bytes, header: parseHeader(bytes) };
}

/**
 * Every JSON field that the header also carries must be equal to it; the header is authoritative
 * (it is what the signature covers). Names the first differing field.
 */
export function assertManifestMatchesHeader(manifest: FirmwareManifest, h: ManifestHeader): void {
  const pairs: [string, unknown, unknown][] = [
    ['format_version', manifest.format_version, h.formatVersion],
    ['version', manifest.version, h.version],
    ['security_counter', manifest.security_counter, h.securityCounter],
    ['original_size', manifest.original_size, h.originalSize],
    ['encrypted_size', manifest.encrypted_size, h.encryptedSize],
    ['chunk_size', manifest.chunk_size, h.chunkSize],
    ['total_chunks', manifest.total_chunks, h.totalChunks],
    ['key_id', manifest.key_id, h.keyId],
    ['aes_key_id', manifest.aes_key_id, h.aesKeyId],
    ['iv', manifest.iv, Buffer.from(h.iv).toString('base64')],
    ['sha256_hash', manifest.sha256_hash, Buffer.from(h.firmwareSha256).toString('hex')],
    ['chunk_root', manifest.chunk_root, Buffer.from(h.chunkRoot).toString('hex')],
  ];
  for (const [field, json, header] of pairs) {
    if (json !== header) {
      throw new FirmwareCheckError('manifest_mismatch', `manifest: ${field} ${JSON.stringify(json)} differs from the signed header (${JSON.stringify(header)})`);
    }
  }
}

/** Build the manifest JSON object in its canonical field order. */
export function buildManifest(
  h: HeaderFields,
  parts: {
    headerBytes: Uint8Array;
    signature: Uint8Array;
    manifestSignature: Uint8Array;
    /** Chunk digests packed back to back, 32 bytes each. */
    chunkHashes: Uint8Array;
    releaseNotes: string;
    createdAt: string;
  },
): FirmwareManifest {
  return {
    version: h.version,
    security_counter: h.securityCounter,
    original_size: h.originalSize,
    encrypted_size: h.encryptedSize,
    sha256_hash: Buffer.from(h.firmwareSha256).toString('hex'),
    signature: Buffer.from(parts.signature).toString('base64'),
    iv: Buffer.from(h.iv).toString('base64'),
    chunk_size: h.chunkSize,
    total_chunks: h.totalChunks,
    release_notes: parts.releaseNotes,
    created_at: parts.createdAt,
    key_id: h.keyId,
    aes_key_id: h.aesKeyId,
    format_version: HEADER_FORMAT_VERSION,
    manifest_header: Buffer.from(parts.headerBytes).toString('base64'),
    manifest_signature: Buffer.from(parts.manifestSignature).toString('base64'),
    chunk_root: Buffer.from(h.chunkRoot).toString('hex'),
    chunk_hashes: hexDigests(parts.chunkHashes),
  };
}

function hexDigests(packed: Uint8Array): string[] {
  const b = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const out = new Array<string>(b.length / 32);
  for (let i = 0; i < out.length; i++) out[i] = b.toString('hex', i * 32, i * 32 + 32);
  return out;
}
