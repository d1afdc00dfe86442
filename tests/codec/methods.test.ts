/**
 * Round trips: every method on the dataset, the synthetic vector cases and a long synthetic
 * series; every (transform, coder) pair on assorted sequences, including the exactness of the
 * coders' size model that smart and adaptive rely on.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METHODS, packFrame, unpackFrame } from '../../server/codec/index.ts';
import type { MethodName } from '../../server/codec/index.ts';
import { ByteReader, ByteWriter } from '../../server/codec/bytes.ts';
import { readBlock, writeBlock } from '../../server/codec/block.ts';
import { CODER, coderFor } from '../../server/codec/coder.ts';
import type { CoderId } from '../../server/codec/coder.ts';
import { ALL_TRANSFORMS, forwardTransform } from '../../server/codec/transform.ts';
import { PackedDataError } from '../../server/errors.ts';
import { namedFrames, seededRandom } from './fixtures.ts';

const METHOD_NAMES = Object.keys(METHODS) as MethodName[];
const ALL_CODERS = Object.values(CODER) as CoderId[];

test('every method round-trips every named frame byte for byte', () => {
  for (const { name, frame } of namedFrames()) {
    for (const method of METHOD_NAMES) {
      const packed = packFrame(frame, method);
      const back = unpackFrame(packed, method, frame.length);
      assert.ok(Buffer.compare(back, frame) === 0, `${name} / ${method}`);
    }
  }
});

test('smart is never larger than any single-coder method; adaptive never expands beyond raw + tags', () => {
  for (const { name, frame } of namedFrames()) {
    const size = (m: MethodName) => packFrame(frame, m).length;
    const smart = size('smart');
    for (const m of ['dictionary', 'delta', 'rle'] as const) assert.ok(smart <= size(m), `${name}: smart ${smart} > ${m} ${size(m)}`);
    const rows = (frame[6]! | (frame[7]! << 8)) >>> 0;
    const blocksPerColumn = Math.ceil(rows / 256);
    const columns = frame[5]! + 1;
    assert.ok(size('adaptive') <= frame.length + 2 * blocksPerColumn * columns, `${name}: adaptive expands`);
  }
});

function sequences(): Array<[string, Int32Array]> {
  const rnd = seededRandom(11);
  const walk = new Int32Array(700);
  for (let i = 1; i < walk.length; i++) walk[i] = walk[i - 1]! + Math.round((rnd() - 0.5) * 50);
  return [
    ['empty', new Int32Array(0)],
    ['one', Int32Array.of(-7)],
    ['zeros', new Int32Array(300)],
    ['extremes', Int32Array.of(-2147483648, 2147483647, -2147483648, 0, 2147483647, -1)],
    ['ramp', Int32Array.from({ length: 257 }, (_, i) => 1_700_000_000 + 60 * i)],
    ['walk', walk],
    ['random32', Int32Array.from({ length: 300 }, () => (rnd() * 2 ** 32) | 0)],
    ['few values', Int32Array.from({ length: 400 }, () => [0, 1, 2, 17, 18][Math.floor(rnd() * 5)]!)],
    ['spiky', Int32Array.from({ length: 400 }, () => (rnd() < 0.05 ? Math.round((rnd() - 0.5) * 4e9) | 0 : Math.round(rnd() * 8)))],
  ];
}

test('every (transform, coder) pair round-trips, and size() equals the bytes encode() writes', () => {
  for (const [name, values] of sequences()) {
    for (const t of ALL_TRANSFORMS) {
      for (const c of ALL_CODERS) {
        const w = new ByteWriter();
        writeBlock(w, values, t, c);
        const bytes = w.finish();
        assert.is(bytes.length, 2 + coderFor(c)!.size(forwardTransform(t, values)), `${name} t${t} c${c} size`);
        const r = new ByteReader(bytes);
        const out = new Int32Array(values.length);
        readBlock(r, out, new Set(ALL_CODERS));
        assert.is(r.remaining, 0, `${name} t${t} c${c} consumed`);
        assert.equal(Array.from(out), Array.from(values), `${name} t${t} c${c}`);
      }
    }
  }
});

test('packing something that is not a frame fails with bad_frame', () => {
  for (const method of METHOD_NAMES) {
    assert.throws(() => packFrame(Uint8Array.of(1, 2, 3), method), (e: unknown) => e instanceof PackedDataError && e.code === 'bad_frame');
  }
});

test.run();
