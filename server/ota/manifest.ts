/**
 * The OTA manifest wire format, owned here and nowhere else: the binary header that the manifest
 * signature covers (format 1: 160 bytes committing to the whole chunk-hash list; format 2: 176
 * bytes committing to a hash tree over hash pages, hash-tree.ts), encode and strict parse of both,
 * the manifest JSON types and schema, the JSON-versus-header comparison, and the size arithmetic
 * (encrypted size, chunk count, chunk offsets) every other OTA module and the device share.
 * SPEC.md describes the same format in prose; when they disagree that is a bug in one of them,
 * and the test vectors decide. Constants shared with the firmware come from
 * server/protocol/limits.ts.
 */
import semver from 'semver';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import {
  OTA_CHUNK_MAX,
  OTA_CHUNK_MIN,
  OTA_DEFAULT_CHUNK_SIZE,
  OTA_DEFAULT_PAGE_ENTRIES,
  OTA_FORMAT_V1,
  OTA_FORMAT_V2,
  OTA_HEADER_MAGIC,
  OTA_HEADER_SIZE_V1,
  OTA_HEADER_SIZE_V2,
  OTA_PAGE_ENTRIES_MAX,
  OTA_PAGE_ENTRIES_MIN,
  OTA_VERSION_MAX,
} from '../protocol/limits.ts';
import { FirmwareCheckError } from './checks.ts';
import { AES_BLOCK, KEY_ID_LENGTH, sha256 } from './crypto.ts';
import { pageCount } from './hash-tree.ts';

/** "FGOM": FleetGate OTA Manifest. */
export const HEADER_MAGIC = Uint8Array.from(Buffer.from(OTA_HEADER_MAGIC, 'ascii'));
export const FORMAT_V1 = OTA_FORMAT_V1;
export const FORMAT_V2 = OTA_FORMAT_V2;
export type FormatVersion = typeof FORMAT_V1 | typeof FORMAT_V2;
/** What the packager writes unless told otherwise (format 1 only for devices that predate 2). */
export const DEFAULT_FORMAT_VERSION: FormatVersion = FORMAT_V2;
export const HEADER_SIZES: Readonly<Record<FormatVersion, number>> = { 1: OTA_HEADER_SIZE_V1, 2: OTA_HEADER_SIZE_V2 };
/** @deprecated format 1's size; use HEADER_SIZES. */
export const HEADER_SIZE = OTA_HEADER_SIZE_V1;
/** The version field is 32 bytes, NUL-padded, so at most 31 characters and always NUL-terminated. */
export const VERSION_FIELD_SIZE = 32;
export const MAX_VERSION_LENGTH = OTA_VERSION_MAX;
export const MIN_CHUNK_SIZE = OTA_CHUNK_MIN;
export const MAX_CHUNK_SIZE = OTA_CHUNK_MAX;
export const DEFAULT_CHUNK_SIZE = OTA_DEFAULT_CHUNK_SIZE;
export const DEFAULT_PAGE_ENTRIES = OTA_DEFAULT_PAGE_ENTRIES;
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
  /** v1: chunk_root; v2: hash_root. */
  root: 128,
  /** v2 only. */
  pageEntries: 160,
  totalPages: 164,
  reserved: 168,
} as const;

/** The signed facts about one image. Binary fields are raw bytes; key ids are 16 hex chars. */
export interface ManifestHeader {
  formatVersion: FormatVersion;
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
  /**
   * v1: chunk_root = SHA-256 of the concatenated chunk digests; v2: hash_root = the hash tree's
   * root (hash-tree.ts). Either commits to every encrypted byte; it is the image's ETag.
   */
  root: Uint8Array;
  /** v2: chunk digests per hash page (0 in v1). */
  pageEntries: number;
  /** v2: ceil(total_chunks / page_entries) (0 in v1). */
  totalPages: number;
}

/** What a packager supplies; the derived fields are checked. */
export type HeaderFields = ManifestHeader;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes * 2} lowercase hex characters`);
const base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64');
const u32 = z.number().int().min(0).max(MAX_U32);

const commonFields = {
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
  manifest_header: base64,
  manifest_signature: base64,
};

/** Format 1: the whole chunk-hash list travels with the manifest (32 B + ~70 JSON bytes per chunk). */
export const manifestV1Schema = z.object({
  ...commonFields,
  format_version: z.literal(FORMAT_V1),
  chunk_root: hex(32),
  chunk_hashes: z.array(hex(32)),
});

/** Format 2: a fixed-size manifest; chunk digests come in hash pages (SPEC §11). */
export const manifestV2Schema = z.object({
  ...commonFields,
  format_version: z.literal(FORMAT_V2),
  hash_root: hex(32),
  page_entries: u32,
  total_pages: u32,
});

export const firmwareManifestSchema = z.discriminatedUnion('format_version', [manifestV1Schema, manifestV2Schema]);

/** The manifest JSON as written by the packager (`firmware_<version>_manifest.json`). */
export type FirmwareManifest = z.infer<typeof firmwareManifestSchema>;
export type ManifestV1 = z.infer<typeof manifestV1Schema>;
export type ManifestV2 = z.infer<typeof manifestV2Schema>;

/** The image's root as hex (v1 chunk_root, v2 hash_root): its ETag and cache identity. */
export function manifestRoot(m: FirmwareManifest): string {
  return m.format_version === FORMAT_V1 ? m.chunk_root : m.hash_root;
}

export function imageFileName(version: string): string {
  return `firmware_${version}_encrypted.bin`;
}

/** Format 2's chunk-hash table (32 raw bytes per chunk), next to the image; the gateway serves its pages. */
export function hashesFileName(version: string): string {
  return `firmware_${version}_hashes.bin`;
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

/** v1's chunk_root: SHA-256 over the concatenated raw 32-byte chunk digests (`packed`, chunk order). */
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

export function validatePageEntries(entries: number): void {
  if (!Number.isInteger(entries) || entries < OTA_PAGE_ENTRIES_MIN || entries > OTA_PAGE_ENTRIES_MAX || (entries & (entries - 1)) !== 0) {
    throw new ValidationError(`hash page entries must be a power of two in ${OTA_PAGE_ENTRIES_MIN}..${OTA_PAGE_ENTRIES_MAX}, got ${entries}`, 'invalid_page_entries');
  }
}

export function validateFormatVersion(format: number): asserts format is FormatVersion {
  if (format !== FORMAT_V1 && format !== FORMAT_V2) {
    throw new ValidationError(`manifest format must be ${FORMAT_V1} or ${FORMAT_V2}, got ${format}`, 'invalid_manifest_format');
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
  if (h.iv.length !== AES_BLOCK || h.firmwareSha256.length !== 32 || h.root.length !== 32) {
    throw bad('iv, firmware hash or root has the wrong length');
  }
  if (!/^[0-9a-f]{16}$/.test(h.keyId) || !/^[0-9a-f]{16}$/.test(h.aesKeyId)) throw bad('key ids must be 16 hex characters');
  if (h.formatVersion === FORMAT_V2) {
    const e = h.pageEntries;
    if (!Number.isInteger(e) || e < OTA_PAGE_ENTRIES_MIN || e > OTA_PAGE_ENTRIES_MAX || (e & (e - 1)) !== 0) throw bad(`page_entries ${e} invalid`);
    if (h.totalPages !== pageCount(h.totalChunks, e)) throw bad(`total_pages ${h.totalPages} does not match total_chunks / page_entries`);
  } else if (h.pageEntries !== 0 || h.totalPages !== 0) {
    throw bad('format 1 has no hash pages');
  }
}

export function encodeHeader(fields: HeaderFields): Buffer {
  checkHeaderInvariants(fields);
  const out = Buffer.alloc(HEADER_SIZES[fields.formatVersion]); // zero-filled: flags, padding, reserved
  out.set(HEADER_MAGIC, HeaderOffset.magic);
  out.writeUInt16LE(fields.formatVersion, HeaderOffset.formatVersion);
  out.writeUInt16LE(out.length, HeaderOffset.headerSize);
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
  out.set(fields.root, HeaderOffset.root);
  if (fields.formatVersion === FORMAT_V2) {
    out.writeUInt32LE(fields.pageEntries, HeaderOffset.pageEntries);
    out.writeUInt32LE(fields.totalPages, HeaderOffset.totalPages);
  }
  return out;
}

/**
 * Strict parse of a format 1 or 2 header: every byte is either a field value or a checked zero, so
 * one header has one encoding. The format version decides the size; a verifier accepts both.
 */
export function parseHeader(bytes: Uint8Array): ManifestHeader {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 8) throw bad(`expected a header, got ${b.length} bytes`);
  if (!b.subarray(0, 4).equals(HEADER_MAGIC)) throw bad('bad magic (expected "FGOM")');
  const formatVersion = b.readUInt16LE(HeaderOffset.formatVersion);
  if (formatVersion !== FORMAT_V1 && formatVersion !== FORMAT_V2) throw bad(`unsupported header format version ${formatVersion}`);
  const size = HEADER_SIZES[formatVersion];
  if (b.length !== size) throw bad(`format ${formatVersion} header must be ${size} bytes, got ${b.length}`);
  const headerSize = b.readUInt16LE(HeaderOffset.headerSize);
  if (headerSize !== size) throw bad(`header_size ${headerSize}, expected ${size}`);
  if (b.readUInt32LE(HeaderOffset.flags) !== 0) throw bad('flags must be 0');

  const versionField = b.subarray(HeaderOffset.version, HeaderOffset.version + VERSION_FIELD_SIZE);
  const nul = versionField.indexOf(0);
  if (nul < 1) throw bad('version must be 1..31 characters followed by NUL padding');
  if (versionField.subarray(nul).some((x) => x !== 0)) throw bad('version padding must be all NUL');
  const v2 = formatVersion === FORMAT_V2;
  if (v2 && b.subarray(HeaderOffset.reserved, size).some((x) => x !== 0)) throw bad('reserved bytes must be 0');

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
    root: Uint8Array.from(b.subarray(HeaderOffset.root, HeaderOffset.root + 32)),
    pageEntries: v2 ? b.readUInt32LE(HeaderOffset.pageEntries) : 0,
    totalPages: v2 ? b.readUInt32LE(HeaderOffset.totalPages) : 0,
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
  const rootHex = Buffer.from(h.root).toString('hex');
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
  ];
  if (manifest.format_version === FORMAT_V1) pairs.push(['chunk_root', manifest.chunk_root, rootHex]);
  else pairs.push(['hash_root', manifest.hash_root, rootHex], ['page_entries', manifest.page_entries, h.pageEntries], ['total_pages', manifest.total_pages, h.totalPages]);
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
    /** Chunk digests packed back to back, 32 bytes each (listed in format 1 only). */
    chunkHashes: Uint8Array;
    releaseNotes: string;
    createdAt: string;
  },
): FirmwareManifest {
  const common = {
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
  };
  const signed = {
    manifest_header: Buffer.from(parts.headerBytes).toString('base64'),
    manifest_signature: Buffer.from(parts.manifestSignature).toString('base64'),
  };
  const root = Buffer.from(h.root).toString('hex');
  if (h.formatVersion === FORMAT_V1) {
    return { ...common, format_version: FORMAT_V1, ...signed, chunk_root: root, chunk_hashes: hexDigests(parts.chunkHashes) };
  }
  return { ...common, format_version: FORMAT_V2, ...signed, hash_root: root, page_entries: h.pageEntries, total_pages: h.totalPages };
}

function hexDigests(packed: Uint8Array): string[] {
  const b = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const out = new Array<string>(b.length / 32);
  for (let i = 0; i < out.length; i++) out[i] = b.toString('hex', i * 32, i * 32 + 32);
  return out;
}
