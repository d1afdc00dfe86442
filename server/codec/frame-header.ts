/**
 * The fixed part of a sample frame — magic, format version, counts and the per-field descriptors —
 * and its limits. Split from frame.ts because every packed method starts with these same header
 * bytes and must validate them (and the frame size they imply) before allocating anything; this
 * module is the one parser they all share. Layout and limits are normative in SPEC.md §3.
 */
import {
  FIELD_NAME_MAX,
  FRAME_FIELD_NAME_PATTERN,
  FRAME_MAX_BYTES,
  FRAME_MAX_FIELDS,
  FRAME_MAX_SAMPLES,
  RESERVED_FIELD_NAMES as SHARED_RESERVED_NAMES,
  SCALE_EXP_MAX,
  SCALE_EXP_MIN,
  isReservedFieldName,
} from '../protocol/limits.ts';
import type { ByteWriter } from './bytes.ts';
import { fail } from './fail.ts';

/** "FGSF" — FleetGate Sample Frame. */
export const FRAME_MAGIC: readonly number[] = [0x46, 0x47, 0x53, 0x46];
/** Current frame format version. 0 and 0xFF are reserved; retired versions are never reused. */
export const FRAME_VERSION = 1;
export const FRAME_FIXED_HEADER_BYTES = 8;
/* Limits shared with the firmware: server/protocol/limits.ts is their one source. */
export const MAX_FIELDS = FRAME_MAX_FIELDS;
export const MAX_SAMPLES = FRAME_MAX_SAMPLES;
export const MAX_FRAME_BYTES = FRAME_MAX_BYTES;
export const MAX_FIELD_NAME_LENGTH = FIELD_NAME_MAX;
export const MIN_SCALE_EXP = SCALE_EXP_MIN;
export const MAX_SCALE_EXP = SCALE_EXP_MAX;
export const FIELD_NAME_PATTERN = FRAME_FIELD_NAME_PATTERN;
/** Names a field may not take: the timestamp column's key and every Object.prototype member. */
export const RESERVED_FIELD_NAMES: readonly string[] = SHARED_RESERVED_NAMES;

export interface FieldDescriptor {
  name: string;
  /** Decimal exponent: value = raw int32 × 10^scaleExp. */
  scaleExp: number;
}

export interface FrameHeader {
  fields: FieldDescriptor[];
  sampleCount: number;
  /** Bytes before the timestamp column (fixed header + descriptors + zero padding to 4). */
  headerSize: number;
  /** Timestamp column plus one column per field. */
  columnCount: number;
  /** Exact size of the whole frame. */
  frameSize: number;
}

function isNameByte(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x5f;
}

/** Throws unless `name` is a legal, non-reserved field name. */
export function checkFieldName(name: string): void {
  if (!FIELD_NAME_PATTERN.test(name)) fail(`field name ${JSON.stringify(name)} must match [a-z0-9_]{1,31}`, 'bad_frame');
  if (isReservedFieldName(name)) fail(`field name "${name}" is reserved`, 'bad_frame');
}

/**
 * Parses and validates the header at the start of `bytes` (a frame, or a packed stream, which
 * starts with the same header). `bytes` may be longer than the header. Checks the implied frame
 * size against MAX_FRAME_BYTES, so callers can trust `frameSize` before allocating.
 */
export function parseFrameHeader(bytes: Uint8Array): FrameHeader {
  const len = bytes.length;
  if (len < FRAME_FIXED_HEADER_BYTES) fail(`frame header truncated: ${len} of 8 fixed bytes`, 'bad_frame');
  for (let i = 0; i < 4; i++) if (bytes[i] !== FRAME_MAGIC[i]) fail('bad frame magic (expected "FGSF")', 'bad_frame');
  const version = bytes[4]!;
  if (version !== FRAME_VERSION) fail(`unsupported frame version ${version}`, 'bad_frame');
  const fieldCount = bytes[5]!;
  if (fieldCount > MAX_FIELDS) fail(`frame declares ${fieldCount} fields, max ${MAX_FIELDS}`, 'bad_frame');
  const sampleCount = bytes[6]! | (bytes[7]! << 8);
  if (sampleCount === 0) fail('frame declares 0 samples', 'bad_frame');

  const fields: FieldDescriptor[] = [];
  let pos = FRAME_FIXED_HEADER_BYTES;
  for (let f = 0; f < fieldCount; f++) {
    if (pos >= len) fail(`frame header truncated in descriptor ${f}`, 'bad_frame');
    const nameLength = bytes[pos++]!;
    if (nameLength < 1 || nameLength > MAX_FIELD_NAME_LENGTH) fail(`descriptor ${f}: name length ${nameLength} not in 1..31`, 'bad_frame');
    if (pos + nameLength + 1 > len) fail(`frame header truncated in descriptor ${f}`, 'bad_frame');
    let name = '';
    for (let i = 0; i < nameLength; i++) {
      const b = bytes[pos + i]!;
      if (!isNameByte(b)) fail(`descriptor ${f}: name byte 0x${b.toString(16)} outside [a-z0-9_]`, 'bad_frame');
      name += String.fromCharCode(b);
    }
    pos += nameLength;
    if (isReservedFieldName(name)) fail(`descriptor ${f}: field name "${name}" is reserved`, 'bad_frame');
    if (fields.some((d) => d.name === name)) fail(`descriptor ${f}: duplicate field name "${name}"`, 'bad_frame');
    const scaleExp = (bytes[pos++]! << 24) >> 24; // int8
    if (scaleExp < MIN_SCALE_EXP || scaleExp > MAX_SCALE_EXP) fail(`descriptor ${f}: scale exponent ${scaleExp} not in -9..9`, 'bad_frame');
    fields.push({ name, scaleExp });
  }
  const padded = (pos + 3) & ~3;
  if (padded > len) fail('frame header truncated in padding', 'bad_frame');
  for (; pos < padded; pos++) if (bytes[pos] !== 0) fail('frame header padding is not zero', 'bad_frame');

  const columnCount = fieldCount + 1;
  const frameSize = padded + 4 * sampleCount * columnCount;
  if (frameSize > MAX_FRAME_BYTES) fail(`frame would be ${frameSize} bytes, max ${MAX_FRAME_BYTES}`, 'too_large');
  return { fields, sampleCount, headerSize: padded, columnCount, frameSize };
}

/** Size of the header for these descriptors (fixed part + descriptors + padding). */
export function headerSizeFor(fields: readonly FieldDescriptor[]): number {
  let size = FRAME_FIXED_HEADER_BYTES;
  for (const f of fields) size += 2 + f.name.length;
  return (size + 3) & ~3;
}

/** Writes a header; the caller has validated names, exponents and counts. */
export function writeFrameHeader(w: ByteWriter, fields: readonly FieldDescriptor[], sampleCount: number): void {
  for (const b of FRAME_MAGIC) w.u8(b);
  w.u8(FRAME_VERSION);
  w.u8(fields.length);
  w.u16(sampleCount);
  for (const f of fields) {
    w.u8(f.name.length);
    for (let i = 0; i < f.name.length; i++) w.u8(f.name.charCodeAt(i));
    w.u8(f.scaleExp & 0xff);
  }
  while (w.length % 4 !== 0) w.u8(0);
}
