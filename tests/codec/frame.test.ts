/** The sample frame: layout, automatic and explicit scaling, input validation, hostile frames. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAX_FIELDS,
  MAX_FRAME_BYTES,
  MAX_SAMPLES,
  decodeFrame,
  encodeFrame,
  parseFrameHeader,
} from '../../server/codec/index.ts';
import type { Sample } from '../../server/codec/index.ts';
import { PackedDataError } from '../../server/errors.ts';
import { householdDatasetAvailable, loadHouseholdSamples, seededRandom, syntheticMeter } from './fixtures.ts';

const isCode = (code: string) => (e: unknown) => e instanceof PackedDataError && e.code === code;

test('layout: magic, version, counts, descriptors, padding, column-major LE words', () => {
  const frame = encodeFrame([
    { timestamp: 1, power: 1.5, v: -2 },
    { timestamp: 2, power: 2.25, v: 3 },
  ]);
  const hex = Buffer.from(frame).toString('hex');
  // FGSF v1, 2 fields, 2 samples; "power" at 10^-2, "v" at 10^0; 18 bytes → padded to 20.
  assert.is(hex.slice(0, 40), '46475346' + '01' + '02' + '0200' + '05706f776572fe' + '017600' + '0000');
  const cols = hex.slice(40);
  assert.is(cols, '01000000' + '02000000' + '96000000' + 'e1000000' + 'feffffff' + '03000000');
  assert.is(frame.length, 20 + 4 * 2 * 3);
  assert.equal(parseFrameHeader(frame).fields, [{ name: 'power', scaleExp: -2 }, { name: 'v', scaleExp: 0 }]);
});

test('round trip restores the exact doubles for decimal inputs', () => {
  const samples = syntheticMeter(500);
  assert.equal(decodeFrame(encodeFrame(samples)).samples, samples);
  if (householdDatasetAvailable()) {
    const household = loadHouseholdSamples();
    const decoded = decodeFrame(encodeFrame(household));
    assert.equal(decoded.samples, household);
    assert.equal(decoded.fields.map((f) => f.scaleExp), [-3, -3, -2, -1, 0, 0, 0]);
  }
});

test('auto scale uses the most decimals present, capped at 6 (finer digits rounded)', () => {
  const { fields, samples } = decodeFrame(encodeFrame([{ timestamp: 0, a: 1, b: 0.5, c: 0.1234567, d: 100 }]));
  assert.equal(fields.map((f) => f.scaleExp), [0, -1, -6, 0]);
  assert.is(samples[0]!.c, 0.123457);
});

test('auto scale ignores binary float noise', () => {
  const { fields, samples } = decodeFrame(encodeFrame([{ timestamp: 0, a: 0.1 + 0.2, b: 92 * 0.1, c: 1.1 * 3 }]));
  assert.equal(fields.map((f) => f.scaleExp), [-1, -1, -1]);
  assert.equal(samples[0], { timestamp: 0, a: 0.3, b: 9.2, c: 3.3 });
});

test('explicit scales and field order are honoured; values round half away from zero', () => {
  const frame = encodeFrame([{ timestamp: 5, a: 1234, b: -0.25 }], { fields: ['b', 'a'], scales: { a: 2, b: -1 } });
  const { fields, samples } = decodeFrame(frame);
  assert.equal(fields, [{ name: 'b', scaleExp: -1 }, { name: 'a', scaleExp: 2 }]);
  assert.equal(samples, [{ timestamp: 5, b: -0.3, a: 1200 }]);
});

test('encodeFrame rejects bad input with bad_frame / too_large', () => {
  const ok = { timestamp: 1, a: 1 };
  const bad: Array<[string, () => unknown, string]> = [
    ['empty', () => encodeFrame([]), 'bad_frame'],
    ['NaN', () => encodeFrame([{ timestamp: 1, a: NaN }]), 'bad_frame'],
    ['Infinity', () => encodeFrame([{ timestamp: 1, a: Infinity }]), 'bad_frame'],
    ['string value', () => encodeFrame([{ timestamp: 1, a: '1' as unknown as number }]), 'bad_frame'],
    ['int32 overflow', () => encodeFrame([{ timestamp: 1, a: 2147483648 }]), 'bad_frame'],
    ['overflow at auto scale', () => encodeFrame([{ timestamp: 1, a: 3000.5, b: 0 }, { timestamp: 2, a: 0.000001, b: 0 }]), 'bad_frame'],
    ['negative timestamp', () => encodeFrame([{ timestamp: -1, a: 1 }]), 'bad_frame'],
    ['fractional timestamp', () => encodeFrame([{ timestamp: 1.5, a: 1 }]), 'bad_frame'],
    ['timestamp > u32', () => encodeFrame([{ timestamp: 2 ** 32, a: 1 }]), 'bad_frame'],
    ['uppercase name', () => encodeFrame([{ timestamp: 1, Power: 1 }]), 'bad_frame'],
    ['long name', () => encodeFrame([{ timestamp: 1, ['x'.repeat(32)]: 1 }]), 'bad_frame'],
    ['reserved name', () => encodeFrame([ok], { fields: ['timestamp'] }), 'bad_frame'],
    ['__proto__', () => encodeFrame([ok], { fields: ['__proto__'] }), 'bad_frame'],
    ['missing field', () => encodeFrame([ok, { timestamp: 2 } as Sample]), 'bad_frame'],
    ['extra field', () => encodeFrame([ok, { timestamp: 2, a: 1, b: 2 }]), 'bad_frame'],
    ['duplicate fields', () => encodeFrame([ok], { fields: ['a', 'a'] }), 'bad_frame'],
    ['scale out of range', () => encodeFrame([ok], { scales: { a: 10 } }), 'bad_frame'],
    ['scale for unknown field', () => encodeFrame([ok], { scales: { z: 0 } }), 'bad_frame'],
    ['too many fields', () => encodeFrame([Object.fromEntries([['timestamp', 1], ...Array.from({ length: MAX_FIELDS + 1 }, (_, i) => [`f${i}`, 0])]) as Sample]), 'bad_frame'],
    ['too many samples', () => encodeFrame(Array.from({ length: MAX_SAMPLES + 1 }, (_, i) => ({ timestamp: i }))), 'too_large'],
    ['frame over 1 MiB', () => encodeFrame(Array.from({ length: 40000 }, (_, i) => ({ timestamp: i, a: 0, b: 0, c: 0, d: 0, e: 0, f: 0 }))), 'too_large'],
  ];
  for (const [name, fn, code] of bad) assert.throws(fn, isCode(code), name);
});

test('the largest legal frame sizes encode (65535 samples, 32 fields within 1 MiB)', () => {
  const many = encodeFrame(Array.from({ length: MAX_SAMPLES }, (_, i) => ({ timestamp: i, a: i % 7 })));
  assert.ok(many.length <= MAX_FRAME_BYTES);
  const wide = Object.fromEntries([['timestamp', 0], ...Array.from({ length: MAX_FIELDS }, (_, i) => [`f${i}`, i])]) as Sample;
  assert.is(decodeFrame(encodeFrame([wide])).fields.length, MAX_FIELDS);
});

test('decodeFrame rejects every truncation and extension of a frame', () => {
  const frame = encodeFrame(syntheticMeter(5));
  for (let len = 0; len < frame.length; len++) {
    assert.throws(() => decodeFrame(frame.subarray(0, len)), (e: unknown) => e instanceof PackedDataError, `length ${len}`);
  }
  const longer = new Uint8Array(frame.length + 4);
  longer.set(frame);
  assert.throws(() => decodeFrame(longer), isCode('bad_frame'));
});

test('decodeFrame never throws anything but PackedDataError on random header damage', () => {
  const frame = encodeFrame(syntheticMeter(3));
  const rnd = seededRandom(3);
  for (let i = 0; i < 500; i++) {
    const copy = frame.slice();
    copy[Math.floor(rnd() * 40)] = Math.floor(rnd() * 256);
    try {
      decodeFrame(copy);
    } catch (e) {
      assert.ok(e instanceof PackedDataError, String(e));
    }
  }
});

test.run();
