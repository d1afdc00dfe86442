/**
 * Hostile input: every truncation of valid packed buffers, seeded random byte flips, random
 * garbage behind a valid header and wrong expected sizes. Every failure must be a PackedDataError
 * (never a RangeError, TypeError or hang), and success must mean exactly `expectedSize` bytes.
 * Bounded: a few thousand decodes over small frames, well under a second per method.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METHODS, encodeFrame, packFrame, parseFrameHeader, unpackFrame } from '../../server/codec/index.ts';
import type { MethodName } from '../../server/codec/index.ts';
import { PackedDataError } from '../../server/errors.ts';
import { householdDatasetAvailable, loadHouseholdSamples, seededRandom, syntheticMeter } from './fixtures.ts';

const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

// Small but varied: real readings if available, else a synthetic meter; 300 rows → two adaptive blocks.
const frame = encodeFrame(householdDatasetAvailable() ? loadHouseholdSamples(300) : syntheticMeter(300));
const tiny = encodeFrame(syntheticMeter(3));

/** Decodes and checks the outcome; returns 'ok' or the error code. */
function attempt(packed: Uint8Array, method: MethodName, expectedSize: number, label: string): string {
  const started = performance.now();
  try {
    const out = unpackFrame(packed, method, expectedSize);
    assert.is(out.length, expectedSize, `${label}: wrong output size`);
    return 'ok';
  } catch (e) {
    if (!(e instanceof PackedDataError)) throw new Error(`${label}: ${String(e)}`, { cause: e });
    return e.code;
  } finally {
    assert.ok(performance.now() - started < 500, `${label}: decode took too long`);
  }
}

for (const method of METHOD_NAMES) {
  test(`${method}: every truncation is rejected`, () => {
    for (const source of [frame, tiny]) {
      const packed = packFrame(source, method);
      for (let len = 0; len < packed.length; len++) {
        const code = attempt(packed.subarray(0, len), method, source.length, `${method} len ${len}`);
        assert.is.not(code, 'ok', `${method}: truncation to ${len} bytes decoded`);
      }
    }
  });

  test(`${method}: random byte flips decode or fail cleanly`, () => {
    const packed = packFrame(frame, method);
    const rnd = seededRandom(METHODS[method]);
    for (let i = 0; i < 400; i++) {
      const copy = packed.slice();
      const flips = 1 + Math.floor(rnd() * 3);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rnd() * copy.length);
        copy[at] = copy[at]! ^ (1 + Math.floor(rnd() * 255));
      }
      attempt(copy, method, frame.length, `${method} flip #${i}`);
    }
  });

  test(`${method}: garbage after a valid header, wrong sizes, appended bytes`, () => {
    const packed = packFrame(frame, method);
    const { headerSize } = parseFrameHeader(frame);
    const rnd = seededRandom(METHODS[method] + 1);
    for (let i = 0; i < 100; i++) {
      const copy = packed.slice();
      for (let p = headerSize; p < copy.length; p++) copy[p] = Math.floor(rnd() * 256);
      attempt(copy, method, frame.length, `${method} garbage #${i}`);
    }
    for (const size of [0, 1, frame.length - 4, frame.length + 4, 1 << 20, (1 << 20) + 1, -1, 1.5, NaN]) {
      assert.is.not(attempt(packed, method, size, `${method} size ${size}`), 'ok');
    }
    const longer = new Uint8Array(packed.length + 1);
    longer.set(packed);
    assert.is(attempt(longer, method, frame.length, `${method} appended`), 'bad_packed_data');
  });
}

test('a packed stream is only accepted by the method that produced it, or fails cleanly', () => {
  for (const a of METHOD_NAMES) {
    const packed = packFrame(frame, a);
    for (const b of METHOD_NAMES) {
      const outcome = attempt(packed, b, frame.length, `${a} as ${b}`);
      // smart accepts every coder, adaptive's block grid differs; only a decode that succeeds is suspect.
      if (outcome === 'ok' && a !== b) {
        assert.ok(Buffer.compare(unpackFrame(packed, b, frame.length), frame) === 0, `${a} stream decoded by ${b} to different bytes`);
      }
    }
  }
});

test.run();
