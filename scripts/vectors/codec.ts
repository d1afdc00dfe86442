/**
 * Test vectors for the packed-telemetry codec (server/codec, SPEC.md), consumed by the C firmware
 * tests and checked by tests/codec/vectors.test.ts against the committed tests/vectors/codec.json.
 * `generateCodecVectors()` is deterministic: synthetic cases come from a seeded PRNG written here,
 * and the real-data case embeds 100 rows of the UCI household dataset literally, so consumers need
 * neither the dataset nor this code. Also exports the dataset loader the codec tests and the
 * benchmark share (the dataset itself is never copied into the repo).
 */
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import { ByteWriter } from '../../server/codec/bytes.ts';
import { writeBlock } from '../../server/codec/block.ts';
import { CODER } from '../../server/codec/coder.ts';
import type { CoderId } from '../../server/codec/coder.ts';
import { BITPACK_GROUP } from '../../server/codec/coder-bitpack.ts';
import { RICE_ESCAPE, RICE_GROUP } from '../../server/codec/coder-rice.ts';
import { ADAPTIVE_BLOCK_ROWS } from '../../server/codec/adaptive.ts';
import {
  FRAME_MAGIC,
  FRAME_VERSION,
  MAX_FIELDS,
  MAX_FRAME_BYTES,
  MAX_RATIO,
  MAX_PACKED_BYTES,
  MAX_SAMPLES,
  METHODS,
  crc32Hex,
  encodeFrame,
  frameColumns,
  packFrameBatch,
  packFrame,
  unpackBatch,
  unpackFrame,
} from '../../server/codec/index.ts';
import type { EncodeFrameOptions, MethodName, Sample } from '../../server/codec/index.ts';
import { TRANSFORM } from '../../server/codec/transform.ts';
import type { TransformId } from '../../server/codec/transform.ts';
import { PackedDataError } from '../../server/errors.ts';

/** The dataset lives beside the repository (`../shared/data/`), never inside it. */
export const HOUSEHOLD_DATASET_PATH =
  process.env.FLEETGATE_HOUSEHOLD_DATA ?? fileURLToPath(new URL('../../../shared/data/household_power_1min.txt', import.meta.url));

export function householdDatasetAvailable(): boolean {
  return existsSync(HOUSEHOLD_DATASET_PATH);
}

/**
 * Rows of the UCI household power dataset as samples: column names lower-cased, Date+Time read as
 * UTC Unix seconds, rows with a missing value ("?") skipped. Throws if the file is absent.
 */
export function loadHouseholdSamples(limit = Infinity): Sample[] {
  const lines = readFileSync(HOUSEHOLD_DATASET_PATH, 'utf8').split(/\r?\n/);
  const names = (lines[0] ?? '').split(';').slice(2).map((h) => h.trim().toLowerCase());
  const samples: Sample[] = [];
  for (const line of lines.slice(1)) {
    if (samples.length >= limit) break;
    if (line.trim() === '' || line.includes('?')) continue;
    const cells = line.split(';');
    const [d, mo, y] = (cells[0] ?? '').split('/').map(Number);
    const [h, mi, s] = (cells[1] ?? '').split(':').map(Number);
    const sample: Sample = { timestamp: Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) / 1000 };
    names.forEach((name, i) => (sample[name] = Number(cells[i + 2])));
    if (!Object.values(sample).every(Number.isFinite)) continue;
    samples.push(sample);
  }
  return samples;
}

/** mulberry32: a tiny seeded PRNG (uniform in [0, 1)), so vectors never change between runs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export interface CaseInput {
  name: string;
  description: string;
  samples: Sample[];
  options?: EncodeFrameOptions;
}

/** The 3-sample frame SPEC.md §10 walks through byte by byte. */
export const WORKED_EXAMPLE: CaseInput = {
  name: 'worked_example',
  description: 'SPEC.md §10: 3 samples, 2 fields, regular 60 s timestamps',
  samples: [
    { timestamp: 1700000000, power: 1234.5, volts: 230.1 },
    { timestamp: 1700000060, power: 1236.0, volts: 230.1 },
    { timestamp: 1700000120, power: 1230.2, volts: 229.9 },
  ],
};

/** The synthetic vector cases (no dataset needed); the tests round-trip these too. */
export function syntheticCases(): CaseInput[] {
  const rnd = seededRandom(0x5eed);
  const t0 = 1700000000;

  const constant = Array.from({ length: 64 }, (_, i) => ({ timestamp: t0 + 10 * i, power_w: 0, voltage_v: 230, frequency_hz: 50 }));

  // Load steps held for random stretches, with one gap in the timestamps; 300 rows spans 2 adaptive blocks.
  const steps: Sample[] = [];
  let level = 120.5;
  let hold = 0;
  for (let i = 0; i < 300; i++) {
    if (hold-- <= 0) {
      level = [120.5, 2050, 35.25, 3400.75, 0][Math.floor(rnd() * 5)]!;
      hold = 5 + Math.floor(rnd() * 40);
    }
    steps.push({ timestamp: t0 + 60 * i + (i >= 150 ? 3600 : 0), power_w: level, relay: level > 1000 ? 1 : 0 });
  }

  // Export to the grid (negative power), sub-zero temperatures, explicit scales.
  const negative = Array.from({ length: 40 }, (_, i) => ({
    timestamp: t0 + 15 * i,
    grid_kw: Math.round((-3.25 + 0.11 * i + (rnd() - 0.5) * 0.2) * 1000) / 1000,
    // A triangle wave, not Math.sin: transcendental results may differ in the last bit between engines.
    temp_c: (-125 + Math.abs((i % 8) - 4)) / 10,
    energy_wh: -1000000 + 250 * i,
  }));

  // int32 and u32 extremes: every difference wraps modulo 2^32.
  const ext = [-2147483648, 2147483647, 0, -1, 2147483647, -2147483648, 1, -2147483648];
  const stamps = [0, 4294967295, 1, 2147483648, 2147483647, 4294967294, 60, 0];
  // b = −a, except that −(−2^31) does not fit int32 and stays −2^31.
  const extremes = ext.map((v, i) => ({ timestamp: stamps[i]!, a: v, b: v === -2147483648 ? v : -v }));

  // The maximum field count: random walks at assorted scales, a few constant fields.
  const maxFields: Sample[] = [];
  const walk = Array.from({ length: MAX_FIELDS }, (_, f) => f * 100);
  for (let i = 0; i < 20; i++) {
    const s: Sample = { timestamp: t0 + 5 * i };
    for (let f = 0; f < MAX_FIELDS; f++) {
      const exp = -(f % 4);
      if (f % 7 !== 3) walk[f]! += Math.round((rnd() - 0.5) * 40);
      // Divide (not multiply by 10^exp) so the double is the exact decimal, e.g. 9.2 not 9.200000000000001.
      s[`ch${String(f).padStart(2, '0')}`] = walk[f]! / 10 ** -exp;
    }
    maxFields.push(s);
  }
  const maxFieldScales = Object.fromEntries(Array.from({ length: MAX_FIELDS }, (_, f) => [`ch${String(f).padStart(2, '0')}`, -(f % 4)]));

  // Noisy readings with jittered timestamps and rare large spikes.
  const noisy: Sample[] = [];
  let p = 1500;
  for (let i = 0; i < 200; i++) {
    p += Math.round((rnd() - 0.5) * 30);
    const spike = rnd() < 0.03 ? Math.round((rnd() - 0.5) * 2_000_000) : 0;
    noisy.push({ timestamp: t0 + 30 * i + Math.floor(rnd() * 3), power_w: p + spike, pf: Math.round(rnd() * 100) / 100 });
  }

  return [
    WORKED_EXAMPLE,
    { name: 'single_sample', description: 'one sample', samples: [{ timestamp: t0, power_w: 1234.5, voltage_v: 230.1 }] },
    { name: 'constant', description: '64 identical readings, 10 s interval', samples: constant },
    { name: 'steps', description: '300 rows of held load levels, one 1 h gap in timestamps', samples: steps },
    { name: 'negative', description: 'negative values with explicit scales', samples: negative, options: { scales: { grid_kw: -3, temp_c: -1, energy_wh: 0 } } },
    { name: 'extremes', description: 'int32/u32 extremes, non-monotonic timestamps (wrapping arithmetic)', samples: extremes },
    { name: 'max_fields', description: `${MAX_FIELDS} fields (the maximum), 20 samples`, samples: maxFields, options: { scales: maxFieldScales } },
    { name: 'timestamps_only', description: 'zero fields: only the timestamp column', samples: [0, 60, 120, 180, 240].map((d) => ({ timestamp: t0 + d })) },
    { name: 'noisy_spikes', description: 'random walk with rare ±1e6 spikes, jittered timestamps', samples: noisy },
  ];
}

function buildCase(input: CaseInput) {
  const frame = encodeFrame(input.samples, input.options);
  const { header, timestamps, columns } = frameColumns(frame);
  const crc = crc32Hex(frame);
  const packed: Record<string, unknown> = {};
  for (const name of METHOD_NAMES) {
    const bytes = packFrame(frame, name);
    // A vector is only worth committing if it round-trips here.
    if (Buffer.compare(unpackFrame(bytes, name, frame.length), frame) !== 0) throw new Error(`${input.name}/${name} does not round-trip`);
    const last = input.samples[input.samples.length - 1]!.timestamp;
    packed[name] = {
      method: METHODS[name],
      packed_hex: hex(bytes),
      original_size: frame.length,
      compressed_size: bytes.length,
      crc32: crc,
      batch: packFrameBatch(frame, name, last),
    };
  }
  return {
    name: input.name,
    description: input.description,
    samples: input.samples,
    ...(input.options?.scales ? { scales: input.options.scales } : {}),
    fields: header.fields.map((f) => ({ name: f.name, scale_exp: f.scaleExp })),
    columns: { timestamp: timestamps, ...Object.fromEntries(header.fields.map((f, i) => [f.name, Array.from(columns[i]!)])) },
    frame_hex: hex(frame),
    frame_size: frame.length,
    crc32: crc,
    packed,
  };
}

/** One block per interesting (transform, coder, words) combination, for testing coders alone. */
function blockVectors() {
  const ramp = Int32Array.from({ length: 40 }, (_, i) => 1000 + 7 * i);
  const small = Int32Array.from([5, 5, 5, -3, -3, 0, 0, 0, 0, 12, 5, 5]);
  const wide = Int32Array.from([-2147483648, 2147483647, 0, -1, 123456789]);
  const escapes = Int32Array.from([0, 1, 0, -1, 70000, 0, 2, -90000, 1, 0]);
  const groups = Int32Array.from({ length: 150 }, (_, i) => (i < 130 ? i % 3 : 100000 + i));
  const cases: Array<[string, TransformId, CoderId, Int32Array]> = [];
  const coders = Object.entries(CODER) as Array<[string, CoderId]>;
  for (const [cname, c] of coders) {
    cases.push([`${cname}_small`, TRANSFORM.none, c, small]);
    cases.push([`${cname}_wide`, TRANSFORM.none, c, wide]);
    cases.push([`${cname}_ramp_delta`, TRANSFORM.delta, c, ramp]);
    cases.push([`${cname}_ramp_delta2`, TRANSFORM.delta2, c, ramp]);
  }
  cases.push(['rice_escapes', TRANSFORM.none, CODER.rice, escapes]);
  cases.push(['bitpack_two_groups', TRANSFORM.none, CODER.bitpack, groups]);
  cases.push(['rice_five_groups', TRANSFORM.none, CODER.rice, groups]);
  cases.push(['dict_single_entry', TRANSFORM.none, CODER.dict, Int32Array.from([42, 42, 42])]);
  return cases.map(([name, transform, coder, words]) => {
    const w = new ByteWriter();
    writeBlock(w, words, transform, coder);
    return { name, transform, coder, count: words.length, words: Array.from(words), block_hex: hex(w.finish()) };
  });
}

/**
 * Packed bytes: the header of a frame with `fields` fields named "p", "q", ... (scale 0) and `n`
 * rows, then the given block bytes. Returns the hex and the frame size that header implies.
 */
function crafted(n: number, fields: number, ...blocks: string[]): { hex: string; size: number } {
  const w = new ByteWriter();
  for (const b of FRAME_MAGIC) w.u8(b);
  w.u8(FRAME_VERSION);
  w.u8(fields);
  w.u16(n);
  for (let f = 0; f < fields; f++) w.bytes(Uint8Array.of(1, 0x70 + f, 0)); // name length 1, name, scale 0
  while (w.length % 4 !== 0) w.u8(0);
  return { hex: hex(w.finish()) + blocks.join(''), size: w.length + 4 * n * (fields + 1) };
}

function expectError(method: number, packedHex: string, originalSize: number): string {
  try {
    unpackFrame(Buffer.from(packedHex, 'hex'), method, originalSize);
  } catch (err) {
    if (err instanceof PackedDataError) return err.code;
    throw err;
  }
  throw new Error(`invalid vector ${packedHex} decodes without error`);
}

function invalidPacked() {
  const { delta, rle, smart, adaptive, dictionary } = METHODS;
  const good = packFrame(encodeFrame(WORKED_EXAMPLE.samples), 'delta');
  const goodHex = hex(good);
  const size = 60;
  const flip = (offset: number, value: number) => goodHex.slice(0, 2 * offset) + value.toString(16).padStart(2, '0') + goodHex.slice(2 * offset + 2);
  // Valid timestamp blocks (all zeros): RLE (transform none, coder RLE, value 0, run n) for 1 and 2
  // rows, and for the dictionary method a one-entry DICT block (k 1, entry 0, no index bits).
  const ts1 = '0002' + '00' + '01';
  const ts2 = '0002' + '00' + '02';
  const tsDict = '0003' + '01' + '00';
  const one = (...blocks: string[]) => crafted(1, 1, ...blocks);
  const two = (...blocks: string[]) => crafted(2, 1, ...blocks);
  const big = crafted(65535, 3);
  const rows300 = crafted(300, 1, '0002' + '00' + '8002', '0002' + '00' + '2c', '0002' + '00' + '8002');
  const cases: Array<[string, string, number, { hex: string; size: number }]> = [
    ['empty', 'no bytes at all', delta, { hex: '', size }],
    ['truncated_header', 'stream ends inside the fixed header', delta, { hex: goodHex.slice(0, 10), size }],
    ['bad_magic', 'magic is not "FGSF"', delta, { hex: flip(0, 0x47), size }],
    ['bad_version', 'frame version 2', delta, { hex: flip(4, 2), size }],
    ['too_many_fields', 'field count 33', delta, { hex: flip(5, 33), size }],
    ['zero_samples', 'sample count 0', delta, { hex: goodHex.slice(0, 12) + '0000' + goodHex.slice(16), size }],
    ['bad_name_byte', 'uppercase letter in a field name', delta, { hex: flip(9, 0x50), size }],
    ['nonzero_header_padding', 'a header pad byte is not zero', delta, { hex: flip(23, 1), size }],
    ['size_mismatch', 'original_size is 4 more than the header implies', delta, { hex: goodHex, size: size + 4 }],
    ['truncated_body', 'last byte missing', delta, { hex: goodHex.slice(0, -2), size }],
    ['trailing_byte', 'one byte after the last column', delta, { hex: goodHex + '00', size }],
    ['too_large', 'header implies 65535 rows × 4 columns: more than 1 MiB', smart, { hex: big.hex, size: MAX_FRAME_BYTES }],
    ['unknown_transform', 'transform 0x03', smart, two(ts2, '0300' + '0000')],
    ['unknown_coder', 'coder 0x06', smart, two(ts2, '0006' + '00')],
    ['coder_not_allowed', 'an RLE block inside a delta-method stream', delta, two('0101' + '0000', '0002' + '0002')],
    ['varint_over_32_bits', 'fifth varint byte above 0x0f', smart, two(ts2, '0001' + 'ffffffff1f' + '00')],
    ['varint_non_canonical', '0x80 0x00 spelling of zero', smart, two(ts2, '0001' + '8000' + '00')],
    ['rle_zero_run', 'run length 0', rle, two(ts2, '0002' + '0000' + '0002')],
    ['rle_overrun', 'run of 3 in a 2-row column', rle, two(ts2, '0002' + '0003')],
    ['dict_too_many_entries', '3 entries for 2 rows', dictionary, two(tsDict, '0003' + '03' + '00' + '02' + '02' + '00')],
    ['dict_index_out_of_range', 'index 3 with a 3-entry table (2-bit indices)', dictionary, crafted(4, 1, tsDict, '0003' + '03' + '00' + '02' + '02' + 'c0')],
    ['nonzero_pad_bits', 'dict indices 0, 1 followed by a set pad bit', dictionary, two(tsDict, '0003' + '02' + '00' + '02' + '06')],
    ['bitpack_width_33', 'bit-pack group width 33', smart, two(ts2, '0004' + '00000000' + '21' + '000000000000000000')],
    ['rice_word_over_32_bits', 'quotient 31 with k = 31', smart, one(ts1, '0005' + 'ffffffff0f00000000')],
    ['rice_non_canonical_escape', 'escape carrying a value that fits the unary form', smart, one(ts1, '0005' + 'e0ffffff1f00000000')],
    ['rice_truncated_unary', 'unary run reaches the end of input', smart, one(ts1, '0005' + 'e0ff')],
    ['adaptive_missing_block', '300 rows need two 256-row blocks per column; the field column has one', adaptive, rows300],
  ];
  return cases.map(([name, description, method, { hex: packedHex, size: originalSize }]) => ({
    name,
    description,
    method,
    original_size: originalSize,
    packed_hex: packedHex,
    error: expectError(method, packedHex, originalSize),
  }));
}

function invalidBatches() {
  const frame = encodeFrame(WORKED_EXAMPLE.samples);
  const good = packFrameBatch(frame, 'delta', 1700000120);
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['unknown_method', 'method 0x42 is not assigned', { ...good, method: 0x42 }],
    ['retired_or_reserved_method', 'method 0x00 is not assigned', { ...good, method: 0 }],
    ['original_size_over_limit', 'original_size above 1 MiB', { ...good, original_size: MAX_FRAME_BYTES + 1 }],
    ['ratio_over_limit', `original_size above ${MAX_RATIO} × compressed_size`, { ...good, compressed_size: 2, compressed_data: 'AAA=', original_size: 2 * MAX_RATIO + 1 }],
    ['compressed_size_mismatch', 'compressed_size one more than the data', { ...good, compressed_size: good.compressed_size + 1 }],
    ['original_size_mismatch', 'original_size 4 more than the frame', { ...good, original_size: good.original_size + 4 }],
    ['crc_mismatch', 'crc32 of a different frame', { ...good, crc32: (parseInt(good.crc32, 16) ^ 1).toString(16).padStart(8, '0') }],
    ['crc_uppercase', 'crc32 must be lowercase hex', { ...good, crc32: good.crc32.toUpperCase() === good.crc32 ? 'ABCDEF01' : good.crc32.toUpperCase() }],
    ['non_canonical_base64', 'stray bits in the final base64 symbol', { ...good, compressed_data: nonCanonicalBase64(good.compressed_data) }],
  ];
  return cases.map(([name, description, batch]) => ({ name, description, batch, error: expectBatchError(batch) }));
}

/** Same bytes, but the unused low bits of the last symbol set: lenient decoders accept it, we must not. */
function nonCanonicalBase64(b64: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const pads = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  if (pads === 0) throw new Error('worked example base64 has no padding; pick another case');
  const i = b64.length - pads - 1;
  const sym = alphabet[alphabet.indexOf(b64[i]!) | 1]!;
  return b64.slice(0, i) + sym + b64.slice(i + 1);
}

function expectBatchError(batch: Record<string, unknown>): string {
  try {
    unpackBatch(batch as never);
  } catch (err) {
    if (err instanceof PackedDataError) return err.code;
    throw err;
  }
  throw new Error(`invalid batch ${JSON.stringify(batch)} unpacks without error`);
}

export function generateCodecVectors() {
  const cases: CaseInput[] = [...syntheticCases()];
  cases.splice(1, 0, {
    name: 'household_100',
    description: 'first 100 rows of the UCI household power dataset (1-minute readings), embedded literally',
    samples: loadHouseholdSamples(100),
  });
  const varintValues = [0, 1, 127, 128, 300, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 4294967295];
  const zigzagValues = [0, -1, 1, -2, 2, 2147483647, -2147483648];
  return {
    format: 'fleetgate-codec-vectors',
    version: 1,
    spec: 'server/codec/SPEC.md',
    constants: {
      frame_magic_hex: hex(Uint8Array.from(FRAME_MAGIC)),
      frame_version: FRAME_VERSION,
      max_fields: MAX_FIELDS,
      max_samples: MAX_SAMPLES,
      max_frame_bytes: MAX_FRAME_BYTES,
      max_packed_bytes: MAX_PACKED_BYTES,
      max_ratio: MAX_RATIO,
      methods: METHODS,
      transforms: TRANSFORM,
      coders: CODER,
      adaptive_block_rows: ADAPTIVE_BLOCK_ROWS,
      bitpack_group: BITPACK_GROUP,
      rice_group: RICE_GROUP,
      rice_escape: RICE_ESCAPE,
    },
    varints: varintValues.map((u) => {
      const w = new ByteWriter();
      w.varint(u);
      return { u32: u, hex: hex(w.finish()) };
    }),
    zigzag: zigzagValues.map((v) => ({ int32: v, u32: ((v << 1) ^ (v >> 31)) >>> 0 })),
    cases: cases.map(buildCase),
    blocks: blockVectors(),
    invalid_packed: invalidPacked(),
    invalid_batches: invalidBatches(),
  };
}

/**
 * JSON text for vectors: indented like JSON.stringify(v, null, 2), except arrays of primitives and
 * objects holding only primitives go on one line, so a 100-sample case stays readable in a diff.
 */
export function formatVectorJson(value: unknown, indent = ''): string {
  const isPrimitive = (v: unknown) => v === null || typeof v !== 'object';
  if (isPrimitive(value)) return JSON.stringify(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isPrimitive)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + formatVectorJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  if (entries.every(([, v]) => isPrimitive(v))) return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatVectorJson(v, inner)}`).join(',\n')}\n${indent}}`;
}
