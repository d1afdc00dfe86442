/**
 * LSB-first bit streams for the coders that work below byte granularity (dictionary indices,
 * bit-packing, Rice). Bit i of a stream is bit (i mod 8) of byte (i div 8), and a multi-bit field
 * is written least-significant bit first — the natural order for a little-endian MCU shifting a
 * 32-bit accumulator. A stream always ends on a byte boundary; the pad bits must be zero, so one
 * sequence of values has exactly one encoding.
 */
import type { ByteReader, ByteWriter } from './bytes.ts';
import { fail } from './fail.ts';

/** Bits needed to store any value in 0..maxValue (0 for maxValue 0). */
export function bitWidth(maxValue: number): number {
  return maxValue === 0 ? 0 : 32 - Math.clz32(maxValue);
}

export class BitWriter {
  private acc = 0;
  private n = 0;

  constructor(private readonly out: ByteWriter) {}

  /** Appends the low `w` bits of `v` (0 ≤ w ≤ 32). */
  write(v: number, w: number): void {
    if (w > 24) {
      // Keep the accumulator within 31 bits: split wide fields into two writes.
      this.write(v & 0xffff, 16);
      this.write(v >>> 16, w - 16);
      return;
    }
    this.acc |= (v & ((1 << w) - 1)) << this.n;
    this.n += w;
    while (this.n >= 8) {
      this.out.u8(this.acc);
      this.acc >>>= 8;
      this.n -= 8;
    }
  }

  /** Appends `count` one-bits. */
  ones(count: number): void {
    while (count > 0) {
      const c = Math.min(count, 24);
      this.write((1 << c) - 1, c);
      count -= c;
    }
  }

  /** Pads with zero bits to the next byte boundary. */
  flush(): void {
    if (this.n > 0) this.out.u8(this.acc);
    this.acc = 0;
    this.n = 0;
  }
}

export class BitReader {
  private acc = 0;
  private n = 0;
  private pos: number;

  constructor(private readonly r: ByteReader) {
    this.pos = r.pos;
  }

  private refill(): void {
    const { bytes, end } = this.r;
    while (this.n <= 24 && this.pos < end) {
      this.acc |= bytes[this.pos++]! << this.n;
      this.n += 8;
    }
  }

  /** Reads a `w`-bit field (0 ≤ w ≤ 32) as an unsigned number. */
  read(w: number, what: string): number {
    if (w === 0) return 0;
    if (w > 24) {
      const lo = this.read(16, what);
      return (lo | (this.read(w - 16, what) << 16)) >>> 0;
    }
    if (this.n < w) {
      this.refill();
      if (this.n < w) fail(`truncated ${what}: bit stream ends early`);
    }
    const v = this.acc & ((1 << w) - 1);
    this.acc >>>= w;
    this.n -= w;
    return v;
  }

  /**
   * Counts one-bits up to `max`. Below `max` the terminating zero bit is consumed too; at `max`
   * it is not (that is the Rice escape), so a run of ones can never make this loop unbounded.
   */
  unary(max: number, what: string): number {
    let q = 0;
    for (;;) {
      if (this.n === 0) {
        this.refill();
        if (this.n === 0) fail(`truncated ${what}: bit stream ends early`);
      }
      const inverted = ~this.acc;
      const trailingOnes = inverted === 0 ? 32 : 31 - Math.clz32(inverted & -inverted);
      const take = Math.min(trailingOnes, this.n, max - q);
      q += take;
      this.acc = take >= 32 ? 0 : this.acc >>> take;
      this.n -= take;
      if (q === max) return q;
      if (this.n > 0) {
        // The next bit is the terminating zero.
        this.acc >>>= 1;
        this.n -= 1;
        return q;
      }
    }
  }

  /** Ends the stream: checks the pad bits are zero and moves the byte reader past the last byte used. */
  close(what: string): void {
    const padBits = this.n % 8;
    if (padBits > 0 && (this.acc & ((1 << padBits) - 1)) !== 0) fail(`bad ${what}: non-zero pad bits`);
    // Whole bytes still buffered were read ahead but not used: give them back.
    this.r.pos = this.pos - (this.n >>> 3);
  }
}
