/**
 * RICE coder: each word zigzagged to u, then Golomb–Rice coded with a parameter k chosen per group
 * of 32 words: q = u >> k in unary (q one-bits, then a zero) followed by the k low bits of u. A
 * quotient of 32 or more is an escape: 32 one-bits then u in 32 bits, which caps any one word at
 * 64 bits and keeps the decoder's unary loop bounded. On delta-coded meter readings (small,
 * roughly geometric residuals with rare steps) this gets close to the entropy — it is what lets
 * `smart` beat deflate. Grammar: SPEC.md §6.6.
 */
import { zigzag } from './bytes.ts';
import { BitReader, BitWriter, bitWidth } from './bits.ts';
import { CODER } from './coder-ids.ts';
import type { Coder } from './coder-ids.ts';
import { fail } from './fail.ts';

export const RICE_GROUP = 32;
export const RICE_ESCAPE = 32;
const K_BITS = 5;

/** Bits one word costs at parameter k. */
function wordBits(u: number, k: number): number {
  const q = u >>> k;
  return q < RICE_ESCAPE ? q + 1 + k : RICE_ESCAPE + 32;
}

/** Bits for u[start..end) at parameter k (with the 5-bit k field), or Infinity once above `limit`. */
function groupBits(u: Uint32Array, start: number, end: number, k: number, limit = Infinity): number {
  let bits = K_BITS;
  for (let i = start; i < end; i++) {
    bits += wordBits(u[i]!, k);
    if (bits > limit) return Infinity;
  }
  return bits;
}

/**
 * The k with the fewest bits for u[start..end) (ties: smallest k) and that cost. Exact: the
 * estimate log2(mean) is priced first as a bound, then every k up to the width of the largest
 * word is priced with early exit against the best so far (beyond that width every quotient is 0
 * and cost only grows with k). A local search is not enough: escapes make cost(k) bimodal on
 * spiky groups. Only `size` and `encode` call this; the decoder reads k from the stream.
 */
function bestK(u: Uint32Array, start: number, end: number): { k: number; bits: number } {
  let sum = 0;
  let max = 0;
  for (let i = start; i < end; i++) {
    sum += u[i]!;
    if (u[i]! > max) max = u[i]!;
  }
  const kMax = Math.min(31, bitWidth(max));
  let k = Math.min(kMax, Math.max(0, Math.floor(Math.log2(sum / (end - start) + 1)) - 1));
  let bits = groupBits(u, start, end, k);
  for (let c = 0; c <= kMax; c++) {
    if (c === k) continue;
    const b = groupBits(u, start, end, c, bits);
    if (b < bits || (b === bits && c < k)) {
      k = c;
      bits = b;
    }
  }
  return { k, bits };
}

function zigzagAll(values: Int32Array): Uint32Array {
  const u = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) u[i] = zigzag(values[i]!);
  return u;
}

export const riceCoder: Coder = {
  id: CODER.rice,
  name: 'rice',
  size(values, limit = Infinity) {
    const u = zigzagAll(values);
    let bits = 0;
    for (let s = 0; s < u.length; s += RICE_GROUP) {
      bits += bestK(u, s, Math.min(s + RICE_GROUP, u.length)).bits;
      if (bits > 8 * limit) return limit + 1;
    }
    return Math.ceil(bits / 8);
  },
  encode(values, w) {
    const u = zigzagAll(values);
    const bw = new BitWriter(w);
    for (let s = 0; s < u.length; s += RICE_GROUP) {
      const e = Math.min(s + RICE_GROUP, u.length);
      const { k } = bestK(u, s, e);
      bw.write(k, K_BITS);
      for (let i = s; i < e; i++) {
        const x = u[i]!;
        const q = x >>> k;
        if (q < RICE_ESCAPE) {
          bw.ones(q);
          bw.write(0, 1);
          bw.write(x, k);
        } else {
          bw.ones(RICE_ESCAPE);
          bw.write(x, 32);
        }
      }
    }
    bw.flush();
  },
  decode(r, out) {
    const br = new BitReader(r);
    for (let s = 0; s < out.length; s += RICE_GROUP) {
      const e = Math.min(s + RICE_GROUP, out.length);
      const k = br.read(K_BITS, 'rice parameter');
      for (let i = s; i < e; i++) {
        const q = br.unary(RICE_ESCAPE, 'rice quotient');
        let u: number;
        if (q === RICE_ESCAPE) {
          u = br.read(32, 'rice escape');
          if (u >>> k < RICE_ESCAPE) fail('non-canonical rice escape: value fits the unary form');
        } else {
          // q << k must fit 32 bits: an encoder never produces more, so anything wider is hostile.
          if (k > 0 && q >>> (32 - k) !== 0) fail('bad rice block: word exceeds 32 bits');
          u = ((q << k) | br.read(k, 'rice remainder')) >>> 0;
        }
        out[i] = (u >>> 1) ^ -(u & 1);
      }
    }
    br.close('rice block');
  },
};
