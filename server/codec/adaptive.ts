/**
 * Method 0xBF "adaptive": each column is cut into blocks of 256 rows (the last one shorter) and
 * every block carries its own (transform, coder) tag, chosen among the simple coders — RAW,
 * VARINT, RLE, DICT — by exact encoded size. Handles data whose character changes within a batch
 * (a sub-meter idling, then a heater cycling) and never expands a block beyond RAW + 2 bytes.
 */
import { bestBlock } from './block.ts';
import { CODER } from './coder.ts';
import { packColumns, unpackColumns } from './columns.ts';
import { ALL_TRANSFORMS } from './transform.ts';

export const ID = 0xbf;
export const ADAPTIVE_BLOCK_ROWS = 256;
const CODERS = [CODER.raw, CODER.varint, CODER.rle, CODER.dict] as const;
const UNPACK = { blockRows: ADAPTIVE_BLOCK_ROWS, coders: new Set<number>(CODERS) };

export function encode(frame: Uint8Array): Uint8Array {
  return packColumns(frame, {
    blockRows: ADAPTIVE_BLOCK_ROWS,
    encodeBlock: (values) => bestBlock(values, ALL_TRANSFORMS, CODERS),
  });
}

export function decode(packed: Uint8Array, expectedSize: number): Uint8Array {
  return unpackColumns(packed, expectedSize, UNPACK);
}
