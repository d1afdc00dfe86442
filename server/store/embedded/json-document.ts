/**
 * A lowdb document on disk with durable, coalesced writes. lowdb holds the document in memory;
 * our adapter replaces its default writer so each write is temp-file + fsync + rename (a crash
 * never leaves half a file) and writes requested while one is in flight collapse into the next.
 * `mutate` is the only way to change a document: it applies a synchronous change and resolves
 * once that change is on disk — the read-modify-write a SQL store would do in one statement.
 */
import { Low, type Adapter } from 'lowdb';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PRIVATE_DIR_MODE } from './append-writer.ts';
import { writeFileAtomic } from './atomic-file.ts';

class DurableJsonAdapter<T> implements Adapter<T> {
  private inFlight: Promise<void> | null = null;
  private queued: { data: string; done: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;

  constructor(
    private readonly path: string,
    private readonly mode: number,
  ) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${this.path} is not valid JSON (${(err as Error).message}); refusing to start over it`);
    }
  }

  write(data: T): Promise<void> {
    const text = JSON.stringify(data);
    if (!this.inFlight) return this.start(text);
    // A write is in flight: the newest document wins; everyone waiting resolves with it.
    if (!this.queued) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const done = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.queued = { data: text, done, resolve, reject };
    } else {
      this.queued.data = text;
    }
    return this.queued.done;
  }

  private start(text: string): Promise<void> {
    const p = mkdir(dirname(this.path), { recursive: true, mode: PRIVATE_DIR_MODE })
      .then(() => writeFileAtomic(this.path, text, this.mode))
      .finally(() => {
      this.inFlight = null;
      const q = this.queued;
      this.queued = null;
      if (q) this.start(q.data).then(q.resolve, q.reject);
    });
    this.inFlight = p;
    return p;
  }
}

export class JsonDocument<T> {
  private readonly db: Low<T>;
  /**
   * The `after` dependencies registered by mutates and not yet settled. Every write serializes the
   * whole in-memory document, so any write — not only the dependent mutate's — would carry a change
   * whose dependency is not durable yet; every write therefore waits until this set is empty.
   */
  private readonly pending = new Set<Promise<void>>();

  private constructor(db: Low<T>) {
    this.db = db;
  }

  static async open<T>(path: string, defaults: T, mode = 0o600): Promise<JsonDocument<T>> {
    const db = new Low<T>(new DurableJsonAdapter<T>(path, mode), defaults);
    await db.read();
    return new JsonDocument(db);
  }

  /** The in-memory document. Treat as read-only; change it through `mutate`. */
  get data(): T {
    return this.db.data;
  }

  /**
   * Applies `change` synchronously (so no other request interleaves) and persists it — once
   * `after` (another document's write this change depends on) is durable, when given. No write of
   * this document, by any mutate, reaches disk before every `after` registered so far is settled.
   *
   * If `after` rejects, this mutate rejects with its error (the dependency never became durable, so
   * the caller must not report success). The change stays in memory — later changes may build on it
   * and there is no undo — and the failed dependency stops holding back later writes, which then
   * persist it: a failed write (a disk error) must not wedge the document forever, and the other
   * document still holds the dependency in memory for its own next write.
   */
  async mutate<R>(change: (data: T) => R, after?: Promise<unknown>): Promise<R> {
    const result = change(this.db.data);
    if (after) {
      const settled = after.then(
        () => undefined,
        () => undefined,
      );
      this.pending.add(settled);
      void settled.then(() => this.pending.delete(settled));
    }
    // A loop, not one await: a dependency registered while waiting holds back this write too (the
    // document written would include its change). With none pending this writes synchronously, so
    // the document is serialized in the same step as the change.
    while (this.pending.size > 0) await Promise.all(this.pending);
    if (after) await after;
    await this.db.write();
    return result;
  }
}
