/**
 * BITPACK coder (frame of reference): words in groups of 128, each group stored as a 32-bit base
 * and a 6-bit width followed by (word − base) mod 2^32 in `width` bits. Cheap to decode and good
 * for bounded noise, e.g. a voltage wandering within a few volts. Grammar: SPEC.md §6.5.
 */
import { BitReader, BitWriter, bitWidth } from './bits.ts';
import { CODER } from './coder-ids.ts';
import type { Coder } from './coder-ids.ts';
import { fail } from './fail.ts';

export const BITPACK_GROUP = 128;

/** Smallest word of the group as base, and the width its largest offset needs. */
function groupParams(values: Int32Array, start: number, end: number): { base: number; width: number } {
  let min = values[start]!;
  let max = min;
  for (let i = start + 1; i < end; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  // max − min ≤ 2^32 − 1, exact in doubles and a valid u32 for bitWidth.
  return { base: min, width: bitWidth(max - min) };
}

export const bitpackCoder: Coder = {
  id: CODER.bitpack,
  name: 'bitpack',
  size(values) {
    let bits = 0;
    for (let s = 0; s < values.length; s += BITPACK_GROUP) {
      const e = Math.min(s + BITPACK_GROUP, values.length);
      bits += 38 + (e - s) * groupParams(values, s, e).width;
    }
    return Math.ceil(bits / 8);
  },
  encode(values, w) {
    const bw = new BitWriter(w);
    for (let s = 0; s < values.length; s += BITPACK_GROUP) {
      const e = Math.min(s + BITPACK_GROUP, values.length);
      const { base, width } = groupParams(values, s, e);
      bw.write(base, 32);
      bw.write(width, 6);
      for (let i = s; i < e; i++) bw.write((values[i]! - base) >>> 0, width);
    }
    bw.flush();
  },
  decode(r, out) {
    const br = new BitReader(r);
    for (let s = 0; s < out.length; s += BITPACK_GROUP) {
      const e = Math.min(s + BITPACK_GROUP, out.length);
      const base = br.read(32, 'bitpack base');
      const width = br.read(6, 'bitpack width');
      if (width > 32) fail(`bad bitpack block: width ${width} > 32`);
      for (let i = s; i < e; i++) out[i] = base + br.read(width, 'bitpack value');
    }
    br.close('bitpack block');
  },
};
