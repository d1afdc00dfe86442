/**
 * Method 0xFF "smart": one block per column, with the full toolbox — any transform combined with
 * any coder, including the bit-level ones (BITPACK, RICE) the other methods lack. The encoder
 * prices all 18 (transform, coder) pairs per column with the coders' exact size model and keeps
 * the cheapest; typically delta2+RLE for timestamps, delta+RICE for analogue readings and
 * delta+RLE or DICT for idle sub-meters. The decoder does not care how the choice was made.
 */
import { bestBlock } from './block.ts';
import { CODER } from './coder.ts';
import { packColumns, unpackColumns } from './columns.ts';
import { ALL_TRANSFORMS } from './transform.ts';

export const ID = 0xff;
// Order matters only for ties: prefer the cheaper-to-decode coder.
const CODERS = [CODER.raw, CODER.rle, CODER.varint, CODER.dict, CODER.bitpack, CODER.rice] as const;
const UNPACK = { blockRows: 0, coders: new Set<number>(CODERS) };

export function encode(frame: Uint8Array): Uint8Array {
  return packColumns(frame, { blockRows: 0, encodeBlock: (values) => bestBlock(values, ALL_TRANSFORMS, CODERS) });
}

export function decode(packed: Uint8Array, expectedSize: number): Uint8Array {
  return unpackColumns(packed, expectedSize, UNPACK);
}
