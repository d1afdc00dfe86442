/**
 * The packed-batch object: packSamples → unpackBatch round trips, and unpackBatch's guards —
 * method, declared sizes, ratio, base64 length, CRC — each firing with its own error code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAX_FRAME_BYTES,
  MAX_RATIO,
  METHODS,
  crc32Hex,
  encodeFrame,
  methodId,
  methodName,
  packFrame,
  packSamples,
  parseMethod,
  unpackBatch,
} from '../../server/codec/index.ts';
import type { MethodName, PackedBatch } from '../../server/codec/index.ts';
import { PackedDataError } from '../../server/errors.ts';
import { syntheticMeter } from './fixtures.ts';

const isCode = (code: string) => (e: unknown) => e instanceof PackedDataError && e.code === code;
const samples = syntheticMeter(200);

test('METHODS has the assigned IDs, names map both ways, parseMethod reads CLI spellings', () => {
  assert.equal(METHODS, { dictionary: 0xd0, delta: 0xde, rle: 0xad, adaptive: 0xbf, smart: 0xff });
  for (const [name, id] of Object.entries(METHODS)) {
    assert.is(methodName(id), name);
    assert.is(methodId(name as MethodName), id);
    assert.is(parseMethod(name.toUpperCase()), id);
    assert.is(parseMethod(String(id)), id);
    assert.is(parseMethod('0x' + id.toString(16).toUpperCase()), id);
  }
  for (const bad of ['zip', '0', '0x42', '', '256', 'constructor', '__proto__']) assert.throws(() => parseMethod(bad), isCode('unknown_method'), bad);
});

test('packSamples → unpackBatch round-trips with every method (base64 text and bytes)', () => {
  for (const name of Object.keys(METHODS) as MethodName[]) {
    const batch = packSamples(samples, name);
    assert.is(batch.method, METHODS[name]);
    assert.is(batch.timestamp, samples[samples.length - 1]!.timestamp);
    assert.is(batch.crc32, crc32Hex(encodeFrame(samples)));
    assert.is(Buffer.from(batch.compressed_data, 'base64').length, batch.compressed_size);
    const out = unpackBatch(batch);
    assert.equal(out.samples, samples);
    assert.is(out.methodName, name);
    assert.is(out.frameBytes, batch.original_size);
    const bytes = Buffer.from(batch.compressed_data, 'base64');
    assert.equal(unpackBatch({ ...batch, compressed_data: new Uint8Array(bytes) }).samples, samples);
  }
});

test('packSamples takes a timestamp and frame options; it refuses ratios the gateway would reject', () => {
  const batch = packSamples(samples, 'delta', { timestamp: 42, scales: { voltage: -2 } });
  assert.is(batch.timestamp, 42);
  assert.is(unpackBatch(batch).fields.find((f) => f.name === 'voltage')!.scaleExp, -2);
  const flat = Array.from({ length: 60000 }, (_, i) => ({ timestamp: 1_700_000_000 + i, a: 0, b: 0, c: 0 }));
  assert.throws(() => packSamples(flat, 'smart'), isCode('too_large'));
});

function good(): PackedBatch {
  return packSamples(samples, 'smart');
}

test('unpackBatch: unknown method', () => {
  for (const method of [0, 0x42, 0xfe, -1, 1.5, NaN]) assert.throws(() => unpackBatch({ ...good(), method }), isCode('unknown_method'), String(method));
  assert.throws(() => unpackBatch({ ...good(), method: '255' as unknown as number }), isCode('unknown_method'));
});

test('unpackBatch: size and ratio limits fire before any decoding', () => {
  // compressed_data is junk: if the limits did not fire first, these would fail differently.
  const junk = { ...good(), compressed_data: '!!!!' };
  assert.throws(() => unpackBatch({ ...junk, original_size: MAX_FRAME_BYTES + 1, compressed_size: 4096 }), isCode('too_large'));
  assert.throws(() => unpackBatch({ ...junk, original_size: 100 * MAX_RATIO + 1, compressed_size: 100 }), isCode('too_large'));
  assert.throws(() => unpackBatch({ ...junk, original_size: 1, compressed_size: 0 }), isCode('too_large'));
  assert.throws(() => unpackBatch({ ...junk, compressed_size: 4 * MAX_FRAME_BYTES }), isCode('too_large'));
  assert.throws(() => unpackBatch({ ...good(), original_size: 2000 }, { maxUnpackedBytes: 1000 }), isCode('too_large'));
  const b = good();
  assert.throws(() => unpackBatch(b, { maxRatio: Math.floor(b.original_size / b.compressed_size) - 1 }), isCode('too_large'));
  for (const v of [-1, 1.5, NaN, '10' as unknown as number]) {
    assert.throws(() => unpackBatch({ ...good(), original_size: v }), isCode('bad_packed_data'), String(v));
  }
});

test('unpackBatch: compressed_size must match the data', () => {
  const b = good();
  assert.throws(() => unpackBatch({ ...b, compressed_size: b.compressed_size + 1 }), isCode('size_mismatch'));
  assert.throws(() => unpackBatch({ ...b, compressed_size: b.compressed_size - 3 }), isCode('size_mismatch'));
  assert.throws(() => unpackBatch({ ...b, compressed_data: b.compressed_data.slice(0, -4) }), isCode('size_mismatch'));
  const bytes = Buffer.from(b.compressed_data, 'base64');
  assert.throws(() => unpackBatch({ ...b, compressed_data: bytes.subarray(1) }), isCode('size_mismatch'));
});

test('unpackBatch: base64 must be canonical', () => {
  const b = good();
  const spaced = ' ' + b.compressed_data.slice(1);
  assert.throws(() => unpackBatch({ ...b, compressed_data: spaced }), isCode('bad_packed_data'));
  const urlSafe = b.compressed_data.replace(/\+/g, '-').replace(/\//g, '_');
  if (urlSafe !== b.compressed_data) assert.throws(() => unpackBatch({ ...b, compressed_data: urlSafe }), isCode('bad_packed_data'));
});

test('unpackBatch: original_size must match the frame', () => {
  const b = good();
  assert.throws(() => unpackBatch({ ...b, original_size: b.original_size + 4 }), isCode('size_mismatch'));
  assert.throws(() => unpackBatch({ ...b, original_size: b.original_size - 1 }), isCode('size_mismatch'));
});

test('unpackBatch: crc32 must match and be 8 lowercase hex digits', () => {
  const b = good();
  const wrong = ((parseInt(b.crc32, 16) + 1) >>> 0).toString(16).padStart(8, '0');
  assert.throws(() => unpackBatch({ ...b, crc32: wrong }), isCode('crc_mismatch'));
  for (const crc of ['', '1234567', 'ABCDEF01', '0x123456', 12345 as unknown as string]) {
    assert.throws(() => unpackBatch({ ...b, crc32: crc }), isCode('bad_packed_data'), String(crc));
  }
});

test('unpackBatch: a well-formed stream of another frame is caught by the CRC', () => {
  const b = good();
  const other = packSamples(syntheticMeter(200, 99), 'smart');
  assert.is.not(other.crc32, b.crc32);
  assert.throws(() => unpackBatch({ ...other, crc32: b.crc32 }), isCode('crc_mismatch'));
});

test.run();
