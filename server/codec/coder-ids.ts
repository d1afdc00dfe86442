/**
 * Coder IDs and the interface every coder implements, kept apart from the registry (coder.ts) so
 * the coder modules can import them without an import cycle. A coder turns a (transformed)
 * sequence of int32 words into bytes. Each offers an exact `size()` — the encoder's cost model:
 * smart and adaptive choose by it without materialising every candidate — plus `encode()` and a
 * hardened `decode()` that fills exactly `out.length` words or throws. IDs are wire values
 * (SPEC.md §6): 0x06..0x7F are reserved for later versions, 0x80..0xFF are never assigned.
 */
import type { ByteReader, ByteWriter } from './bytes.ts';

export const CODER = {
  raw: 0x00,
  varint: 0x01,
  rle: 0x02,
  dict: 0x03,
  bitpack: 0x04,
  rice: 0x05,
} as const;
export type CoderId = (typeof CODER)[keyof typeof CODER];

export interface Coder {
  readonly id: CoderId;
  readonly name: string;
  /**
   * Exact number of bytes `encode` appends for `values` — unless that exceeds `limit`, in which
   * case it may stop early and return any number above `limit` (choosers skip hopeless candidates).
   */
  size(values: Int32Array, limit?: number): number;
  encode(values: Int32Array, w: ByteWriter): void;
  /** Fills all of `out` from `r`, or throws PackedDataError. */
  decode(r: ByteReader, out: Int32Array): void;
}
