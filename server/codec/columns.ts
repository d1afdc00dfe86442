/**
 * The container all five methods share: the frame header copied verbatim, then each column (the
 * timestamp column first, then the fields in header order) as one or more blocks. The decoder
 * validates the header and checks the frame size it implies equals `expectedSize` before it
 * allocates the output, writes columns straight into it, and rejects trailing bytes.
 * Layout: SPEC.md §4.
 */
import { ByteReader, ByteWriter } from './bytes.ts';
import { fail } from './fail.ts';
import { MAX_FRAME_BYTES, parseFrameHeader } from './frame-header.ts';
import { readBlock } from './block.ts';

/** How a method cuts columns into blocks and encodes each one. */
export interface PackPolicy {
  /** Rows per block; 0 = one block per column. */
  blockRows: number;
  /** Encodes one block (transform, coder and body) for these words. */
  encodeBlock(values: Int32Array, column: number): Uint8Array;
}

export interface UnpackPolicy {
  blockRows: number;
  /** Coder IDs this method accepts. */
  coders: ReadonlySet<number>;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Reverses each 32-bit word from `offset` on (only on big-endian hosts, where Int32Array is BE). */
function swapWords(bytes: Uint8Array, offset: number): void {
  for (let i = offset; i + 3 < bytes.length; i += 4) {
    const a = bytes[i]!;
    const b = bytes[i + 1]!;
    bytes[i] = bytes[i + 3]!;
    bytes[i + 1] = bytes[i + 2]!;
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}

function blockBounds(n: number, blockRows: number): Array<[number, number]> {
  const step = blockRows > 0 ? blockRows : n;
  const bounds: Array<[number, number]> = [];
  for (let s = 0; s < n; s += step) bounds.push([s, Math.min(s + step, n)]);
  return bounds;
}

export function packColumns(frame: Uint8Array, policy: PackPolicy): Uint8Array {
  const header = parseFrameHeader(frame);
  if (frame.length !== header.frameSize) fail(`frame is ${frame.length} bytes but its header describes ${header.frameSize}`, 'bad_frame');
  const { headerSize, sampleCount: n, columnCount } = header;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const w = new ByteWriter(Math.max(256, frame.length >>> 2));
  w.bytes(frame.subarray(0, headerSize));
  const column = new Int32Array(n);
  for (let c = 0; c < columnCount; c++) {
    const base = headerSize + 4 * n * c;
    for (let i = 0; i < n; i++) column[i] = view.getInt32(base + 4 * i, true);
    for (const [s, e] of blockBounds(n, policy.blockRows)) w.bytes(policy.encodeBlock(column.subarray(s, e), c));
  }
  return w.finish();
}

export function unpackColumns(packed: Uint8Array, expectedSize: number, policy: UnpackPolicy): Uint8Array {
  if (!Number.isSafeInteger(expectedSize) || expectedSize < 0 || expectedSize > MAX_FRAME_BYTES) {
    fail(`expected size ${expectedSize} outside 0..${MAX_FRAME_BYTES}`, 'too_large');
  }
  const header = parseFrameHeader(packed);
  if (header.frameSize !== expectedSize) {
    fail(`packed header describes a ${header.frameSize}-byte frame, original_size is ${expectedSize}`, 'size_mismatch');
  }
  const { headerSize, sampleCount: n, columnCount } = header;
  // Only allocation proportional to the input: exactly the validated frame size.
  const out = new Uint8Array(expectedSize);
  out.set(packed.subarray(0, headerSize));
  const r = new ByteReader(packed, headerSize);
  for (let c = 0; c < columnCount; c++) {
    // headerSize is a multiple of 4 and `out` is fresh, so the column view is aligned.
    const column = new Int32Array(out.buffer, headerSize + 4 * n * c, n);
    for (const [s, e] of blockBounds(n, policy.blockRows)) readBlock(r, column.subarray(s, e), policy.coders);
  }
  if (r.remaining !== 0) fail(`${r.remaining} trailing bytes after the last column`);
  if (!LITTLE_ENDIAN) swapWords(out, headerSize);
  return out;
}
