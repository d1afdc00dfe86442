/**
 * Group-commit appender for JSONL files. Every `append` resolves only once its bytes are written
 * (and on disk when durability is `fsync`: the file is opened O_DSYNC), but all appends queued for
 * a file while a write is in flight share the next single write. That keeps "durable before we
 * answer" cheap under load: fifty concurrent uploads cost one disk write, not fifty.
 *
 * Each file has one writer, this one: the DATA_DIR lock keeps other processes out, and code that
 * truncates or replaces a file calls `forget` first. The writer relies on it — it keeps each
 * appended file's size itself, and cuts a failed write back to it.
 */
import { close, constants, fchmod, fdatasync, fstat, ftruncate, open, read, write } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { mkdirDurable, syncDir } from './atomic-file.ts';

// The callback fs API on raw descriptors: FileHandle.appendFile's promise machinery cost more CPU
// than the rest of an upload's handling in the ingest benchmark.
const openAsync = promisify(open);
const closeAsync = promisify(close);
const fstatAsync = promisify(fstat);
const datasyncAsync = promisify(fdatasync);
const fchmodAsync = promisify(fchmod);
const ftruncateAsync = promisify(ftruncate);

/** DATA_DIR holds device ids, telemetry and nonce state: owner only. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** The byte at `size - 1` of a file of `size` bytes. */
function lastByte(fd: number, size: number): Promise<number> {
  const byte = Buffer.alloc(1);
  return new Promise((resolve, reject) => read(fd, byte, 0, 1, size - 1, (err) => (err ? reject(err) : resolve(byte[0]!))));
}

/** Writes all of `data` at `position` (null: at the end, O_APPEND); write(2) may be partial. */
function writeAll(fd: number, data: Buffer, position: number | null = null): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number) =>
      write(fd, data, offset, data.length - offset, position === null ? null : position + offset, (err, n) => {
        if (err) return reject(err);
        if (offset + n < data.length) step(offset + n);
        else resolve();
      });
    step(0);
  });
}

interface Pending {
  chunks: (string | Uint8Array)[];
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

interface FileState {
  fd?: number;
  opening?: Promise<number>;
  /** A write for this file is in flight; new appends wait for the next batch. */
  busy: boolean;
  next: Pending;
  lastUsed: number;
  /** The file did not end in a newline when opened (a line torn by a crash or a failed write): isolate it. */
  needsNewline: boolean;
  /** With preallocation: where the next write goes, and the end of the zero-filled space ahead of it. */
  end: number;
  prepared: number;
  /** A zero-fill ahead of `end` in flight (closeFile waits for it). */
  preparing?: Promise<void>;
  /** Without preallocation: the file's size as this writer left it (-1: not open), where a failed write is cut back to. */
  size: number;
  /** A failed write being cut off the file (cutBack): its handle stays open until then. */
  cutting?: Promise<void>;
  /** The batch being written (closeFile waits for it: `forget` may come while it is on its way). */
  writing?: Promise<void>;
}

export interface AppendWriterOptions {
  fsync: boolean;
  /** Open file handles kept around (one per device-day file being written); older idle ones are closed. */
  maxOpenFiles?: number;
  /**
   * For files this writer creates and alone appends to (the telemetry WAL): zero-fill this many
   * bytes ahead of the data, in the background, and write the data over them in place. With fsync
   * an append that grows the file commits the filesystem journal (the size changed); a write into
   * space already written does not: on this VM's ext4, ~40 µs of machine CPU and 120 µs of
   * latency per durable write instead of 90–120 µs and 230 µs. Readers see the zero tail as one
   * unparsable line, which every JSONL reader here skips, like a line torn by a crash.
   */
  preallocateBytes?: number;
}

export class AppendWriter {
  private readonly files = new Map<string, FileState>();
  /** Directories known to exist, so the hot path does not mkdir on every open. */
  private readonly dirs = new Set<string>();
  /** Files this writer created whose folder's fsync has not succeeded yet (so their names may not survive a power cut). */
  private readonly namesNotDurable = new Set<string>();
  private readonly maxOpen: number;
  private closed = false;

  /**
   * With fsync, files are opened O_DSYNC: each write(2) returns once its data (and the size
   * change) is on disk — write + fdatasync in one thread-pool round trip instead of two. Every
   * request of a group waits for those round trips, and on a busy machine each one waits for a
   * pool thread to be scheduled.
   */
  private readonly openFlags: number;

  private readonly preallocate: number;
  /** What the space ahead is filled with (one buffer, reused). */
  private zeros: Buffer | undefined;

  constructor(private readonly options: AppendWriterOptions) {
    this.maxOpen = options.maxOpenFiles ?? 4096;
    this.preallocate = options.preallocateBytes ?? 0;
    // Preallocated files are written at explicit offsets: O_APPEND would put every write at the
    // end of the zero-filled space.
    const append = this.preallocate > 0 ? 0 : constants.O_APPEND;
    this.openFlags = constants.O_RDWR | append | constants.O_CREAT | (options.fsync ? constants.O_DSYNC : 0);
  }

  /**
   * Appends `text` to `path` (a string, UTF-8 bytes, or parts of either written back to back; it
   * should end with "\n"); resolves once durable.
   */
  append(path: string, text: string | Uint8Array | readonly (string | Uint8Array)[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('append writer is closed'));
    let state = this.files.get(path);
    if (!state) {
      state = { busy: false, next: { chunks: [], waiters: [] }, lastUsed: 0, needsNewline: false, end: -1, prepared: -1, size: -1 };
      this.files.set(path, state);
    }
    const s = state;
    return new Promise<void>((resolve, reject) => {
      if (typeof text === 'string' || text instanceof Uint8Array) s.next.chunks.push(text);
      else for (const part of text) s.next.chunks.push(part);
      s.next.waiters.push({ resolve, reject });
      if (!s.busy) {
        // Start the write on the next turn of the event loop, not now: every append made while the
        // current batch of incoming requests is handled joins the same write (and fsync). Started
        // at once, a saturated loop wrote almost every upload on its own, and a write's cost on the
        // main thread is in the submission, not in the bytes.
        s.busy = true;
        setImmediate(() => void this.flush(path, s));
      }
    });
  }

  private async handleFor(path: string, state: FileState): Promise<number> {
    if (state.fd !== undefined) return state.fd;
    if (!state.opening) {
      state.opening = (async () => {
        const dir = dirname(path);
        if (!this.dirs.has(dir)) {
          await mkdirDurable(dir, PRIVATE_DIR_MODE, this.options.fsync);
          this.dirs.add(dir);
        }
        const fd = await this.openOrCreate(path);
        const { size, mode } = await fstatAsync(fd);
        // Created 0600 (less if the umask says so); a file an older version left group/other
        // readable is tightened the first time it is opened.
        if ((mode & 0o077) !== 0) await fchmodAsync(fd, PRIVATE_FILE_MODE);
        if (this.preallocate === 0) {
          // O_APPEND: the next write lands after whatever the file ends with, so look at it on
          // every open, not only the first. A write that failed part way (ENOSPC or EIO after a
          // short write; the handle is closed and reopened after a failure) left a fragment
          // without its newline, like a crash does; the next line must not be glued to it.
          state.needsNewline = size > 0 && (await lastByte(fd, size)) !== 0x0a;
          state.size = size;
        } else if (state.end < 0 || state.end > size) {
          // A preallocated file reopened by this writer (after idle eviction or a failed write)
          // keeps its own end: the next write goes over anything a failed one left past it. One
          // it finds on disk (not expected: WAL generations are new files) is appended to.
          state.end = size;
          state.prepared = size;
          state.needsNewline = size > 0 && (await lastByte(fd, size)) !== 0x0a;
        }
        state.fd = fd;
        return fd;
      })().finally(() => {
        state.opening = undefined;
      });
    }
    return state.opening;
  }

  /**
   * Opens `path`, creating it if need be. With fsync, a file this creates has its name made
   * durable (its folder fsynced) before anything is acknowledged in it: O_DSYNC covers the data,
   * not the directory entry, and a power cut on a filesystem that does not order the two (ext4
   * does) could lose a new journal generation whole.
   */
  private async openOrCreate(path: string): Promise<number> {
    if (!this.options.fsync) return openAsync(path, this.openFlags, PRIVATE_FILE_MODE);
    let fd: number | undefined;
    try {
      fd = await openAsync(path, this.openFlags & ~constants.O_CREAT);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fd = await openAsync(path, this.openFlags, PRIVATE_FILE_MODE);
      this.namesNotDurable.add(path);
    }
    if (!this.namesNotDurable.has(path)) return fd;
    // Created here, its folder's fsync not yet done (or failed, e.g. EIO: asked again next time).
    try {
      await syncDir(dirname(path));
    } catch (err) {
      await closeAsync(fd).catch(() => {});
      throw err;
    }
    this.namesNotDurable.delete(path);
    return fd;
  }

  private async flush(path: string, state: FileState): Promise<void> {
    state.busy = true;
    try {
      while (state.next.chunks.length > 0) {
        const batch = state.next;
        state.next = { chunks: [], waiters: [] };
        let written: { fd: number; start: number; length: number } | undefined;
        let isolating = false;
        try {
          const fd = await this.handleFor(path, state);
          if (state.needsNewline) {
            batch.chunks.unshift('\n');
            state.needsNewline = false;
            isolating = true;
          }
          const bytes = toBytes(batch.chunks);
          written = { fd, start: this.preallocate > 0 ? state.end : state.size, length: bytes.length };
          const writing = this.preallocate > 0 ? this.writeInPlace(fd, state, bytes) : writeAll(fd, bytes);
          state.writing = writing;
          try {
            await writing;
          } finally {
            state.writing = undefined;
          }
          if (this.preallocate === 0) state.size += bytes.length;
          state.lastUsed = Date.now();
          for (const w of batch.waiters) w.resolve();
        } catch (err) {
          if (written) await this.cutBack(written.fd, state, written.start, written.length);
          // The next write goes where this one did (in place; appended files look again when reopened).
          if (isolating) state.needsNewline = true;
          for (const w of batch.waiters) w.reject(err);
          await this.closeFile(path, state);
        }
      }
    } finally {
      state.busy = false;
    }
    await this.evictIdle();
  }

  /**
   * Takes a failed write's bytes off the file before its appends are refused. A write that fails
   * part way (a short write then ENOSPC, or EIO from an O_DSYNC write whose data reached the page
   * cache) may have left whole lines of the batch behind; their callers are told the change
   * failed and take it back in memory, but a restart would read those lines and bring it back.
   * Cut only when the file's size is one the failed write can have left (`start` to
   * `start + length`): anything else means the file changed under this writer, and cutting would
   * lose what is not ours. Best effort: if the disk refuses the cut as well, the line stays and
   * the callers' own repair (re-journaling the value they restored) is what remains.
   */
  private cutBack(fd: number, state: FileState, start: number, length: number): Promise<void> {
    // Only on our own open handle (closeFile waits for the cut before closing it): a descriptor
    // closed by `forget` meanwhile may already number another file.
    if (start < 0 || state.fd !== fd) return Promise.resolve();
    state.cutting = this.cut(fd, state, start, length).finally(() => {
      state.cutting = undefined;
    });
    return state.cutting;
  }

  private async cut(fd: number, state: FileState, start: number, length: number): Promise<void> {
    try {
      await state.preparing?.catch(() => undefined);
      const { size } = await fstatAsync(fd);
      const reach = this.preallocate > 0 ? Math.max(state.prepared, start + length) : start + length;
      if (size < start || size > reach) return;
      await ftruncateAsync(fd, start);
      if (this.options.fsync) await datasyncAsync(fd);
      if (this.preallocate > 0) state.prepared = start; // the zero-filled space ahead went with it
    } catch {
      // The disk refused the cut too: see above.
    }
  }

  /** Writes `bytes` at the file's end, inside zero-filled space (prepared first if need be). */
  private async writeInPlace(fd: number, state: FileState, bytes: Buffer): Promise<void> {
    while (state.end + bytes.length > state.prepared) await this.prepareAhead(fd, state, bytes.length);
    const at = state.end;
    await writeAll(fd, bytes, at);
    state.end = at + bytes.length;
    // Keep at least half a chunk of space ready, so writes rarely wait for a zero-fill.
    if (state.prepared - state.end < this.preallocate / 2) void this.prepareAhead(fd, state, 0).catch(() => undefined);
  }

  /** Zero-fills the next chunk (at least `atLeast` bytes) past the prepared space; one at a time. */
  private prepareAhead(fd: number, state: FileState, atLeast: number): Promise<void> {
    state.preparing ??= (async () => {
      // Closed (forget) after this write began: the number may be another file's by now.
      if (state.fd !== fd) throw new Error('append writer: file closed while writing');
      const size = Math.max(this.preallocate, atLeast);
      if (!this.zeros || this.zeros.length < size) this.zeros = Buffer.alloc(size);
      await writeAll(fd, this.zeros.subarray(0, size), state.prepared);
      state.prepared += size;
    })().finally(() => {
      state.preparing = undefined;
    });
    return state.preparing;
  }

  private async closeFile(path: string, state: FileState): Promise<void> {
    const fd = state.fd;
    state.fd = undefined;
    // Work still using the descriptor goes first: once closed, its number is free for the next
    // file opened, and a late write would land in that file.
    await state.writing?.catch(() => undefined);
    await state.cutting;
    await state.preparing?.catch(() => undefined);
    if (fd !== undefined) await closeAsync(fd).catch(() => undefined);
    if (!state.busy && state.next.chunks.length === 0) this.files.delete(path);
  }

  private async evictIdle(): Promise<void> {
    if (this.files.size <= this.maxOpen) return;
    const idle = [...this.files.entries()]
      .filter(([, s]) => !s.busy && s.next.chunks.length === 0 && !s.opening)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [path, s] of idle.slice(0, this.files.size - this.maxOpen)) await this.closeFile(path, s);
  }

  /**
   * Makes everything appended to `path` so far durable, for a writer without per-append fsync:
   * waits for queued writes, then fdatasyncs (through a fresh descriptor if the handle was closed).
   */
  async sync(path: string): Promise<void> {
    const s = this.files.get(path);
    if (s && (s.busy || s.next.chunks.length > 0)) await this.append(path, '');
    const fd = this.files.get(path)?.fd;
    if (fd !== undefined) {
      try {
        return await datasyncAsync(fd);
      } catch (err) {
        // Closed by idle eviction in between: sync through a descriptor of our own below.
        if ((err as NodeJS.ErrnoException).code !== 'EBADF') throw err;
      }
    }
    const own = await openAsync(path, 'r');
    try {
      await datasyncAsync(own);
    } finally {
      await closeAsync(own);
    }
  }

  /** Drops the cached handle of `path` (after the file was truncated or replaced elsewhere). */
  async forget(path: string): Promise<void> {
    const s = this.files.get(path);
    if (s) await this.closeFile(path, s);
  }

  /** Waits for queued appends, then closes every file. */
  async close(): Promise<void> {
    for (;;) {
      const busy = [...this.files.values()].filter((s) => s.busy || s.next.chunks.length > 0);
      if (busy.length === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    this.closed = true;
    for (const [path, s] of [...this.files.entries()]) await this.closeFile(path, s);
  }
}

/** The chunks' bytes in one buffer, allocated once (strings are encoded straight into it). */
function toBytes(chunks: (string | Uint8Array)[]): Buffer {
  if (chunks.length === 1 && typeof chunks[0] === 'string') return Buffer.from(chunks[0], 'utf8');
  let size = 0;
  for (const c of chunks) size += typeof c === 'string' ? Buffer.byteLength(c, 'utf8') : c.byteLength;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const c of chunks) {
    if (typeof c === 'string') offset += out.write(c, offset, 'utf8');
    else {
      out.set(c, offset);
      offset += c.byteLength;
    }
  }
  return out;
}

/** Parses JSONL text, skipping blank and torn (unparsable) lines, e.g. a half-written last line. */
export function parseJsonLines<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A torn line from a crash mid-append: the write was never acknowledged, so skipping it is correct.
    }
  }
  return out;
}
