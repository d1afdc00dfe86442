/**
 * A bound on uploads being answered at once, and on how long one may wait for the store. A store
 * that stops answering without failing (a database behind a network partition; a disk that hangs)
 * would otherwise keep every upload arriving meanwhile, body and all, for as long as it lasts,
 * and the devices (their HTTP timeout is 15 s) would get no answer at all.
 *
 * Past UPLOAD_ANSWER_DEADLINE_MS the upload is answered 503, retry with the same nonce: if the
 * store does take it later, the retry is answered as a duplicate. Its work still runs to the end
 * and still counts against MAX_UPLOADS_IN_FLIGHT, so what a silent store holds stays bounded; past
 * that, uploads are answered 503 at once. One timer per gateway sweeps deadlines, not one per
 * upload (the hot path).
 *
 * The count alone bounds memory only at 2,000 × MAX_UNPACKED_BYTES (2 GiB at the default 1 MiB),
 * more as decoded objects: a device's batch is a few kB, but a silent store must not let a few
 * large ones hold that much. So each upload also charges the bytes it decoded (`hold.charge`),
 * and past MAX_UNPACKED_BYTES_IN_FLIGHT together it is answered 503 (signed, retry with the same
 * nonce) and lets them go.
 */
import { UnavailableError } from '../errors.ts';

export const UPLOAD_ANSWER_DEADLINE_MS = 12_000;
export const MAX_UPLOADS_IN_FLIGHT = 2_000;
/** Unpacked bytes the uploads in flight may hold together (a single upload's limit, MAX_UNPACKED_BYTES, is at most 16 MiB). */
export const MAX_UNPACKED_BYTES_IN_FLIGHT = 128 * 1024 * 1024;

/** What one upload holds while it waits, charged as its work learns it. */
export interface UploadHold {
  /** Adds `bytes` to what this upload holds; UnavailableError (503) if the uploads in flight would then hold too much. */
  charge(bytes: number): void;
}

interface Waiting {
  since: number;
  reject(err: unknown): void;
}

export class UploadsInFlight {
  /** Uploads whose work has not settled, answered or not. */
  private running = 0;
  /** Bytes charged by uploads whose work has not settled. */
  private held = 0;
  private readonly waiting = new Set<Waiting>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly deadlineMs = UPLOAD_ANSWER_DEADLINE_MS,
    private readonly max = MAX_UPLOADS_IN_FLIGHT,
    private readonly maxBytes = MAX_UNPACKED_BYTES_IN_FLIGHT,
  ) {}

  /** Whether every place is taken (readiness says so: a load balancer sends uploads elsewhere). */
  saturated(): boolean {
    return this.running >= this.max;
  }

  /** How many uploads wait for the store now, answered or not. */
  get size(): number {
    return this.running;
  }

  /** The bytes they hold (`UploadHold.charge`). */
  get bytes(): number {
    return this.held;
  }

  /** `work()`'s outcome, or a 503 once the deadline passes or when too many are in flight. */
  run<T>(work: (hold: UploadHold) => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      return Promise.reject(new UnavailableError(`${this.running} uploads are waiting for the store; retry with the same nonce`));
    }
    this.running++;
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = { since: performance.now(), reject };
      this.waiting.add(waiting);
      this.sweeper ??= setInterval(() => this.sweep(), Math.min(1000, this.deadlineMs)).unref();
      let mine = 0;
      const hold: UploadHold = {
        charge: (bytes) => {
          if (this.held + bytes > this.maxBytes) {
            throw new UnavailableError(`uploads waiting for the store hold ${this.held} bytes; retry with the same nonce`);
          }
          this.held += bytes;
          mine += bytes;
        },
      };
      const settle = () => {
        this.running--;
        this.held -= mine;
        this.waiting.delete(waiting);
      };
      // Through a promise, so that work throwing before its first await still settles the count.
      Promise.resolve(hold)
        .then(work)
        .then(
          (value) => (settle(), resolve(value)),
          (err: unknown) => (settle(), reject(err)),
        );
    });
  }

  private sweep(): void {
    const now = performance.now();
    for (const w of this.waiting) {
      if (now - w.since <= this.deadlineMs) continue;
      this.waiting.delete(w);
      w.reject(new UnavailableError(`the store did not answer within ${this.deadlineMs / 1000} s; retry with the same nonce`));
    }
    if (this.running === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
