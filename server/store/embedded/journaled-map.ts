/**
 * A durable map of records kept in memory, persisted as an append-only journal of full records
 * (`<name>.jsonl`, group-committed by the store's AppendWriter) folded now and then into a snapshot
 * (`<name>.json`, a lowdb document) — the same shape as the nonce ledger. A change costs one short
 * appended line, not a rewrite of every record, so a busy command queue stays cheap.
 *
 * `put` applies the change in memory at once (so concurrent requests see it and cannot decide
 * twice), then resolves when its line is durable; if the write fails the record goes back to its
 * last durable value (unless a later change of it came meanwhile), journaled again with the next
 * write, a second later if nothing writes, or at `close` (the writer cuts a failed write's bytes off
 * the file, but if the disk refuses that too, part of it stays: a crash before the restored line
 * is durable would bring the failed change back). A compaction writes
 * records as they are durable, never a change still waiting for its line.
 * Lines for one map go to one file in order, so a later change is never durable before an earlier
 * one. Replaying snapshot + journal always rebuilds the last durable state.
 *
 * The journal is folded in once it holds as many bytes as the snapshot (and at least
 * `compactAfterBytes`): the snapshot is rewritten at most once per its own size journaled, so a
 * change costs about twice its line in bytes written (up to about three times while the map only
 * grows), however many records the map holds. Retention's removals are journaled lines too, not a
 * rewrite. Folding it in every 5,000 lines instead rewrote a 30-day command history at 10,000 devices
 * (300,000 commands, 108 MB) every ~1,700 commands: 21 kB written per line, and appends held for
 * ~320 ms each time (measured on the bench machine, 2026-12-07). Appends still wait while a
 * compaction writes, now once per snapshot-size of changes.
 */
import { readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonLines, type AppendWriter } from './append-writer.ts';
import { removeStaleTemps } from './atomic-file.ts';
import { JsonDocument } from './json-document.ts';

interface Line<V> {
  k: string;
  /** Absent: the record was deleted. */
  v?: V;
}

export interface JournaledMapOptions {
  /** Journal bytes after which a write folds the journal into the snapshot (never before the snapshot's own size). */
  compactAfterBytes?: number;
}

const DEFAULT_COMPACT_AFTER_BYTES = 4 << 20;
/** A failed compaction (disk full) is not started again by writes before this. */
const COMPACTION_RETRY_MS = 30_000;
/** A failed write's restored values are journaled this long after it (and again while that fails). */
const RETRY_MS = 1000;

export class JournaledMap<V> {
  private readonly map = new Map<string, V>();
  /** Bytes in the journal (appended since the last compaction, or found at open). */
  private journalBytes = 0;
  /** Size of the snapshot file (at open, then after each compaction). */
  private snapshotBytes = 0;
  private inflight = 0;
  private compacting: Promise<void> | null = null;
  private compactionFailedAt = -Infinity;
  /** Numbers the changes, so a failed one can tell whether a later change of its record came. */
  private changeSeq = 0;
  /**
   * Records with a change not yet durable: their last durable value (undefined: none), how many
   * changes of theirs are on the way, and the latest one's number.
   */
  private readonly pending = new Map<string, { durable: V | undefined; count: number; latest: number }>();
  /** Records a failed write took back, whose restored value is still to be journaled. */
  private readonly restored = new Set<string>();
  private restoreTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly compactAfter: number;

  private constructor(
    private readonly snapshotPath: string,
    private readonly journalPath: string,
    private readonly snapshot: JsonDocument<Record<string, V>>,
    private readonly writer: AppendWriter,
    options: JournaledMapOptions,
  ) {
    this.compactAfter = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
  }

  static async open<V>(dataDir: string, name: string, writer: AppendWriter, options: JournaledMapOptions = {}): Promise<JournaledMap<V>> {
    const snapshotPath = join(dataDir, `${name}.json`);
    // Temp files of a compaction a crash stopped before its rename, as large as the snapshot.
    await removeStaleTemps(snapshotPath);
    const snapshot = await JsonDocument.open<Record<string, V>>(snapshotPath, {});
    const jm = new JournaledMap<V>(snapshotPath, join(dataDir, `${name}.jsonl`), snapshot, writer, options);
    jm.snapshotBytes = await fileSize(snapshotPath);
    for (const [k, v] of Object.entries(snapshot.data)) jm.map.set(k, v);
    let text = '';
    try {
      text = await readFile(jm.journalPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    jm.journalBytes = Buffer.byteLength(text);
    for (const line of parseJsonLines<Line<V>>(text)) {
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
  put(entries: [string, V][]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.change(entries);
  }

  /**
   * Drops the records `drop` selects, journaling their removal (one append); the byte rule folds
   * the journal in later, as for any change. Returns how many were dropped.
   */
  async prune(drop: (v: V) => boolean): Promise<number> {
    const gone: [string, undefined][] = [];
    for (const [k, v] of this.map) if (drop(v)) gone.push([k, undefined]);
    if (gone.length > 0) await this.change(gone);
    return gone.length;
  }

  /**
   * Applies the entries in memory now (undefined: removed) and resolves once their line is
   * durable. If the write fails, each record goes back to its last durable value, unless a later
   * change of it came meanwhile (that change decides), and that value is journaled again: part of
   * the failed write may be on disk if the writer could not cut it off.
   */
  private async change(entries: [string, V | undefined][]): Promise<void> {
    const id = ++this.changeSeq;
    for (const [k, v] of entries) {
      const p = this.pending.get(k) ?? { durable: this.map.get(k), count: 0, latest: id };
      p.count++;
      p.latest = id;
      this.pending.set(k, p);
      if (v === undefined) this.map.delete(k);
      else this.map.set(k, v);
    }
    await this.append(
      entries.map(([k, v]) => (v === undefined ? { k } : { k, v })),
      { id, entries },
    );
  }

  /** A change's write is done: what it wrote is durable, or, failed, is taken back (see change). */
  private settle(change: { id: number; entries: [string, V | undefined][] }, ok: boolean): void {
    for (const [k, v] of change.entries) {
      const p = this.pending.get(k)!;
      if (ok) p.durable = v; // writes of one file end in order: the last one to succeed is the newest
      else if (p.latest === change.id) {
        if (p.durable === undefined) this.map.delete(k);
        else this.map.set(k, p.durable);
        this.restored.add(k);
      }
      if (--p.count === 0) this.pending.delete(k);
    }
    if (!ok && this.restored.size > 0) this.journalRestoresSoon();
  }

  /**
   * Lines holding the value of each record a failed write took back, unless a later change of it
   * is on the way (its own line supersedes them); taken off `restored`.
   */
  private restoreLines(): { keys: string[]; lines: Line<V>[] } {
    const keys = [...this.restored].filter((k) => !this.pending.has(k));
    this.restored.clear();
    const lines = keys.map((k): Line<V> => {
      const v = this.map.get(k);
      return v === undefined ? { k } : { k, v };
    });
    return { keys, lines };
  }

  /** Restored values go out with the next append; if nothing else writes, RETRY_MS after a failure. */
  private journalRestoresSoon(): void {
    if (this.restoreTimer || this.closed) return;
    this.restoreTimer = setTimeout(() => {
      this.restoreTimer = null;
      if (this.restored.size > 0) this.append([]).catch(() => this.journalRestoresSoon());
    }, RETRY_MS);
    this.restoreTimer.unref();
  }

  /**
   * Waits for the writes in flight, journals what a failed write took back, and stops; the writer
   * is closed by its owner after. A write still in flight (a change's, or one carrying restored
   * values) may yet fail and take records back: deciding before it ends left them unjournaled, and
   * a change answered as failed came back after a clean shutdown.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.restoreTimer) clearTimeout(this.restoreTimer);
    this.restoreTimer = null;
    while (this.compacting || this.inflight > 0) {
      await this.compacting?.catch(() => undefined);
      if (this.inflight > 0) await new Promise((r) => setTimeout(r, 1));
    }
    if (this.restored.size > 0) await this.append([]);
  }

  /** The map as it is durable: records whose change is not yet written count as they were before it. */
  private durableEntries(): Record<string, V> {
    const out: Record<string, V> = {};
    for (const [k, v] of this.map) if (!this.pending.has(k)) out[k] = v;
    for (const [k, p] of this.pending) if (p.durable !== undefined) out[k] = p.durable;
    return out;
  }

  /**
   * Appends the lines, after those restoring what a failed write took back; `change` (from
   * change()) is settled in the same step the write ends.
   */
  private async append(lines: Line<V>[], change?: { id: number; entries: [string, V | undefined][] }): Promise<void> {
    // A compaction that fails loses nothing (the journal is kept): this line still goes out.
    while (this.compacting) await this.compacting.catch(() => undefined);
    const restore = this.restoreLines();
    const all = restore.lines.length > 0 ? [...restore.lines, ...lines] : lines;
    if (all.length === 0) return;
    const text = all.map((l) => JSON.stringify(l) + '\n').join('');
    this.inflight++;
    let ok = false;
    try {
      await this.writer.append(this.journalPath, text);
      ok = true;
    } finally {
      this.inflight--;
      if (!ok) {
        for (const k of restore.keys) if (!this.pending.has(k)) this.restored.add(k);
        if (restore.keys.length > 0) this.journalRestoresSoon();
      }
      // Before anything else runs: a compaction this write starts (below, or one waiting for
      // inflight to reach 0) must see these changes as durable, or it would write them as they
      // were and then truncate the line that holds them.
      if (change) this.settle(change, ok);
    }
    this.journalBytes += Buffer.byteLength(text);
    if (this.journalBytes >= Math.max(this.compactAfter, this.snapshotBytes) && !this.compacting && performance.now() - this.compactionFailedAt >= COMPACTION_RETRY_MS) {
      // Nothing is lost when it fails: the journal is only truncated after the snapshot is durable.
      void this.compact().catch(() => (this.compactionFailedAt = performance.now()));
    }
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
      // Not the map as memory holds it: a change waiting for this compaction is not durable
      // yet, and its write may still fail (then it is taken back and must not be in the snapshot).
      const durable = this.durableEntries();
      // Records taken back and not re-journaled yet go into the snapshot as they now are, and the
      // journal that may hold their failed line is truncated: nothing left to restore.
      const folded = [...this.restored].filter((k) => !this.pending.has(k));
      await this.snapshot.mutate((doc) => {
        for (const key of Object.keys(doc)) delete doc[key];
        Object.assign(doc, durable);
      });
      await this.writer.forget(this.journalPath);
      await truncate(this.journalPath, 0).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      this.journalBytes = 0;
      for (const k of folded) if (!this.pending.has(k)) this.restored.delete(k);
      this.snapshotBytes = await fileSize(this.snapshotPath);
    })().finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}
