/**
 * DICT coder: a table of the distinct words (ascending, each stored as a zigzag varint delta from
 * the previous entry) followed by one fixed-width index per word, bit-packed LSB-first. Meter
 * columns often hold a handful of distinct readings (sub-meters idling at 0, 1, 2 Wh), which this
 * stores in ⌈log2 k⌉ bits each. Grammar: SPEC.md §6.4.
 */
import type { ByteReader, ByteWriter } from './bytes.ts';
import { varintSize, zigzag } from './bytes.ts';
import { BitReader, BitWriter, bitWidth } from './bits.ts';
import { CODER } from './coder-ids.ts';
import type { Coder } from './coder-ids.ts';
import { fail } from './fail.ts';

function sortedDistinct(values: Int32Array): Int32Array {
  const sorted = Int32Array.from(values).sort();
  let k = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[k - 1]) sorted[k++] = sorted[i]!;
  return sorted.subarray(0, k);
}

export const dictCoder: Coder = {
  id: CODER.dict,
  name: 'dict',
  size(values, limit = Infinity) {
    const m = values.length;
    if (m === 0) return 0;
    if (limit < Infinity) {
      // Table bytes ≥ k and index bytes only grow with k: stop once even that lower bound is over.
      const seen = new Set<number>();
      for (let i = 0; i < m; i++) {
        if (seen.has(values[i]!)) continue;
        seen.add(values[i]!);
        if (seen.size + Math.ceil((m * bitWidth(seen.size - 1)) / 8) > limit) return limit + 1;
      }
    }
    const table = sortedDistinct(values);
    let n = varintSize(table.length);
    let prev = 0;
    for (const e of table) {
      n += varintSize(zigzag(e - prev));
      prev = e;
    }
    return n + Math.ceil((values.length * bitWidth(table.length - 1)) / 8);
  },
  encode(values, w) {
    if (values.length === 0) return;
    const table = sortedDistinct(values);
    w.varint(table.length);
    const index = new Map<number, number>();
    let prev = 0;
    table.forEach((e, i) => {
      w.svarint(e - prev);
      prev = e;
      index.set(e, i);
    });
    const width = bitWidth(table.length - 1);
    const bw = new BitWriter(w);
    for (let i = 0; i < values.length; i++) bw.write(index.get(values[i]!)!, width);
    bw.flush();
  },
  decode(r, out) {
    const m = out.length;
    if (m === 0) return;
    const k = r.varint('dict size');
    if (k === 0 || k > m) fail(`bad dict block: ${k} entries for ${m} words`);
    // Every entry takes at least one byte: check before allocating the table.
    r.need(k, 'dict table');
    const table = new Int32Array(k);
    let prev = 0;
    for (let i = 0; i < k; i++) table[i] = prev = (prev + r.svarint('dict entry')) | 0;
    const width = bitWidth(k - 1);
    r.need(Math.ceil((m * width) / 8), 'dict indices');
    const br = new BitReader(r);
    for (let i = 0; i < m; i++) {
      const idx = br.read(width, 'dict index');
      if (idx >= k) fail(`bad dict block: index ${idx} ≥ table size ${k}`);
      out[i] = table[idx]!;
    }
    br.close('dict indices');
  },
};
