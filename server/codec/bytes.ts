/**
 * Byte-level reading and writing for the packed-telemetry codecs: a bounds-checked cursor over
 * untrusted input, a growable output buffer, and the two integer encodings every method uses —
 * unsigned LEB128 varints (1..5 bytes, canonical, 32-bit) and zigzag for signed 32-bit words.
 * Every read checks what remains before touching memory, so a hostile length can never run past
 * the input and every loop is bounded by the input size.
 */
import { fail } from './fail.ts';

export const MAX_VARINT_BYTES = 5;

/** Signed 32-bit → unsigned: 0, -1, 1, -2, ... → 0, 1, 2, 3, ... (as a u32 in a JS number). */
export function zigzag(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

/** Inverse of `zigzag`; returns an int32. */
export function unzigzag(u: number): number {
  return (u >>> 1) ^ -(u & 1);
}

/** Encoded size of `u` (a u32) as a varint. */
export function varintSize(u: number): number {
  return u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5;
}

export class ByteReader {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    pos = 0,
    readonly end = bytes.length,
  ) {
    this.pos = pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (n > this.end - this.pos) fail(`truncated ${what}: needs ${n} bytes, ${this.end - this.pos} left`);
  }

  u8(what: string): number {
    if (this.pos >= this.end) fail(`truncated ${what}: input ends at byte ${this.pos}`);
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128, at most 5 bytes, no bits beyond 32, no redundant trailing zero groups. */
  varint(what: string): number {
    const { bytes, end } = this;
    let pos = this.pos;
    let result = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (pos >= end) fail(`truncated ${what}: varint runs past the end`);
      const b = bytes[pos++]!;
      // The 5th byte carries bits 28..31 only; anything more would not fit 32 bits.
      if (i === 4 && b > 0x0f) fail(`overlong ${what}: varint exceeds 32 bits`);
      result |= (b & 0x7f) << (7 * i);
      if (b < 0x80) {
        // A final 0x00 after other bytes is a longer spelling of a shorter varint: one value, one encoding.
        if (b === 0 && i > 0) fail(`non-canonical ${what}: varint has a redundant zero byte`);
        this.pos = pos;
        return result >>> 0;
      }
    }
    return fail(`overlong ${what}: varint longer than 5 bytes`);
  }

  /** Zigzag varint → int32. */
  svarint(what: string): number {
    return unzigzag(this.varint(what));
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v & 0xff;
  }

  u16(v: number): void {
    this.reserve(2);
    this.buf[this.length++] = v & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
  }

  /** Any 32-bit word (int32 or u32), little-endian. */
  u32(v: number): void {
    this.reserve(4);
    const b = this.buf;
    b[this.length++] = v & 0xff;
    b[this.length++] = (v >>> 8) & 0xff;
    b[this.length++] = (v >>> 16) & 0xff;
    b[this.length++] = (v >>> 24) & 0xff;
  }

  varint(u: number): void {
    this.reserve(MAX_VARINT_BYTES);
    let v = u >>> 0;
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.length++] = v;
  }

  svarint(v: number): void {
    this.varint(zigzag(v));
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
