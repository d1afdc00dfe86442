/**
 * Method 0xAD "run-length": every column is one RLE block of (value, run) pairs. The encoder may
 * run-length the column's deltas instead of its values when that is shorter, which turns a
 * regular timestamp column into a single pair (step, n − 1) after the first value.
 */
import { bestBlock } from './block.ts';
import { CODER } from './coder.ts';
import { packColumns, unpackColumns } from './columns.ts';
import { ALL_TRANSFORMS } from './transform.ts';

export const ID = 0xad;
const CODERS = [CODER.rle] as const;
const UNPACK = { blockRows: 0, coders: new Set<number>(CODERS) };

export function encode(frame: Uint8Array): Uint8Array {
  return packColumns(frame, { blockRows: 0, encodeBlock: (values) => bestBlock(values, ALL_TRANSFORMS, CODERS) });
}

export function decode(packed: Uint8Array, expectedSize: number): Uint8Array {
  return unpackColumns(packed, expectedSize, UNPACK);
}
