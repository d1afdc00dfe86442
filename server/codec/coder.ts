/**
 * The coder registry: ID → implementation. Every method is a policy over these same coders, so
 * there is exactly one decoder per coder for the gateway and for the C firmware.
 */
import { rawCoder, rleCoder, varintCoder } from './coder-basic.ts';
import { bitpackCoder } from './coder-bitpack.ts';
import { dictCoder } from './coder-dict.ts';
import type { Coder } from './coder-ids.ts';
import { riceCoder } from './coder-rice.ts';

export { CODER } from './coder-ids.ts';
export type { Coder, CoderId } from './coder-ids.ts';

const CODERS: ReadonlyMap<number, Coder> = new Map(
  [rawCoder, varintCoder, rleCoder, dictCoder, bitpackCoder, riceCoder].map((c) => [c.id, c]),
);

export function coderFor(id: number): Coder | undefined {
  return CODERS.get(id);
}
