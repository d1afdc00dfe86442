/**
 * The sample frame: the raw, self-describing binary batch every packed method unpacks to, and the
 * bytes `crc32` and `original_size` refer to. Values are fixed-point (raw int32 × 10^scaleExp) and
 * stored column-major — a timestamp column then one column per field — because that is what lets
 * the methods see slowly varying, repetitive sequences. This module converts between JS samples
 * and frame bytes; the header parser and limits live in frame-header.ts. Layout: SPEC.md §3.
 */
import { ByteWriter } from './bytes.ts';
import { fail } from './fail.ts';
import {
  MAX_FIELDS,
  MAX_FRAME_BYTES,
  MAX_SAMPLES,
  MAX_SCALE_EXP,
  MIN_SCALE_EXP,
  checkFieldName,
  headerSizeFor,
  parseFrameHeader,
  writeFrameHeader,
} from './frame-header.ts';
import type { FieldDescriptor, FrameHeader } from './frame-header.ts';

export * from './frame-header.ts';

/** Automatic scaling keeps at most this many decimals (finer digits are rounded away). */
export const MAX_AUTO_DECIMALS = 6;

export type Sample = Record<string, number> & { timestamp: number };

export interface DecodedFrame {
  fields: FieldDescriptor[];
  samples: Sample[];
}

export interface EncodeFrameOptions {
  /** Field order (default: the keys of the first sample, without `timestamp`). */
  fields?: readonly string[];
  /** Decimal exponent per field; fields left out are scaled automatically. */
  scales?: Readonly<Record<string, number>>;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/**
 * Fewest decimals (0..6) that represent `v`; 6 if none does. Binary float noise is tolerated
 * (0.1 + 0.2 has one decimal, not 6): `v` × 10^d must be within 1e-11 (relative) of an integer.
 */
function decimalsOf(v: number): number {
  for (let d = 0; d < MAX_AUTO_DECIMALS; d++) {
    const scaled = v * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) <= 1e-11 * Math.max(1, Math.abs(scaled))) return d;
  }
  return MAX_AUTO_DECIMALS;
}

/** value / 10^exp rounded half away from zero (symmetric for negative readings). */
function toRaw(value: number, exp: number): number {
  const scaled = exp <= 0 ? value * 10 ** -exp : value / 10 ** exp;
  return Math.sign(scaled) * Math.round(Math.abs(scaled));
}

/** raw × 10^exp, dividing for negative exponents so 4216 at -3 gives exactly the double 4.216. */
export function fromRaw(raw: number, exp: number): number {
  return exp < 0 ? raw / 10 ** -exp : exp > 0 ? raw * 10 ** exp : raw;
}

function checkSamples(samples: readonly Sample[], names: readonly string[]): void {
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (typeof s !== 'object' || s === null) fail(`sample ${i} is not an object`, 'bad_frame');
    const t = s.timestamp;
    if (!Number.isInteger(t) || t < 0 || t > 0xffffffff) fail(`sample ${i}: timestamp ${String(t)} is not a u32 integer`, 'bad_frame');
    const keys = Object.keys(s);
    if (keys.length !== names.length + 1) {
      const extra = keys.filter((k) => k !== 'timestamp' && !names.includes(k));
      const missing = names.filter((n) => !Object.hasOwn(s, n));
      fail(`sample ${i}: fields differ from the frame's (missing: ${missing.join(',') || '-'}; extra: ${extra.join(',') || '-'})`, 'bad_frame');
    }
    for (const name of names) {
      if (!Object.hasOwn(s, name)) fail(`sample ${i} lacks field "${name}"`, 'bad_frame');
      const v = s[name];
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`sample ${i}: field "${name}" is ${String(v)}, not a finite number`, 'bad_frame');
    }
  }
}

function pickScale(samples: readonly Sample[], name: string, given: number | undefined): number {
  if (given !== undefined) {
    if (!Number.isInteger(given) || given < MIN_SCALE_EXP || given > MAX_SCALE_EXP) {
      fail(`scale for "${name}" is ${given}, must be an integer in ${MIN_SCALE_EXP}..${MAX_SCALE_EXP}`, 'bad_frame');
    }
    return given;
  }
  let decimals = 0;
  for (const s of samples) {
    decimals = Math.max(decimals, decimalsOf(s[name]!));
    if (decimals === MAX_AUTO_DECIMALS) break;
  }
  return decimals === 0 ? 0 : -decimals;
}

/** Builds frame bytes from samples. Throws PackedDataError('bad_frame' | 'too_large') on bad input. */
export function encodeFrame(samples: readonly Sample[], options: EncodeFrameOptions = {}): Uint8Array {
  if (!Array.isArray(samples) || samples.length === 0) fail('a frame needs at least one sample', 'bad_frame');
  if (samples.length > MAX_SAMPLES) fail(`${samples.length} samples, max ${MAX_SAMPLES} per frame`, 'too_large');
  const first = samples[0]!;
  const names = options.fields ? [...options.fields] : Object.keys(first).filter((k) => k !== 'timestamp');
  if (names.length > MAX_FIELDS) fail(`${names.length} fields, max ${MAX_FIELDS}`, 'bad_frame');
  for (const name of names) checkFieldName(name);
  if (new Set(names).size !== names.length) fail('duplicate field names', 'bad_frame');
  for (const key of Object.keys(options.scales ?? {})) {
    if (!names.includes(key)) fail(`scale given for unknown field "${key}"`, 'bad_frame');
  }
  checkSamples(samples, names);

  const fields = names.map((name) => ({ name, scaleExp: pickScale(samples, name, options.scales?.[name]) }));
  const n = samples.length;
  const headerSize = headerSizeFor(fields);
  const frameSize = headerSize + 4 * n * (fields.length + 1);
  if (frameSize > MAX_FRAME_BYTES) fail(`frame would be ${frameSize} bytes, max ${MAX_FRAME_BYTES}`, 'too_large');

  const w = new ByteWriter(frameSize);
  writeFrameHeader(w, fields, n);
  for (const s of samples) w.u32(s.timestamp);
  for (const { name, scaleExp } of fields) {
    for (let i = 0; i < n; i++) {
      const v = samples[i]![name]!;
      const raw = toRaw(v, scaleExp);
      if (raw < INT32_MIN || raw > INT32_MAX) {
        fail(`sample ${i}: field "${name}" = ${v} does not fit int32 at scale 10^${scaleExp}; pass a coarser scale`, 'bad_frame');
      }
      w.u32(raw);
    }
  }
  return w.finish();
}

/** Validates `bytes` as one complete frame and returns its header. */
function checkFrame(bytes: Uint8Array): FrameHeader {
  const header = parseFrameHeader(bytes);
  if (bytes.length !== header.frameSize) {
    fail(`frame is ${bytes.length} bytes but its header describes ${header.frameSize}`, 'bad_frame');
  }
  return header;
}

/** Raw columns of a frame: timestamps as u32 numbers, fields as int32 arrays (header order). */
export function frameColumns(bytes: Uint8Array): { header: FrameHeader; timestamps: number[]; columns: Int32Array[] } {
  const header = checkFrame(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = header.sampleCount;
  const timestamps = Array.from({ length: n }, (_, i) => view.getUint32(header.headerSize + 4 * i, true));
  const columns = header.fields.map((_, f) => {
    const base = header.headerSize + 4 * n * (f + 1);
    return Int32Array.from({ length: n }, (_, i) => view.getInt32(base + 4 * i, true));
  });
  return { header, timestamps, columns };
}

/** Parses frame bytes back into samples `{timestamp, ...fields}` (values scaled to numbers). */
export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  const { header, timestamps, columns } = frameColumns(bytes);
  const samples: Sample[] = timestamps.map((timestamp, i) => {
    const s: Sample = { timestamp };
    header.fields.forEach((f, c) => (s[f.name] = fromRaw(columns[c]![i]!, f.scaleExp)));
    return s;
  });
  return { fields: header.fields, samples };
}
