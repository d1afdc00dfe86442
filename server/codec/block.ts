/**
 * A block — the unit every method writes: `transform:u8 coder:u8 body`, covering a run of rows of
 * one column. Decoding needs only these bytes and the row count; which (transform, coder) pairs a
 * method accepts is the method's policy. `bestBlock` is the encoders' shared chooser: it prices
 * every allowed pair with the coders' exact cost model and encodes only the cheapest.
 */
import type { ByteReader } from './bytes.ts';
import { ByteWriter } from './bytes.ts';
import { coderFor } from './coder.ts';
import type { CoderId } from './coder.ts';
import { fail } from './fail.ts';
import { forwardTransform, inverseTransform, isTransform } from './transform.ts';
import type { TransformId } from './transform.ts';

const hex = (b: number) => '0x' + b.toString(16).padStart(2, '0');

/** Encodes `values` as one block with the given transform and coder. */
export function writeBlock(w: ByteWriter, values: Int32Array, transform: TransformId, coder: CoderId): void {
  w.u8(transform);
  w.u8(coder);
  coderFor(coder)!.encode(forwardTransform(transform, values), w);
}

/** The cheapest block for `values` over the allowed pairs; ties go to the earlier pair listed. */
export function bestBlock(values: Int32Array, transforms: readonly TransformId[], coders: readonly CoderId[]): Uint8Array {
  let best: { t: TransformId; c: CoderId; seq: Int32Array; size: number } | undefined;
  for (const t of transforms) {
    const seq = forwardTransform(t, values);
    for (const c of coders) {
      const size = coderFor(c)!.size(seq, best ? best.size : Infinity);
      if (!best || size < best.size) best = { t, c, seq, size };
    }
  }
  if (!best) throw new Error('bestBlock needs at least one transform and one coder');
  const w = new ByteWriter(best.size + 2);
  w.u8(best.t);
  w.u8(best.c);
  coderFor(best.c)!.encode(best.seq, w);
  return w.finish();
}

/** Decodes one block into `out` (all of it), accepting only coders in `allowed`. */
export function readBlock(r: ByteReader, out: Int32Array, allowed: ReadonlySet<number>): void {
  const transform = r.u8('block transform');
  const coder = r.u8('block coder');
  if (!isTransform(transform)) fail(`unknown transform ${hex(transform)}`);
  const impl = coderFor(coder);
  if (!impl) fail(`unknown coder ${hex(coder)}`);
  if (!allowed.has(coder)) fail(`coder ${impl.name} (${hex(coder)}) is not allowed in this method`);
  impl.decode(r, out);
  inverseTransform(transform, out);
}
