/**
 * Method 0xDE "delta" (temporal): every column is one VARINT block over the column's first or
 * second differences — the first word as is, then zigzag LEB128 deltas, so a slowly varying
 * reading costs one or two bytes per sample. The encoder picks delta or delta-of-delta per column
 * (delta-of-delta makes a regular timestamp column all zeros).
 */
import { bestBlock } from './block.ts';
import { CODER } from './coder.ts';
import { packColumns, unpackColumns } from './columns.ts';
import { TRANSFORM } from './transform.ts';

export const ID = 0xde;
const CODERS = [CODER.varint] as const;
const TRANSFORMS = [TRANSFORM.delta, TRANSFORM.delta2] as const;
const UNPACK = { blockRows: 0, coders: new Set<number>(CODERS) };

export function encode(frame: Uint8Array): Uint8Array {
  return packColumns(frame, { blockRows: 0, encodeBlock: (values) => bestBlock(values, TRANSFORMS, CODERS) });
}

export function decode(packed: Uint8Array, expectedSize: number): Uint8Array {
  return unpackColumns(packed, expectedSize, UNPACK);
}
