/**
 * The three byte-aligned coders: RAW (int32 little-endian, the fallback that never expands data),
 * VARINT (one zigzag LEB128 per word — small deltas take one byte) and RLE ((value, run) pairs —
 * for repeated readings and for the zeros that delta leaves on steady signals). Grammar: SPEC.md §6.
 */
import type { ByteReader, ByteWriter } from './bytes.ts';
import { varintSize, zigzag } from './bytes.ts';
import { CODER } from './coder-ids.ts';
import type { Coder } from './coder-ids.ts';
import { fail } from './fail.ts';

export const rawCoder: Coder = {
  id: CODER.raw,
  name: 'raw',
  size: (values) => 4 * values.length,
  encode(values, w) {
    for (let i = 0; i < values.length; i++) w.u32(values[i]!);
  },
  decode(r, out) {
    r.need(4 * out.length, 'raw block');
    const b = r.bytes;
    let p = r.pos;
    for (let i = 0; i < out.length; i++, p += 4) out[i] = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
    r.pos = p;
  },
};

export const varintCoder: Coder = {
  id: CODER.varint,
  name: 'varint',
  size(values) {
    let n = 0;
    for (let i = 0; i < values.length; i++) n += varintSize(zigzag(values[i]!));
    return n;
  },
  encode(values, w) {
    for (let i = 0; i < values.length; i++) w.svarint(values[i]!);
  },
  decode(r, out) {
    for (let i = 0; i < out.length; i++) out[i] = r.svarint('varint block');
  },
};

/** Calls `each(value, run)` for every maximal run of equal values. */
function forEachRun(values: Int32Array, each: (value: number, run: number) => void): void {
  let i = 0;
  while (i < values.length) {
    const v = values[i]!;
    let j = i + 1;
    while (j < values.length && values[j] === v) j++;
    each(v, j - i);
    i = j;
  }
}

export const rleCoder: Coder = {
  id: CODER.rle,
  name: 'rle',
  size(values) {
    let n = 0;
    let i = 0;
    while (i < values.length) {
      const v = values[i]!;
      let j = i + 1;
      while (j < values.length && values[j] === v) j++;
      n += varintSize(zigzag(v)) + varintSize(j - i);
      i = j;
    }
    return n;
  },
  encode(values, w) {
    forEachRun(values, (v, run) => {
      w.svarint(v);
      w.varint(run);
    });
  },
  decode(r, out) {
    let i = 0;
    // Each pair consumes ≥ 2 input bytes and ≥ 1 output word, so this loop is bounded both ways.
    while (i < out.length) {
      const v = r.svarint('rle value');
      const run = r.varint('rle run');
      if (run === 0) fail('bad rle block: zero-length run');
      if (run > out.length - i) fail(`bad rle block: run of ${run} overflows the ${out.length - i} words left`);
      // fill() has a per-call cost that dominates for the short runs of noisy columns.
      if (run < 16) for (const stop = i + run; i < stop; i++) out[i] = v;
      else {
        out.fill(v, i, i + run);
        i += run;
      }
    }
  },
};
