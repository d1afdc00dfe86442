/**
 * Saves an in-memory lowdb document at most every `intervalMs` — for derived bookkeeping (counters,
 * indexes) that is cheap to lose a few seconds of and too hot to write on every change. Callers
 * mark it dirty; `flush` writes now; `close` stops the timer and writes what is left. A failed
 * save keeps it dirty, so the next tick retries.
 */
import type { JsonDocument } from './json-document.ts';

export class PeriodicSave<T> {
  private dirty = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly doc: JsonDocument<T>,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  markDirty(): void {
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await this.doc.mutate(() => undefined).catch(() => {
      this.dirty = true;
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
