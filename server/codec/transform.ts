/**
 * Column transforms, applied before a coder: none, delta (v[i] − v[i−1]) and delta-of-delta
 * (second difference, which turns regular timestamps and linear ramps into zeros). All arithmetic
 * wraps modulo 2^32 exactly like uint32_t in C, so every int32/u32 column has an inverse and the
 * decoder never needs a range check. The first element (and, for delta2, the second) keeps the
 * plain value (first difference). IDs are wire values: SPEC.md §5.
 */
import { fail } from './fail.ts';

export const TRANSFORM = { none: 0x00, delta: 0x01, delta2: 0x02 } as const;
export type TransformId = (typeof TRANSFORM)[keyof typeof TRANSFORM];
export const ALL_TRANSFORMS: readonly TransformId[] = [TRANSFORM.none, TRANSFORM.delta, TRANSFORM.delta2];

export function isTransform(id: number): id is TransformId {
  return id === TRANSFORM.none || id === TRANSFORM.delta || id === TRANSFORM.delta2;
}

/** Returns the transformed sequence (a new array; `values` is left alone). */
export function forwardTransform(t: TransformId, values: Int32Array): Int32Array {
  const m = values.length;
  if (t === TRANSFORM.none) return values;
  const out = new Int32Array(m);
  if (m === 0) return out;
  out[0] = values[0]!;
  if (t === TRANSFORM.delta) {
    for (let i = 1; i < m; i++) out[i] = values[i]! - values[i - 1]!;
    return out;
  }
  let prev = 0;
  for (let i = 1; i < m; i++) {
    const d = (values[i]! - values[i - 1]!) | 0;
    out[i] = i === 1 ? d : d - prev;
    prev = d;
  }
  return out;
}

/** Undoes `forwardTransform` in place. Int32Array stores wrap mod 2^32, matching C uint32_t. */
export function inverseTransform(t: number, r: Int32Array): void {
  const m = r.length;
  if (t === TRANSFORM.none) return;
  if (t === TRANSFORM.delta) {
    for (let i = 1; i < m; i++) r[i] = r[i - 1]! + r[i]!;
    return;
  }
  if (t !== TRANSFORM.delta2) fail(`unknown transform 0x${t.toString(16).padStart(2, '0')}`);
  if (m < 2) return;
  let d = r[1]!;
  r[1] = r[0]! + d;
  for (let i = 2; i < m; i++) {
    d = (d + r[i]!) | 0;
    r[i] = r[i - 1]! + d;
  }
}
