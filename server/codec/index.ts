/**
 * Public face of the packed-telemetry codec: the method registry, packing a frame or a list of
 * samples into the JSON packed-batch object devices upload, and `unpackBatch`, the one guarded
 * path from an untrusted batch back to samples. Guards run cheapest first — method, declared
 * sizes and ratio before any decoding, then base64 length, then the method decoder (which never
 * allocates beyond original_size), then size, CRC and frame validation. Format: SPEC.md.
 */
import { BATCH_MAX_SAMPLES, PACKED_MAX_BYTES, PACKED_MAX_RATIO } from '../protocol/limits.ts';
import * as adaptive from './adaptive.ts';
import { crc32Hex } from './crc32.ts';
import * as delta from './delta.ts';
import * as dictionary from './dictionary.ts';
import { fail } from './fail.ts';
import { MAX_FRAME_BYTES, decodeFrame, encodeFrame } from './frame.ts';
import type { DecodedFrame, EncodeFrameOptions, Sample } from './frame.ts';
import * as rle from './rle.ts';
import * as smart from './smart.ts';

export { crc32, crc32Hex } from './crc32.ts';
export {
  FRAME_MAGIC,
  FRAME_VERSION,
  MAX_FIELDS,
  MAX_FRAME_BYTES,
  MAX_SAMPLES,
  MAX_SCALE_EXP,
  MIN_SCALE_EXP,
  MAX_AUTO_DECIMALS,
  decodeFrame,
  encodeFrame,
  frameColumns,
  parseFrameHeader,
} from './frame.ts';
export type { DecodedFrame, EncodeFrameOptions, FieldDescriptor, FrameHeader, Sample } from './frame.ts';

/** Method IDs (the `method` field of a packed batch). Values are wire format: never change one. */
export const METHODS = {
  dictionary: 0xd0,
  delta: 0xde,
  rle: 0xad,
  adaptive: 0xbf,
  smart: 0xff,
} as const;
export type MethodName = keyof typeof METHODS;
export type MethodId = (typeof METHODS)[MethodName];
/** IDs once assigned and withdrawn: never reassigned (none yet). */
export const RETIRED_METHOD_IDS: readonly number[] = [];

/** original_size may be at most this many times compressed_size (bounds work per uploaded byte). */
export const MAX_RATIO = PACKED_MAX_RATIO;
/**
 * Largest packed stream accepted. Above every method's worst case for a 1 MiB frame (≈ 1.75×, DICT
 * on random words; adaptive and smart never exceed the frame by more than their block tags).
 */
export const MAX_PACKED_BYTES = PACKED_MAX_BYTES;
/** Samples one uploaded batch may carry, packed or plain (SPEC §9.1). */
export const MAX_BATCH_SAMPLES = BATCH_MAX_SAMPLES;

interface MethodCodec {
  encode(frame: Uint8Array): Uint8Array;
  decode(packed: Uint8Array, expectedSize: number): Uint8Array;
}

const CODECS = new Map<number, MethodCodec>([
  [METHODS.dictionary, dictionary],
  [METHODS.delta, delta],
  [METHODS.rle, rle],
  [METHODS.adaptive, adaptive],
  [METHODS.smart, smart],
]);

/** Resolves a method name or numeric ID; throws 'unknown_method' for anything else. */
export function methodId(method: MethodName | number): MethodId {
  const id = typeof method === 'string' ? (Object.hasOwn(METHODS, method) ? METHODS[method] : undefined) : method;
  if (id === undefined || !CODECS.has(id)) fail(`unknown packing method ${JSON.stringify(method)}`, 'unknown_method');
  return id as MethodId;
}

export function methodName(id: number): MethodName | undefined {
  return (Object.keys(METHODS) as MethodName[]).find((name) => METHODS[name] === id);
}

/** Parses user text (CLI flags): a method name, or its ID in decimal or 0x-hex ("smart", "255", "0xFF"). */
export function parseMethod(text: string): MethodId {
  const t = text.trim().toLowerCase();
  if (/^(0x[0-9a-f]{1,2}|[0-9]{1,3})$/.test(t)) return methodId(Number(t));
  return methodId(t as MethodName);
}

/** Packs frame bytes with one method. Throws 'bad_frame' if `frame` is not a valid frame. */
export function packFrame(frame: Uint8Array, method: MethodName | number): Uint8Array {
  return CODECS.get(methodId(method))!.encode(frame);
}

/** Unpacks to frame bytes without the batch-level checks (for tools and tests; not for uploads). */
export function unpackFrame(packed: Uint8Array, method: MethodName | number, originalSize: number): Uint8Array {
  return CODECS.get(methodId(method))!.decode(packed, originalSize);
}

/** The JSON object devices upload in place of `aggregated_data`. */
export interface PackedBatch {
  compressed_data: string;
  method: number;
  original_size: number;
  compressed_size: number;
  crc32: string;
  timestamp: number;
}

export interface UnpackInput {
  /** The packed bytes, or their base64 text as received. */
  compressed_data: Uint8Array | string;
  method: number;
  original_size: number;
  compressed_size: number;
  crc32: string;
}

export interface UnpackLimits {
  /** Largest original_size accepted; at most MAX_FRAME_BYTES (a larger value is clamped). */
  maxUnpackedBytes: number;
  /** Largest original_size / compressed_size accepted (default MAX_RATIO). */
  maxRatio: number;
}

/** What `unpackBatch` returns: the decoded frame plus what was on the wire. */
export interface UnpackedBatch extends DecodedFrame {
  method: MethodId;
  methodName: MethodName;
  packedBytes: number;
  frameBytes: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Base64 characters that decode to the frame header's first 9 bytes (sample_count is bytes 6..7). */
const COUNT_PREFIX_CHARS = 12;

/**
 * The batch's sample count, read from the packed header's bytes 6..7 (the frame header is copied
 * verbatim at the start of every packed stream, SPEC §4) without decoding the rest, so an
 * oversized batch costs nothing. Undefined when the stream is too short to hold it (the regular
 * checks then reject it).
 */
function declaredSamples(data: Uint8Array | string): number | undefined {
  let head: Uint8Array;
  if (typeof data === 'string') {
    if (data.length < COUNT_PREFIX_CHARS) return undefined;
    head = Buffer.from(data.slice(0, COUNT_PREFIX_CHARS), 'base64');
  } else {
    head = data;
  }
  return head.length >= 8 ? head[6]! | (head[7]! << 8) : undefined;
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function base64Bytes(text: string, compressedSize: number): Uint8Array {
  // Padded base64 has a length fixed by the byte count: compare before decoding anything.
  if (text.length !== 4 * Math.ceil(compressedSize / 3)) {
    fail(`compressed_data has ${text.length} base64 chars, compressed_size ${compressedSize} needs ${4 * Math.ceil(compressedSize / 3)}`, 'size_mismatch');
  }
  if (!BASE64.test(text)) fail('compressed_data is not canonical base64');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== compressedSize) fail(`compressed_data decodes to ${bytes.length} bytes, compressed_size is ${compressedSize}`, 'size_mismatch');
  // Buffer ignores non-zero bits in the last symbol; insist on the one canonical spelling.
  if (bytes.toString('base64') !== text) fail('compressed_data is not canonical base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Validates and unpacks an uploaded packed batch into samples. Throws PackedDataError. */
export function unpackBatch(batch: UnpackInput, limits: Partial<UnpackLimits> = {}): UnpackedBatch {
  const maxFrameBytes = Math.min(limits.maxUnpackedBytes ?? MAX_FRAME_BYTES, MAX_FRAME_BYTES);
  const maxRatio = limits.maxRatio ?? MAX_RATIO;
  const { method, original_size: originalSize, compressed_size: compressedSize } = batch;
  if (typeof method !== 'number' || !CODECS.has(method)) fail(`unknown packing method ${String(method)}`, 'unknown_method');
  if (!isSize(originalSize) || !isSize(compressedSize)) fail('original_size and compressed_size must be non-negative integers');
  if (originalSize > maxFrameBytes) fail(`original_size ${originalSize} exceeds ${maxFrameBytes} bytes`, 'too_large');
  if (compressedSize > MAX_PACKED_BYTES) fail(`compressed_size ${compressedSize} exceeds ${MAX_PACKED_BYTES} bytes`, 'too_large');
  if (originalSize > compressedSize * maxRatio) {
    fail(`original_size ${originalSize} is more than ${maxRatio}× compressed_size ${compressedSize}`, 'too_large');
  }
  if (typeof batch.crc32 !== 'string' || !/^[0-9a-f]{8}$/.test(batch.crc32)) fail('crc32 must be 8 lowercase hex digits');

  const data = batch.compressed_data;
  const samples = declaredSamples(data);
  if (samples !== undefined && samples > MAX_BATCH_SAMPLES) {
    fail(`batch declares ${samples} samples, at most ${MAX_BATCH_SAMPLES} per upload`, 'too_large');
  }
  let packed: Uint8Array;
  if (typeof data === 'string') packed = base64Bytes(data, compressedSize);
  else if (data instanceof Uint8Array) packed = data;
  else return fail('compressed_data must be base64 text or bytes');
  if (packed.length !== compressedSize) fail(`compressed data is ${packed.length} bytes, compressed_size is ${compressedSize}`, 'size_mismatch');

  const frame = CODECS.get(method)!.decode(packed, originalSize);
  if (frame.length !== originalSize) fail(`unpacked ${frame.length} bytes, original_size is ${originalSize}`, 'size_mismatch');
  const crc = crc32Hex(frame);
  if (crc !== batch.crc32) fail(`crc32 of the unpacked frame is ${crc}, batch says ${batch.crc32}`, 'crc_mismatch');
  const id = method as MethodId;
  return { ...decodeFrame(frame), method: id, methodName: methodName(id)!, packedBytes: compressedSize, frameBytes: originalSize };
}

/** Builds the packed-batch object for frame bytes (checks the gateway's ratio limit up front). */
export function packFrameBatch(frame: Uint8Array, method: MethodName | number, timestamp: number): PackedBatch {
  const id = methodId(method);
  const samples = declaredSamples(frame);
  if (samples !== undefined && samples > MAX_BATCH_SAMPLES) {
    fail(`${samples} samples in one batch, the gateway accepts at most ${MAX_BATCH_SAMPLES}; send fewer samples per batch`, 'too_large');
  }
  const packed = packFrame(frame, id);
  if (frame.length > packed.length * MAX_RATIO) {
    fail(`batch compresses ${Math.floor(frame.length / packed.length)}:1, above the gateway's ${MAX_RATIO}:1 limit; send fewer samples per batch`, 'too_large');
  }
  return {
    compressed_data: Buffer.from(packed.buffer, packed.byteOffset, packed.length).toString('base64'),
    method: id,
    original_size: frame.length,
    compressed_size: packed.length,
    crc32: crc32Hex(frame),
    timestamp,
  };
}

/** Samples → frame → packed batch. `timestamp` defaults to the newest sample's. */
export function packSamples(
  samples: readonly Sample[],
  method: MethodName | number = 'smart',
  options: EncodeFrameOptions & { timestamp?: number } = {},
): PackedBatch {
  const frame = encodeFrame(samples, options);
  const timestamp = options.timestamp ?? samples.reduce((t, s) => Math.max(t, s.timestamp), 0);
  return packFrameBatch(frame, method, timestamp);
}
