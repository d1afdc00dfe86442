/**
 * A durable map of records kept in memory, persisted as an append-only journal of full records
 * (`<name>.jsonl`, group-committed by the store's AppendWriter) folded now and then into a snapshot
 * (`<name>.json`, a lowdb document) — the same shape as the nonce ledger. A change costs one short
 * appended line, not a rewrite of every record, so a busy command queue stays cheap.
 *
 * `put` applies the change in memory at once (so concurrent requests see it and cannot decide
 * twice), then resolves when its line is durable; if the write fails the change is rolled back.
 * Lines for one map go to one file in order, so a later change is never durable before an earlier
 * one. Replaying snapshot + journal always rebuilds the last durable state.
 */
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonLines, type AppendWriter } from './append-writer.ts';
import { JsonDocument } from './json-document.ts';

interface Line<V> {
  k: string;
  /** Absent: the record was deleted. */
  v?: V;
}

export interface JournaledMapOptions {
  /** Journal lines after which the next write folds the journal into the snapshot. */
  compactAfterLines?: number;
}

export class JournaledMap<V> {
  private readonly map = new Map<string, V>();
  private lines = 0;
  private inflight = 0;
  private compacting: Promise<void> | null = null;
  private readonly compactAfter: number;

  private constructor(
    private readonly journalPath: string,
    private readonly snapshot: JsonDocument<Record<string, V>>,
    private readonly writer: AppendWriter,
    options: JournaledMapOptions,
  ) {
    this.compactAfter = options.compactAfterLines ?? 5000;
  }

  static async open<V>(dataDir: string, name: string, writer: AppendWriter, options: JournaledMapOptions = {}): Promise<JournaledMap<V>> {
    const snapshot = await JsonDocument.open<Record<string, V>>(join(dataDir, `${name}.json`), {});
    const jm = new JournaledMap<V>(join(dataDir, `${name}.jsonl`), snapshot, writer, options);
    for (const [k, v] of Object.entries(snapshot.data)) jm.map.set(k, v);
    let text = '';
    try {
      text = await readFile(jm.journalPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of parseJsonLines<Line<V>>(text)) {
      jm.lines++;
      if (line.v !== undefined) jm.map.set(line.k, line.v);
      else jm.map.delete(line.k);
    }
    return jm;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  get size(): number {
    return this.map.size;
  }

  /** Sets every entry in memory now; resolves once all are durable (one append). */
  async put(entries: [string, V][]): Promise<void> {
    if (entries.length === 0) return;
    const previous = entries.map(([k]) => [k, this.map.get(k)] as const);
    for (const [k, v] of entries) this.map.set(k, v);
    try {
      await this.append(entries.map(([k, v]) => ({ k, v })));
    } catch (err) {
      // Roll back what is still ours (a later put of the same key wins over this failure).
      entries.forEach(([k, v], i) => {
        if (this.map.get(k) !== v) return;
        const before = previous[i]![1];
        if (before === undefined) this.map.delete(k);
        else this.map.set(k, before);
      });
      throw err;
    }
  }

  /**
   * Drops the records `drop` selects and rewrites the snapshot without them (a compaction).
   * Returns how many were dropped.
   */
  async prune(drop: (v: V) => boolean): Promise<number> {
    let dropped = 0;
    for (const [k, v] of this.map) {
      if (drop(v)) {
        this.map.delete(k);
        dropped++;
      }
    }
    if (dropped > 0) await this.compact();
    return dropped;
  }

  private async append(lines: Line<V>[]): Promise<void> {
    while (this.compacting) await this.compacting;
    this.inflight++;
    try {
      await this.writer.append(this.journalPath, lines.map((l) => JSON.stringify(l) + '\n').join(''));
    } finally {
      this.inflight--;
    }
    this.lines += lines.length;
    if (this.lines >= this.compactAfter && !this.compacting) void this.compact().catch(() => undefined);
  }

  /**
   * Folds the journal into the snapshot. New appends wait; appends already handed to the writer
   * land first, so the snapshot covers everything the truncate removes. A crash between the
   * snapshot write and the truncate only means replaying lines the snapshot already holds.
   */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    this.compacting = (async () => {
      while (this.inflight > 0) await new Promise((r) => setTimeout(r, 1));
      await this.snapshot.mutate((doc) => {
        for (const key of Object.keys(doc)) delete doc[key];
        for (const [k, v] of this.map) doc[k] = v;
      });
      await this.writer.forget(this.journalPath);
      await truncate(this.journalPath, 0).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      this.lines = 0;
    })().finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }
}
