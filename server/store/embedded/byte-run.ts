/**
 * A growable run of bytes: chunks appended are copied into one buffer that doubles as needed.
 * The telemetry log stages each device-day's lines in one of these rather than keeping a buffer
 * per upload: a few hundred thousand small buffers waiting up to 30 s for their day-file write
 * were most of the old-generation heap, and marking them made major GCs the ingest's longest
 * pauses (its p99). One run per device-day is a handful of objects whatever the traffic.
 */
const INITIAL_CAPACITY = 2048;

export class ByteRun {
  private buffer: Buffer;
  private used = 0;

  constructor(first?: Uint8Array) {
    this.buffer = Buffer.allocUnsafeSlow(Math.max(INITIAL_CAPACITY, first?.byteLength ?? 0));
    if (first) this.append(first);
  }

  get byteLength(): number {
    return this.used;
  }

  append(chunk: Uint8Array): void {
    const needed = this.used + chunk.byteLength;
    if (needed > this.buffer.length) {
      let capacity = this.buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = Buffer.allocUnsafeSlow(capacity);
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.used);
    this.used = needed;
  }

  /** The bytes so far (a view: appending afterwards may or may not show through). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }
}
