/**
 * Limits, names and codes that the gateway and the device firmware must agree on, in one place.
 * Everything a device is checked against by the gateway (field and register names, batch sizes,
 * OTA format constants, the check and error names a device reports) is defined here and nowhere
 * else: server modules import these constants, and the firmware's C header
 * `firmware/components/fleetgate/include/fleetgate/fg_limits.h` is generated from this module by
 * `npm run limits` (scripts/generate-limits.ts). tests/protocol/limits.test.ts fails when the
 * checked-in header differs from a fresh generation, so a change here that is not regenerated
 * cannot land. The wire formats themselves are specified in server/codec/SPEC.md and
 * server/ota/SPEC.md, whose limit tables quote these values.
 */

// ---------------------------------------------------------------------------------------------
// Telemetry: the sample frame, packed and plain batches (server/codec/SPEC.md §3, §9)

/** Fields per frame (the frame's u8 field_count allows more; the format caps it). */
export const FRAME_MAX_FIELDS = 32;
/** Samples a frame can describe (its u16 sample_count). A batch is further capped below. */
export const FRAME_MAX_SAMPLES = 65_535;
/**
 * Samples one upload may carry, packed or plain alike. For a packed batch the gateway reads the
 * count from the frame header before any decoding (SPEC §9.2): a 65,535-sample batch of a few KB
 * otherwise costs hundreds of ms of CPU and megabytes of storage.
 */
export const BATCH_MAX_SAMPLES = 10_000;
/** Longest frame field name (and register name), in bytes. */
export const FIELD_NAME_MAX = 31;
/** Frame field names: lowercase ASCII letters, digits and underscore. */
export const FRAME_FIELD_NAME_PATTERN = /^[a-z0-9_]{1,31}$/;
export const SCALE_EXP_MIN = -9;
export const SCALE_EXP_MAX = 9;
export const FRAME_MAX_BYTES = 1 << 20;
/** Above every method's worst case for a 1 MiB frame (≈ 1.75×, DICT on random words). */
export const PACKED_MAX_BYTES = 2 * FRAME_MAX_BYTES;
/** original_size may be at most this many times compressed_size (bounds work per uploaded byte). */
export const PACKED_MAX_RATIO = 1024;

/** Plain uploads keep their own, wider rule (mixed case from field devices already in use). */
export const PLAIN_FIELD_NAME_PATTERN = /^[A-Za-z0-9_]{1,64}$/;
export const PLAIN_FIELD_NAME_MAX = 64;
export const PLAIN_MAX_FIELDS = 64;

/**
 * Names no field, register or sample key may take, compared exactly (case-sensitive): the
 * timestamp column's key and every property of Object.prototype. A sample field called
 * `constructor` or `__proto__` reads back as Object.prototype's member on every other row of a
 * plain object (the CSV export printed "function Object() { [native code] }"), so the gateway
 * refuses them everywhere instead of trusting each consumer to use Map. The list is literal so
 * the generated C header does not depend on the Node version; limits.test.ts checks it still
 * covers Object.getOwnPropertyNames(Object.prototype).
 */
export const RESERVED_FIELD_NAMES = [
  'timestamp',
  '__proto__',
  'constructor',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
] as const;

const reserved: ReadonlySet<string> = new Set(RESERVED_FIELD_NAMES);

export function isReservedFieldName(name: string): boolean {
  return reserved.has(name);
}

/** A name a frame can carry: [a-z0-9_]{1,31} and not reserved (SPEC §3.3 rule 3). */
export function isFrameFieldName(name: string): boolean {
  return FRAME_FIELD_NAME_PATTERN.test(name) && !reserved.has(name);
}

/** A plain-upload sample key other than `timestamp`: [A-Za-z0-9_]{1,64} and not reserved. */
export function isPlainFieldName(name: string): boolean {
  return PLAIN_FIELD_NAME_PATTERN.test(name) && !reserved.has(name);
}

// ---------------------------------------------------------------------------------------------
// Remote configuration (server/remote-config/fields.ts): what a device applies and uploads with

/**
 * Register names become frame field names unchanged, so they follow the frame's rule, plus a
 * leading letter. Upper case is refused rather than folded: `Power` and `power` would collide.
 */
export const REGISTER_NAME_PATTERN = /^[a-z][a-z0-9_]{0,30}$/;
export const CONFIG_MAX_REGISTERS = 32;
export const POLL_FREQUENCY_S = { min: 1, max: 3600 } as const;
export const UPLOAD_FREQUENCY_S = { min: 10, max: 86_400 } as const;
export const HEARTBEAT_INTERVAL_S = { min: 10, max: 86_400 } as const;

export function isRegisterName(name: string): boolean {
  return REGISTER_NAME_PATTERN.test(name) && !reserved.has(name);
}

/** Device ids: 1..64 of [A-Za-z0-9_.-], not only dots. */
export const DEVICE_ID_MAX = 64;

// ---------------------------------------------------------------------------------------------
// OTA (server/ota/SPEC.md)

export const OTA_HEADER_MAGIC = 'FGOM';
/** Format 1: the header commits to the whole chunk-hash list (kept for images already out). */
export const OTA_FORMAT_V1 = 1;
export const OTA_HEADER_SIZE_V1 = 160;
/** Format 2: the header commits to a hash tree over fixed-size hash pages (SPEC §11). */
export const OTA_FORMAT_V2 = 2;
export const OTA_HEADER_SIZE_V2 = 176;
export const OTA_VERSION_MAX = 31;
export const OTA_KEY_ID_BYTES = 8;
export const OTA_CHUNK_MIN = 256;
export const OTA_CHUNK_MAX = 65_536;
/** New images: 4 KiB chunks (one flash sector; one Range request each). */
export const OTA_DEFAULT_CHUNK_SIZE = 4096;
/** Largest RSA signature (3072-bit keys). */
export const OTA_SIGNATURE_MAX = 384;
/** Chunk hashes per hash page: a power of two in this range; 64 entries = 2 KiB per page. */
export const OTA_PAGE_ENTRIES_MIN = 16;
export const OTA_PAGE_ENTRIES_MAX = 128;
export const OTA_DEFAULT_PAGE_ENTRIES = 64;
/** Inclusion-proof entries a page answer may carry (a tree of 2^32 pages needs 32). */
export const OTA_PROOF_MAX = 32;
/** "FGHP" answer to GET /ota/hashes: magic, page u32, entries u16, proof u16. */
export const OTA_PAGE_MAGIC = 'FGHP';
export const OTA_PAGE_HEADER_SIZE = 12;
/** The compact manifest of any image size must stay within this (SPEC §11.5). */
export const OTA_MANIFEST_MAX_BYTES = 4096;
/**
 * Largest encrypted image the gateway accepts (uploads, PUT /ota/images): an ESP32 app partition
 * never exceeds its 16 MiB flash. Format 1 manifests list every chunk hash (~70 JSON bytes each),
 * so theirs may be far larger than OTA_MANIFEST_MAX_BYTES: at most this many bytes.
 */
export const OTA_IMAGE_MAX_BYTES = 16 * 1024 * 1024;
export const OTA_V1_MANIFEST_MAX_BYTES = 4096 + Math.ceil(OTA_IMAGE_MAX_BYTES / OTA_CHUNK_MIN) * 72;

/**
 * Names of the verification checks (SPEC §7, §11): in the vectors, the CLI's output, /ota/complete
 * reports and the device. Part of the wire contract: never renamed or reused; new ones go last.
 */
export const OTA_CHECKS = [
  /** The manifest JSON is not an object with the required fields of the right types. */
  'manifest_format',
  /** The binary header is malformed: magic, format version, size, reserved bytes, field ranges. */
  'header_format',
  /** The header names a signing or AES key id that the verifier does not hold. */
  'key_id',
  /** RSA-PSS signature over the header bytes does not verify with the public key. */
  'manifest_signature',
  /** A JSON field disagrees with the (authenticated) header. */
  'manifest_mismatch',
  /** security_counter is below the device's anti-rollback minimum. */
  'rollback',
  /** v1: the chunk hash list has the wrong length or does not hash to the header's chunk root. */
  'chunk_table',
  /** Chunks were fed out of order (a retry of the expected chunk is always allowed). */
  'chunk_order',
  /** A chunk has the wrong length for its index. */
  'chunk_length',
  /** A chunk's SHA-256 differs from its entry in the (verified) hash list: refetch that chunk. */
  'chunk_hash',
  /** The encrypted image file has the wrong size. */
  'image_size',
  /** The last block does not end in the PKCS#7 padding the sizes require (wrong AES key?). */
  'padding',
  /** finish() before every chunk was accepted. */
  'incomplete',
  /** SHA-256 of the decrypted image differs from the header's firmware hash. */
  'firmware_hash',
  /** RSA-PSS signature over the decrypted image does not verify. */
  'firmware_signature',
  /** Device policy: the authentic image is older (SemVer) than the running one. */
  'downgrade',
  /** v2: a hash page is malformed or its inclusion proof does not reach the signed root: refetch it. */
  'hash_page',
] as const;

export type OtaCheck = (typeof OTA_CHECKS)[number];

/**
 * The `error` a device sends to POST /ota/complete is "<code>: <detail>", where code is one of
 * OTA_CHECKS or of these. Rollouts count every report with success=false as a failure.
 */
export const OTA_REPORT_ERRORS = [
  /** The new image booted but never confirmed itself (crash loop or failed local self-test). */
  'rolled_back',
] as const;

/**
 * The gateway's refusals that end a device's download of a build for good (SPEC §10): error code →
 * HTTP status. Every route that serves a build answers them (`/ota/chunk` and range downloads in
 * progress included, at their next request). A device acts on one only when the answer's
 * X-Signature verifies — on plain HTTP an unsigned or wrongly signed one is a forgery and is
 * retried like a transport error — and then drops that download (no retry, no resume), records
 * why, reports nothing to /ota/complete (the gateway's decision is not a device failure) and asks
 * /ota/check again at its next check.
 */
export const OTA_REFUSALS = {
  /** The release was withdrawn: it is never served to a device again. */
  yanked: 410,
  /** The version is not in the device's offer set (a draft, or a release no rollout of its covers). */
  not_assigned: 409,
} as const;

export type OtaRefusal = keyof typeof OTA_REFUSALS;

// ---------------------------------------------------------------------------------------------
// Error codes the firmware maps its own errors to (server/codec/SPEC.md §9.2)

export const CODEC_ERROR_CODES = ['bad_packed_data', 'bad_frame', 'crc_mismatch', 'size_mismatch', 'unknown_method', 'too_large'] as const;
export type CodecErrorCode = (typeof CODEC_ERROR_CODES)[number];
