/**
 * Method 0xD0 "dictionary": every column is one DICT block — a small table of its distinct words
 * and a bit-packed index per sample. The encoder may apply a transform first when that makes the
 * table smaller (regular timestamps become the two words {t0, step} under delta).
 */
import { bestBlock } from './block.ts';
import { CODER } from './coder.ts';
import { packColumns, unpackColumns } from './columns.ts';
import { ALL_TRANSFORMS } from './transform.ts';

export const ID = 0xd0;
const CODERS = [CODER.dict] as const;
const UNPACK = { blockRows: 0, coders: new Set<number>(CODERS) };

export function encode(frame: Uint8Array): Uint8Array {
  return packColumns(frame, { blockRows: 0, encodeBlock: (values) => bestBlock(values, ALL_TRANSFORMS, CODERS) });
}

export function decode(packed: Uint8Array, expectedSize: number): Uint8Array {
  return unpackColumns(packed, expectedSize, UNPACK);
}
