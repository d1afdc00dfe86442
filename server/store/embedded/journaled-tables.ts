/**
 * Tables of records (id → record) kept in memory and persisted as a snapshot plus a journal of
 * group commits, for state too large to rewrite on every change: the OTA state is ~15 MB at 10,000
 * devices, and rewriting it whole cost 0.8 MB written and 4.7 ms of CPU per OTA result
 * (scripts/bench/ota-state.ts). Here a change costs one line holding the records it changed.
 *
 * `set` changes a record in memory at once (later reads and decisions see it); `commit` resolves
 * once everything set so far is durable. Commits group like the store's other writes: records set
 * while a write is in flight go out together in the next one, serialised when it starts, so a
 * later line always holds a later state of a record. A write is one line, and a line is replayed
 * whole or not at all: a line torn by a crash was never acknowledged, and a change that touches
 * several records (a result: the device, its session, the version's counters) never comes back
 * half applied.
 *
 * Once the journal holds more bytes than the snapshot (and at least `compactAfterBytes`), the
 * snapshot is rewritten off the hot path: writes move on to a new journal generation at once, the
 * snapshot is serialised a slice at a time from a copy of the tables (records are replaced, never
 * changed in place, so a shallow copy is a consistent view), written to a temp file, fsynced and
 * renamed, and only then are the generations it holds deleted. A crash at any point leaves the old
 * snapshot with every generation after it, or the new one (the generations it holds are ignored
 * and deleted at the next open). `close` compacts too: a clean shutdown leaves the whole state in
 * the snapshot, which is all a build from before the journal reads.
 *
 * The journal names the snapshot it continues (the SHA-256 of its bytes, in `follows.json`): a
 * snapshot another build rewrote meanwhile (a downgrade after a crash) is not overwritten with an
 * older journal; the generations are set aside instead. The format is in README.md ("The OTA
 * state journal").
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from '../../logger.ts';
import { parseJsonLines, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, type AppendWriter } from './append-writer.ts';
import { commitStaged, discardStaged, mkdirDurable, removeStaleTemps, stageFile, writeFileAtomic } from './atomic-file.ts';
import { generationFileName, listGenerations, type Generation } from './generations.ts';
import { idTable } from './id-table.ts';

/** The tables: each an id-keyed record map (null-prototype once loaded, see id-table.ts). */
export type Tables<T> = { [K in keyof T]: Record<string, unknown> };

/** Where a compaction stands: new writes go to a new generation / the snapshot is on disk, not yet renamed / renamed. */
export type CompactionStep = 'rotated' | 'written' | 'renamed';

export interface JournaledTablesOptions {
  /** Journal bytes after which a write starts a compaction (also never before the snapshot's own size). */
  compactAfterBytes?: number;
  logger?: Logger;
  /** Awaited at each step of a compaction; crash tests stop the process there. */
  compactionStep?: (step: CompactionStep) => Promise<void>;
  /**
   * A write that fails takes its records back out of memory: each goes back to its last durable
   * state, unless a later change replaced it (that change carries on), and the next write carries
   * the restored state (the writer cuts a failed write's bytes off the file; if the disk refuses
   * that too, part of the line stays, and a crash before the next write is durable would bring the
   * failed change back). A compaction writes records as they are durable.
   * For records whose changes are answered as failed (a device registration: its key is never
   * shown). Without it memory keeps them and the next write carries them (the OTA state: progress
   * is worth keeping).
   */
  takeBackFailed?: boolean;
}

/** The snapshot's key naming the first journal generation it does not hold. */
const JOURNAL_FROM = 'journal_from';
const JOURNAL_EXT = 'jsonl';
/** In the journal folder: the snapshots the journal continues, `{"snapshot_sha256":[…]}`. */
const FOLLOWS_FILE = 'follows.json';
const DEFAULT_COMPACT_AFTER_BYTES = 4 << 20;
/** Records serialised per snapshot write; the event loop serves requests between writes. */
const SNAPSHOT_SLICE = 500;
/** A failed journal write is tried again after this, if nothing else writes first. */
const RETRY_MS = 1000;
/** A failed compaction (disk full) is not tried again before this. */
const COMPACTION_RETRY_MS = 30_000;

export const journalDir = (dataDir: string, name: string) => join(dataDir, `${name}-journal`);

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A snapshot's identity: the SHA-256 (hex) of its bytes; null for no snapshot file. */
type SnapshotId = string | null;

/** What is on disk: the snapshot, with the generations it does not hold replayed over it. */
export interface LoadedTables<T> {
  data: T;
  /** First generation the snapshot does not hold (0 for a snapshot written before there was a journal). */
  from: number;
  snapshotBytes: number;
  snapshotId: SnapshotId;
  /** The snapshots the journal continues (follows.json; empty when there is none yet). */
  follows: SnapshotId[];
  /** Replayed generations and their sizes, oldest first. */
  generations: (Generation & { bytes: number })[];
  /** Generations the snapshot already holds: left by a compaction the process did not finish. */
  stale: Generation[];
  /** Generations not replayed: they continue a snapshot another build has since rewritten. */
  superseded: (Generation & { bytes: number })[];
}

/** Reads the snapshot and replays the journal after it; changes nothing on disk. */
export async function loadJournaled<T extends Tables<T>>(dataDir: string, name: string, empty: () => T): Promise<LoadedTables<T>> {
  const snapshotPath = join(dataDir, `${name}.json`);
  let snapshot: Record<string, unknown> = {};
  let snapshotBytes = 0;
  let snapshotId: SnapshotId = null;
  try {
    const bytes = await readFile(snapshotPath);
    snapshotBytes = bytes.length;
    snapshotId = sha256(bytes);
    snapshot = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof SyntaxError) throw new Error(`${snapshotPath} is not valid JSON (${err.message}); refusing to start over it`);
      throw err;
    }
  }
  const data = empty();
  for (const table of Object.keys(data) as (keyof T)[]) {
    (data[table] as Record<string, unknown>) = idTable(snapshot[table as string] as Record<string, unknown> | undefined);
  }
  const from = Number.isSafeInteger(snapshot[JOURNAL_FROM]) ? (snapshot[JOURNAL_FROM] as number) : 0;
  const dir = journalDir(dataDir, name);
  const recorded = await readFollows(dir);
  // A build that reads the snapshot alone (one from before the journal) rewrites it keeping the
  // keys it does not know, journal_from included: only the bytes tell that it is not the snapshot
  // the journal continues, and then the journal is older than what that build wrote over it.
  // No follows.json at all: a journal from the first journal build (3395fe4), which wrote none —
  // this build writes it before any line — so it continues whatever snapshot is there.
  const continues = recorded === undefined || recorded.includes(snapshotId);
  // None recorded: open() records the snapshot now, before any line (a fresh install's too).
  const follows = recorded ?? [];
  const generations: LoadedTables<T>['generations'] = [];
  const stale: Generation[] = [];
  const superseded: LoadedTables<T>['superseded'] = [];
  for (const gen of await listGenerations(dir, JOURNAL_EXT)) {
    if (gen.seq < from) {
      stale.push(gen);
      continue;
    }
    if (!continues) {
      superseded.push({ ...gen, bytes: (await stat(gen.path)).size });
      continue;
    }
    const text = await readFile(gen.path, 'utf8');
    // A torn line (the crash came during its write, so it was never acknowledged) does not parse: skipped.
    for (const line of parseJsonLines<unknown>(text)) applyLine(data, line);
    generations.push({ ...gen, bytes: Buffer.byteLength(text) });
  }
  return { data, from, snapshotBytes, snapshotId, follows, generations, stale, superseded };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The snapshots the journal in `dir` continues; undefined without follows.json. */
async function readFollows(dir: string): Promise<SnapshotId[] | undefined> {
  const path = join(dir, FOLLOWS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const ids = (JSON.parse(text) as { snapshot_sha256?: unknown }).snapshot_sha256;
  if (!Array.isArray(ids) || !ids.every((id) => id === null || typeof id === 'string')) throw new Error(`${path} does not list the snapshots the journal continues; refusing to start over it`);
  return ids as SnapshotId[];
}

/** Records (atomically, durably) which snapshots the journal in `dir` continues. */
async function writeFollows(dir: string, ids: SnapshotId[]): Promise<void> {
  await mkdirDurable(dir, PRIVATE_DIR_MODE, true);
  await writeFileAtomic(join(dir, FOLLOWS_FILE), `${JSON.stringify({ snapshot_sha256: ids })}\n`, PRIVATE_FILE_MODE);
}

/** One journal line over the tables: each record replaces the one in memory; null removes it. */
function applyLine<T extends Tables<T>>(data: T, line: unknown): void {
  if (typeof line !== 'object' || line === null) return;
  for (const [table, changes] of Object.entries(line)) {
    if (!Object.hasOwn(data, table) || typeof changes !== 'object' || changes === null) continue;
    const rows: Record<string, unknown> = data[table as keyof T];
    for (const [key, value] of Object.entries(changes as Record<string, unknown>)) {
      if (value === null) delete rows[key];
      else rows[key] = value;
    }
  }
}

export class JournaledTables<T extends Tables<T>> {
  /** Records set since the last write started, by table. */
  private dirty = new Map<keyof T, Set<string>>();
  /** The records of the write in flight, by table. */
  private writing: Map<keyof T, Set<string>> | null = null;
  /**
   * With takeBackFailed: for each record changed and not yet durable, its last durable value
   * (undefined: absent), kept until a write of it succeeds.
   */
  private readonly durableValues = new Map<keyof T, Map<string, unknown>>();
  private waiters: Waiter[] = [];
  private inFlight: Promise<void> | null = null;
  private scheduled = false;
  /** The generation writes go to. */
  private seq: number;
  /** Bytes written to each generation the snapshot does not hold. */
  private readonly journalBytes = new Map<number, number>();
  private snapshotBytes: number;
  private snapshotId: SnapshotId;
  private compaction: Promise<void> | null = null;
  private compactionFailedAt = -Infinity;
  private retryTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private closed = false;
  private readonly compactAfter: number;

  private constructor(
    /** The tables in memory. Read them freely; change them only through `set`. */
    readonly data: T,
    private readonly snapshotPath: string,
    private readonly dir: string,
    private readonly writer: AppendWriter,
    loaded: LoadedTables<T>,
    private readonly options: JournaledTablesOptions,
  ) {
    this.compactAfter = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
    this.snapshotBytes = loaded.snapshotBytes;
    this.snapshotId = loaded.snapshotId;
    for (const gen of loaded.generations) this.journalBytes.set(gen.seq, gen.bytes);
    // A new generation per start: nothing is ever appended after a line a crash may have torn.
    this.seq = Math.max(1, loaded.from, (loaded.generations.at(-1)?.seq ?? 0) + 1);
  }

  /** Opens `<name>.json` and `<name>-journal/` in `dataDir`; `empty` gives the tables of a new store. */
  static async open<T extends Tables<T>>(dataDir: string, name: string, writer: AppendWriter, empty: () => T, options: JournaledTablesOptions = {}) {
    const loaded = await loadJournaled(dataDir, name, empty);
    const snapshotPath = join(dataDir, `${name}.json`);
    const dir = journalDir(dataDir, name);
    // Temp files of a compaction (or follows.json write) a crash stopped before its rename, as
    // large as the snapshot: nothing reads them, and the DATA_DIR lock means no one is writing one.
    await removeStaleTemps(snapshotPath);
    await removeStaleTemps(join(dir, FOLLOWS_FILE));
    for (const gen of loaded.stale) await unlinkIfThere(gen.path);
    if (loaded.superseded.length > 0) await setAside(dir, loaded.superseded, snapshotPath, options.logger);
    // Before any line goes to the journal: it continues this snapshot.
    if (loaded.follows.length !== 1 || loaded.follows[0] !== loaded.snapshotId) await writeFollows(dir, [loaded.snapshotId]);
    return new JournaledTables<T>(loaded.data, snapshotPath, dir, writer, loaded, options);
  }

  /** Sets a record in memory now; the next write (see `commit`) makes it durable. */
  set<K extends keyof T>(table: K, key: string, value: T[K][string]): void {
    this.keepDurable(table, key);
    const rows: Record<string, unknown> = this.data[table];
    rows[key] = value;
    this.markDirty(table, key);
  }

  /** With takeBackFailed: notes the record's durable value before its first change since. */
  private keepDurable(table: keyof T, key: string): void {
    if (!this.options.takeBackFailed) return;
    let values = this.durableValues.get(table);
    if (!values) this.durableValues.set(table, (values = new Map()));
    if (!values.has(key)) values.set(key, this.data[table][key]);
  }

  private markDirty(table: keyof T, key: string): void {
    let keys = this.dirty.get(table);
    if (!keys) this.dirty.set(table, (keys = new Set()));
    keys.add(key);
  }

  /**
   * Resolves once the record under `key` is durable as memory holds it now: at once unless it was
   * set and not yet written, or is being written. An answer read from memory (the device is
   * already revoked) waits for this, so it never reports a change a crash could still undo.
   */
  settled(table: keyof T, key: string): Promise<void> {
    return this.dirty.get(table)?.has(key) || this.writing?.get(table)?.has(key) ? this.commit() : Promise.resolve();
  }

  /** Memory holds records that are not durable yet (set and not written, or being written). */
  get pending(): boolean {
    return this.dirty.size > 0 || this.inFlight !== null || this.waiters.length > 0;
  }

  /**
   * Resolves once every record set so far is durable: one shared write for all commits meanwhile.
   * Still writes after `close` (a request finishing during shutdown), as long as the writer is open.
   */
  commit(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    // On the next turn of the event loop: the changes of every request handled in this one join.
    setImmediate(() => {
      this.scheduled = false;
      void this.writeNext();
    });
  }

  private async writeNext(): Promise<void> {
    const waiters = this.waiters;
    const dirty = this.dirty;
    this.waiters = [];
    this.dirty = new Map();
    this.writing = dirty;
    let settled!: () => void;
    this.inFlight = new Promise<void>((resolve) => (settled = resolve));
    // The values the line carries, to tell later changes from them (takeBackFailed).
    const written = this.options.takeBackFailed ? this.valuesOf(dirty) : undefined;
    const seq = this.seq;
    try {
      if (dirty.size > 0) {
        const line = this.line(dirty);
        await this.writer.append(this.generationPath(seq), line);
        this.journalBytes.set(seq, (this.journalBytes.get(seq) ?? 0) + Buffer.byteLength(line));
      }
      if (written) this.wrote(written);
      for (const w of waiters) w.resolve();
    } catch (err) {
      // Part of the line may be on disk: a compaction at close must take this generation away.
      if (dirty.size > 0) this.journalBytes.set(seq, this.journalBytes.get(seq) ?? 0);
      // Memory holds these records (or their removal, or, with takeBackFailed, their durable
      // state again) and the disk does not: they go with the next write.
      if (written) this.takeBack(written);
      for (const [table, keys] of dirty) for (const key of keys) this.markDirty(table, key);
      for (const w of waiters) w.reject(err);
      this.retrySoon();
    } finally {
      this.inFlight = null;
      this.writing = null;
      settled();
    }
    if (this.waiters.length > 0) this.kick();
    this.maybeCompact();
  }

  /** The table's records as memory holds them, except (takeBackFailed) those not yet durable: as they are durable. */
  private durableView(table: keyof T): [string, unknown][] {
    const durable = this.durableValues.get(table);
    const rows = Object.entries(this.data[table]);
    if (!durable || durable.size === 0) return rows;
    const out = rows.filter(([key]) => !durable.has(key));
    for (const [key, value] of durable) if (value !== undefined) out.push([key, value]);
    return out;
  }

  private valuesOf(dirty: Map<keyof T, Set<string>>): Map<keyof T, Map<string, unknown>> {
    const out = new Map<keyof T, Map<string, unknown>>();
    for (const [table, keys] of dirty) out.set(table, new Map([...keys].map((key) => [key, this.data[table][key]])));
    return out;
  }

  /** A write succeeded: what it carried is durable, and is the durable value of a record changed since. */
  private wrote(written: Map<keyof T, Map<string, unknown>>): void {
    for (const [table, values] of written) {
      const durable = this.durableValues.get(table);
      for (const [key, value] of values) {
        if (this.dirty.get(table)?.has(key)) durable?.set(key, value);
        else durable?.delete(key);
      }
    }
  }

  /** A write failed: each record it carried that no later change replaced goes back to its durable value. */
  private takeBack(written: Map<keyof T, Map<string, unknown>>): void {
    for (const [table, values] of written) {
      const rows: Record<string, unknown> = this.data[table];
      const durable = this.durableValues.get(table);
      for (const [key, value] of values) {
        if (rows[key] !== value || this.dirty.get(table)?.has(key) || !durable?.has(key)) continue;
        const before = durable.get(key);
        if (before === undefined) delete rows[key];
        else rows[key] = before;
        // The entry stays: until a write of it succeeds, `before` is still the durable value.
      }
    }
  }

  /** One journal line: `{"<table>":{"<key>":<record>,…},…}` with every record as memory holds it now. */
  private line(dirty: Map<keyof T, Set<string>>): string {
    const tables: string[] = [];
    for (const [table, keys] of dirty) {
      const rows = this.data[table];
      const entries: string[] = [];
      for (const key of keys) entries.push(`${JSON.stringify(key)}:${JSON.stringify(rows[key] ?? null)}`);
      tables.push(`${JSON.stringify(table)}:{${entries.join(',')}}`);
    }
    return `{${tables.join(',')}}\n`;
  }

  private retrySoon(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.dirty.size > 0) this.commit().catch((err: unknown) => this.options.logger?.error({ err, path: this.snapshotPath }, 'journal write failed; kept in memory, will retry'));
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  private maybeCompact(): void {
    if (this.compaction || this.closing || Date.now() - this.compactionFailedAt < COMPACTION_RETRY_MS) return;
    let bytes = 0;
    for (const n of this.journalBytes.values()) bytes += n;
    if (bytes < Math.max(this.compactAfter, this.snapshotBytes)) return;
    this.compact().catch((err: unknown) => {
      this.compactionFailedAt = Date.now();
      this.options.logger?.error({ err, path: this.snapshotPath }, 'snapshot rewrite failed; the journal is kept and replayed at start');
    });
  }

  /** Rewrites the snapshot from memory and deletes the generations it then holds. Writes go on meanwhile. */
  compact(): Promise<void> {
    this.compaction ??= this.runCompaction().finally(() => (this.compaction = null));
    return this.compaction;
  }

  private async runCompaction(): Promise<void> {
    // From here on writes go to a new generation. Once the write in flight to the earlier ones is
    // done, memory holds everything they do, and records set but not yet written, which the new
    // generation will hold as well: the snapshot may have a record early, never late. With
    // takeBackFailed, such a record goes in as it is durable (its write may still fail and be
    // taken back: the snapshot must not hold it then).
    const from = ++this.seq;
    const lastWrite = this.inFlight;
    await lastWrite;
    const view = (Object.keys(this.data) as (keyof T & string)[]).map((table) => [table, this.durableView(table)] as const);
    await this.step('rotated');
    const staged = await stageFile(this.snapshotPath, PRIVATE_FILE_MODE);
    let size = 0;
    const hash = createHash('sha256');
    let id: string;
    try {
      let chunk = `{"${JOURNAL_FROM}":${from}`;
      const flush = async () => {
        const bytes = Buffer.from(chunk, 'utf8');
        hash.update(bytes);
        size += await writeAt(staged.handle, bytes, size);
        chunk = '';
      };
      for (const [table, rows] of view) {
        chunk += `,${JSON.stringify(table)}:{`;
        for (let i = 0; i < rows.length; i++) {
          const [key, value] = rows[i]!;
          chunk += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(value)}`;
          if ((i + 1) % SNAPSHOT_SLICE === 0) await flush();
        }
        chunk += '}';
      }
      chunk += '}';
      await flush();
      id = hash.digest('hex');
      await commitStaged([staged], async () => {
        // Whichever snapshot a crash leaves, the old or this one, the journal continues it.
        await writeFollows(this.dir, [this.snapshotId, id]);
        await this.step('written');
      });
    } catch (err) {
      await discardStaged([staged]);
      throw err;
    }
    this.snapshotBytes = size;
    this.snapshotId = id;
    await this.step('renamed');
    // The generations before `from` are in the snapshot: once the last write to them is done, they go.
    await lastWrite;
    for (const seq of [...this.journalBytes.keys()]) if (seq < from) this.journalBytes.delete(seq);
    for (const gen of await listGenerations(this.dir, JOURNAL_EXT)) {
      if (gen.seq >= from) continue;
      await this.writer.forget(gen.path);
      await unlinkIfThere(gen.path);
    }
    await writeFollows(this.dir, [id]);
  }

  private step(step: CompactionStep): Promise<void> {
    return this.options.compactionStep?.(step) ?? Promise.resolve();
  }

  private generationPath(seq: number): string {
    return join(this.dir, generationFileName(seq, JOURNAL_EXT));
  }

  /**
   * Writes what is set, then compacts if the journal holds anything: a clean shutdown leaves the
   * whole state in the snapshot and no generation, so a build that reads the snapshot alone (a
   * downgrade to one from before the journal) sees all of it. No compaction or retry starts after.
   */
  async close(): Promise<void> {
    this.closing = true;
    let failure: { err: unknown } | undefined;
    try {
      if (this.pending) await this.commit();
    } catch (err) {
      failure = { err }; // reported after: the snapshot is still rewritten, as the disk holds it
    }
    try {
      await this.compaction?.catch(() => undefined);
      if (this.journalBytes.size > 0) {
        await this.compact().catch((err: unknown) =>
          this.options.logger?.error({ err, path: this.snapshotPath }, 'snapshot rewrite at shutdown failed; the journal is kept and replayed at the next start (a downgrade now would not see it)'),
        );
      }
    } finally {
      // No retry after close, whatever failed: the writer is about to close.
      this.closed = true;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (failure) throw failure.err;
  }
}

/** Writes all of `data` at `position` (a write may be partial); returns its length. */
async function writeAt(handle: FileHandle, data: Buffer, position: number): Promise<number> {
  for (let done = 0; done < data.length; ) done += (await handle.write(data, done, data.length - done, position + done)).bytesWritten;
  return data.length;
}

/**
 * Moves generations that continue a snapshot another build rewrote since into
 * `superseded-<time>/` beside them (nothing reads them again; kept for a person to look at),
 * with a warning; empty ones are just deleted.
 */
async function setAside(dir: string, generations: (Generation & { bytes: number })[], snapshotPath: string, logger: Logger | undefined): Promise<void> {
  const written = generations.filter((g) => g.bytes > 0);
  if (written.length > 0) {
    const aside = join(dir, `superseded-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await mkdir(aside, { recursive: true, mode: PRIVATE_DIR_MODE });
    for (const gen of written) await rename(gen.path, join(aside, basename(gen.path)));
    logger?.warn(
      { path: snapshotPath, generations: written.length, bytes: written.reduce((n, g) => n + g.bytes, 0), set_aside: aside },
      'the snapshot was rewritten by another build (a downgrade after an unclean shutdown?) since the journal was written: the journal is not replayed over it, it is set aside',
    );
  }
  for (const gen of generations) if (gen.bytes === 0) await unlinkIfThere(gen.path);
}

async function unlinkIfThere(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
