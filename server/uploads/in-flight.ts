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
 */
import { UnavailableError } from '../errors.ts';

export const UPLOAD_ANSWER_DEADLINE_MS = 12_000;
export const MAX_UPLOADS_IN_FLIGHT = 2_000;

interface Waiting {
  since: number;
  reject(err: unknown): void;
}

export class UploadsInFlight {
  /** Uploads whose work has not settled, answered or not. */
  private running = 0;
  private readonly waiting = new Set<Waiting>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly deadlineMs = UPLOAD_ANSWER_DEADLINE_MS,
    private readonly max = MAX_UPLOADS_IN_FLIGHT,
  ) {}

  /** Whether every place is taken (readiness says so: a load balancer sends uploads elsewhere). */
  saturated(): boolean {
    return this.running >= this.max;
  }

  /** How many uploads wait for the store now, answered or not. */
  get size(): number {
    return this.running;
  }

  /** `work()`'s outcome, or a 503 once the deadline passes or when too many are in flight. */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      return Promise.reject(new UnavailableError(`${this.running} uploads are waiting for the store; retry with the same nonce`));
    }
    this.running++;
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = { since: performance.now(), reject };
      this.waiting.add(waiting);
      this.sweeper ??= setInterval(() => this.sweep(), Math.min(1000, this.deadlineMs)).unref();
      const settle = () => {
        this.running--;
        this.waiting.delete(waiting);
      };
      // Through a promise, so that work throwing before its first await still settles the count.
      Promise.resolve()
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
