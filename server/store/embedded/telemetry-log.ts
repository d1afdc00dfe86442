/**
 * Time series on disk: one append-only JSONL file per device per UTC day
 * (`DATA_DIR/telemetry/<device>/<YYYY-MM-DD>.jsonl`), one line per batch (telemetry-lines.ts).
 *
 * An append is durable once its WAL line is (see telemetry-wal.ts): uploads from many devices share
 * one fsync there. The sample lines are then staged in memory and written to the day files in the
 * background (every flushMs, 30 s by default, without fsync); a checkpoint fsyncs the day files written since the
 * last one and deletes the WAL generations they came from. Queries flush the device's staged lines
 * first, so a read always sees every acknowledged append.
 *
 * An append may carry the device's new nonce state (`appendWithNonce`): it then rides in the same
 * WAL line, and before a checkpoint deletes a generation the states it holds are handed to the
 * nonce sink (the ledger), which journals them. That is how an upload costs one durable write.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger.ts';
import { AppendWriter, parseJsonLines, PRIVATE_DIR_MODE } from './append-writer.ts';
import { mkdirDurable } from './atomic-file.ts';
import { ByteRun } from './byte-run.ts';
import { batchLine, batchRows, dayFileBatches, lineRows, type StoredBatch } from './telemetry-lines.ts';
import { batchKey, keepNewest, recoverWal, WAL_RECORD_END, walFileName, walRecordHead, type WalNonceStates } from './telemetry-wal.ts';
import type { NonceState, TelemetryBatch, TelemetryBucket, TelemetryBucketQuery, TelemetryLog, TelemetryQuery, TelemetrySample } from '../types.ts';

const DAY_MS = 86_400_000;
/**
 * Day-file writes and fsyncs in flight at once. libuv's thread pool is one FIFO queue, shared with
 * the WAL write every upload in flight waits on: a checkpoint that queued a thousand fsyncs at once
 * put that write behind all of them, every 30 s. Two at a time keep the queue short.
 */
const DAY_IO_CONCURRENCY = 2;

/** Zero-filled space kept ahead of the WAL's writes: ~1,500 uploads' records. */
const WAL_PREALLOCATE_BYTES = 1 << 20;

/** Runs `fn` over `items`, at most `limit` at a time; settles when all have (rejects with the first error). */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

/** The start of 9999-12-31, the last day with a YYYY-MM-DD name. */
const LAST_DAY_MS = Date.UTC(9999, 11, 31);

function dayKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The stored samples of a batch, as a query returns them. */
export const batchSamples = batchRows;

/** Where nonce states carried in the WAL go before their generation is deleted. */
export interface WalNonceSink {
  /** Makes the states durable outside the WAL (the ledger journals them); resolves once they are. */
  adoptWalStates(states: WalNonceStates): Promise<void>;
}

export interface TelemetryLogOptions {
  /** fsync the WAL before an append resolves (DURABILITY=fsync) and the day files at checkpoints. */
  fsync: boolean;
  logger?: Logger;
  /** How long sample lines may wait in memory before they are written to their day files. */
  flushMs?: number;
  /** Staged bytes that trigger a write to the day files before flushMs is up. */
  maxStagedBytes?: number;
  /** WAL generation size that triggers a checkpoint. */
  checkpointBytes?: number;
  /** A non-empty WAL generation is checkpointed at least this often. */
  checkpointMs?: number;
  /** Required for appendWithNonce and for recovering a WAL that carries nonce states. */
  nonceSink?: WalNonceSink;
}

interface Generation {
  seq: number;
  path: string;
  bytes: number;
  /** Appends whose WAL write for this generation has not finished (and been staged) yet. */
  inflight: number;
  drained?: () => void;
  /** Newest nonce state per device carried by this generation's durable lines. */
  nonces: WalNonceStates;
}

export class JsonlTelemetryLog implements TelemetryLog {
  /**
   * Day-file lines durable in the WAL, not yet written to their day file: device → day → bytes.
   * One growing buffer per device-day (ByteRun): neither a string per line (tens of megabytes of
   * strings in the old generation) nor a buffer per upload (hundreds of thousands of objects to
   * mark) — both made major GCs, the longest pauses under load, far costlier.
   */
  private staged = new Map<string, Map<string, ByteRun>>();
  private stagedBytes = 0;
  private lastDay = { number: NaN, key: '' };
  /** Day files written since the last checkpoint (their data is only durable through the WAL). */
  private readonly dirty = new Set<string>();
  /** Generations closed for appends whose day-file data is not yet known durable. */
  private retired: Generation[] = [];
  private gen: Generation;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly checkpointTimer: NodeJS.Timeout;
  private checkpointing: Promise<void> | null = null;
  private flushChain: Promise<void> = Promise.resolve();
  private fullFlushQueued = false;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxStagedBytes: number;
  private readonly checkpointBytes: number;

  private constructor(
    private readonly root: string,
    private readonly walDir: string,
    private readonly walWriter: AppendWriter,
    private readonly dayWriter: AppendWriter,
    nextSeq: number,
    private readonly options: TelemetryLogOptions,
  ) {
    this.gen = this.generation(nextSeq);
    this.flushMs = options.flushMs ?? 30_000;
    this.maxStagedBytes = options.maxStagedBytes ?? 64 << 20;
    this.checkpointBytes = options.checkpointBytes ?? 64 << 20;
    this.checkpointTimer = setInterval(() => {
      if (this.gen.bytes > 0 || this.retired.length > 0) this.checkpointInBackground();
    }, options.checkpointMs ?? 30_000);
    this.checkpointTimer.unref();
  }

  /** Opens the log, first replaying whatever WAL a crash left behind into the day files. */
  static async open(dataDir: string, options: TelemetryLogOptions): Promise<JsonlTelemetryLog> {
    const root = join(dataDir, 'telemetry');
    const walDir = join(dataDir, 'telemetry-wal');
    // Made at once (a DATA_DIR a gateway ran in is recognised by it, data-dir.ts), its name durable.
    await mkdirDurable(walDir, PRIVATE_DIR_MODE, options.fsync);
    const dayWriter = new AppendWriter({ fsync: false });
    const { nextSeq, replayed } = await recoverWal(
      walDir,
      dayWriter,
      (d, day) => join(root, d, `${day}.jsonl`),
      (states) => {
        if (!options.nonceSink) throw new Error('the telemetry WAL holds nonce states but no nonce sink was given');
        return options.nonceSink.adoptWalStates(states);
      },
    );
    if (replayed > 0) options.logger?.info({ batches: replayed }, 'replayed telemetry write-ahead log into day files');
    // The WAL is written in place into zero-filled space when durable (see preallocateBytes).
    const walWriter = new AppendWriter({ fsync: options.fsync, preallocateBytes: options.fsync ? WAL_PREALLOCATE_BYTES : 0 });
    return new JsonlTelemetryLog(root, walDir, walWriter, dayWriter, nextSeq, options);
  }

  append(deviceId: string, batch: TelemetryBatch): Promise<void> {
    return this.write(deviceId, batch, undefined);
  }

  /**
   * Appends the batch with the device's new nonce state in the same WAL line: when this resolves,
   * both are durable; after a crash, both or neither are recovered.
   */
  appendWithNonce(deviceId: string, batch: TelemetryBatch, nonce: NonceState): Promise<void> {
    if (!this.options.nonceSink) return Promise.reject(new Error('appendWithNonce needs a nonce sink'));
    return this.write(deviceId, batch, nonce);
  }

  private async write(deviceId: string, batch: TelemetryBatch, nonce: NonceState | undefined): Promise<void> {
    if (this.closed) throw new Error('telemetry log is closed');
    const day = this.dayOf(batch.received_at);
    // The day-file line is encoded once: the WAL record embeds these very bytes (without the
    // newline), and they are what gets staged for the day file.
    const line = Buffer.from(batchLine(batch) + '\n', 'utf8');
    const head = walRecordHead(deviceId, day, nonce);
    const record = [head, line.subarray(0, line.length - 1), WAL_RECORD_END];
    const gen = this.gen;
    gen.inflight++;
    gen.bytes += head.length + line.length + 1;
    try {
      await this.walWriter.append(gen.path, record);
      // Noted before `inflight` drops, so a checkpoint that waited for this generation sees it.
      if (nonce) keepNewest(gen.nonces, deviceId, nonce);
      this.stage(deviceId, day, line);
    } finally {
      if (--gen.inflight === 0) gen.drained?.();
    }
    if (gen.bytes >= this.checkpointBytes && gen === this.gen) this.checkpointInBackground();
  }

  /** The UTC day of an epoch-ms time; the last answer is kept, since a batch's neighbours share it. */
  private dayOf(ms: number): string {
    const dayNumber = Math.floor(ms / DAY_MS);
    if (dayNumber !== this.lastDay.number) this.lastDay = { number: dayNumber, key: dayKey(ms) };
    return this.lastDay.key;
  }

  async query(deviceId: string, q: TelemetryQuery): Promise<TelemetrySample[]> {
    await this.flush(deviceId);
    let files: string[];
    try {
      files = (await readdir(join(this.root, deviceId))).filter((f) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(f)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // Day names are YYYY-MM-DD only up to year 9999 (later years format as "+010000-…", which
    // sorts before every real day): clamp, so a far-future bound still means "everything".
    const fromDay = q.fromMs !== undefined ? dayKey(Math.min(Math.max(0, q.fromMs), LAST_DAY_MS)) : '';
    const toDay = q.toMs !== undefined ? dayKey(Math.min(Math.max(0, q.toMs), LAST_DAY_MS)) : '9999';
    const out: TelemetrySample[] = [];
    const seenBatches = new Set<string>();
    for (const file of files) {
      const day = file.slice(0, 10);
      if (day < fromDay || day > toDay) continue;
      const text = await readFile(join(this.root, deviceId, file), 'utf8');
      let batch = '';
      let skipBatch = false;
      for (const line of parseJsonLines<unknown>(text)) {
        const rows = lineRows(line);
        const first = rows[0];
        if (!first) continue;
        // A batch is one line, or (older files) a contiguous run of sample lines with one nonce
        // and receive time. If its nonce shows up again in a later batch with the same first
        // sample, a gateway from before WAL-carried nonces crashed after storing the samples but
        // before journaling the nonce, and the device resent them: keep the first copy only. The
        // same nonce with other samples is a device that started its nonces again after a nonce
        // reset: kept.
        const key = batchKey(first);
        if (key !== batch) {
          batch = key;
          const sameContent = `${first.nonce}:${first.timestamp}:${JSON.stringify(first.values)}`;
          skipBatch = seenBatches.has(sameContent);
          seenBatches.add(sameContent);
        }
        if (skipBatch) continue;
        if (q.fromMs !== undefined && first.received_at < q.fromMs) continue;
        if (q.toMs !== undefined && first.received_at > q.toMs) continue;
        for (const s of rows) {
          out.push(s);
          if (out.length >= q.limit) return out;
        }
      }
    }
    return out;
  }

  /**
   * Fleet-wide aggregation by scanning: every device's day files received from a day before
   * `fromMs` on (a sample is received after its own time, late when a device uploads what it
   * buffered offline) — slower than the PostgreSQL store's SQL, and documented as such.
   */
  async buckets(q: TelemetryBucketQuery): Promise<TelemetryBucket[]> {
    await this.flush();
    const devices = q.devices ?? (await readdir(this.root).catch(() => [] as string[]));
    const fromDay = dayKey(Math.min(Math.max(0, q.fromMs - DAY_MS), LAST_DAY_MS));
    const fromS = q.fromMs / 1000;
    const toS = q.toMs / 1000;
    const acc = new Map<number, { min: number; max: number; sum: number; count: number }>();
    for (const deviceId of devices) {
      const files = await readdir(join(this.root, deviceId)).catch(() => [] as string[]);
      for (const file of files.filter((f) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(f) && f.slice(0, 10) >= fromDay)) {
        for (const line of parseJsonLines<unknown>(await readFile(join(this.root, deviceId, file), 'utf8'))) {
          for (const row of lineRows(line)) {
            const sec = row.timestamp < 1e12 ? row.timestamp : row.timestamp / 1000;
            const v = Object.hasOwn(row.values, q.field) ? row.values[q.field] : undefined;
            if (typeof v !== 'number' || sec < fromS || sec > toS) continue;
            const t = Math.floor(sec / q.bucketSeconds) * q.bucketSeconds;
            const b = acc.get(t);
            if (b) {
              b.min = Math.min(b.min, v);
              b.max = Math.max(b.max, v);
              b.sum += v;
              b.count++;
            } else acc.set(t, { min: v, max: v, sum: v, count: 1 });
          }
        }
      }
    }
    return [...acc].sort((a, b) => a[0] - b[0]).map(([t, b]) => ({ t, min: b.min, avg: b.sum / b.count, max: b.max, count: b.count }));
  }

  /** Devices with telemetry on disk, by id (db import walks them). */
  async storedDevices(): Promise<string[]> {
    await this.flush();
    return (await readdir(this.root).catch(() => [] as string[])).sort();
  }

  /**
   * A device's batches, a day file at a time, oldest day first, in the order stored — every batch
   * on disk, a batch stored twice included (db import reads them; queries drop the repeat).
   */
  async *storedDays(deviceId: string): AsyncIterable<{ day: string; batches: StoredBatch[] }> {
    await this.flush(deviceId);
    const dir = join(this.root, deviceId);
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(f)).sort();
    for (const file of files) yield { day: file.slice(0, 10), batches: dayFileBatches(await readFile(join(dir, file), 'utf8')) };
  }

  /** Retention: deletes every device's day files whose whole day ended before `beforeMs`. */
  async prune(beforeMs: number): Promise<number> {
    await this.flush();
    const cutoffDay = dayKey(Math.min(Math.max(0, beforeMs), LAST_DAY_MS));
    let removed = 0;
    for (const deviceId of await readdir(this.root).catch(() => [] as string[])) {
      for (const file of await readdir(join(this.root, deviceId)).catch(() => [] as string[])) {
        if (!/^\d{4}-\d{2}-\d{2}\.jsonl$/.test(file) || file.slice(0, 10) >= cutoffDay) continue;
        const path = join(this.root, deviceId, file);
        await this.dayWriter.forget(path);
        await unlink(path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        removed++;
      }
    }
    return removed;
  }

  /** Writes everything staged, makes it durable and deletes the WAL; then refuses appends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.checkpointTimer);
    clearTimeout(this.flushTimer);
    while (this.checkpointing) await this.checkpointing.catch(() => undefined);
    await this.checkpoint();
    await this.walWriter.close();
    await this.dayWriter.close();
  }

  /**
   * Runs a checkpoint that covers every append resolved before the call: afterwards no WAL
   * generation holds them (nor their nonce states). The ledger's nonce reset relies on this.
   */
  async checkpointNow(): Promise<void> {
    while (this.checkpointing) await this.checkpointing.catch(() => undefined);
    await this.checkpoint();
  }

  private generation(seq: number): Generation {
    return { seq, path: join(this.walDir, walFileName(seq)), bytes: 0, inflight: 0, nonces: new Map() };
  }

  /** `retry`: lines handed back by a failed write — wait for the timer, never flush at once again. */
  private stage(deviceId: string, day: string, chunk: Uint8Array, retry = false): void {
    let days = this.staged.get(deviceId);
    if (!days) this.staged.set(deviceId, (days = new Map()));
    const run = days.get(day);
    if (!run) days.set(day, new ByteRun(chunk));
    else if (!retry) run.append(chunk);
    else {
      // Handed-back lines are older than anything staged since: they go first, keeping file order.
      const reordered = new ByteRun(chunk);
      reordered.append(run.bytes());
      days.set(day, reordered);
    }
    this.stagedBytes += chunk.byteLength;
    if (this.stagedBytes >= this.maxStagedBytes && !retry) this.writeStagedInBackground();
    else if (!this.flushTimer) {
      // unref: the staged lines are durable in the WAL, so a pending flush alone is no reason to stay up.
      this.flushTimer = setTimeout(() => this.writeStagedInBackground(), this.flushMs);
      this.flushTimer.unref();
    }
  }

  private writeStagedInBackground(): void {
    if (this.fullFlushQueued) return;
    this.fullFlushQueued = true;
    this.flush().catch((err: unknown) => this.options.logger?.error({ err }, 'could not write telemetry day files; kept in the WAL, will retry'));
  }

  /**
   * Writes staged lines (one device's, or all) to the day files. Flushes run one after another:
   * when one resolves, every line staged before it was called is in the day-file writer's queue
   * or written — what a query (read-after-write) and a checkpoint (fsync, then drop the WAL) need.
   */
  private flush(deviceId?: string): Promise<void> {
    const run = this.flushChain.catch(() => undefined).then(() => {
      if (deviceId === undefined) this.fullFlushQueued = false;
      return this.writeStaged(deviceId);
    });
    this.flushChain = run;
    return run;
  }

  /**
   * Hands staged lines (of one device, or all) to the day files. On a write error the lines are
   * staged again, so a later flush retries and no checkpoint drops the WAL that holds them.
   */
  private async writeStaged(deviceId?: string): Promise<void> {
    let batch: Map<string, Map<string, ByteRun>>;
    if (deviceId === undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      batch = this.staged;
      this.staged = new Map();
      this.stagedBytes = 0;
    } else {
      const days = this.staged.get(deviceId);
      if (!days) return;
      this.staged.delete(deviceId);
      batch = new Map([[deviceId, days]]);
      for (const run of days.values()) this.stagedBytes -= run.byteLength;
    }
    const jobs: { device: string; day: string; text: Uint8Array }[] = [];
    for (const [device, days] of batch) for (const [day, run] of days) jobs.push({ device, day, text: run.bytes() });
    // A few writes at a time (DAY_IO_CONCURRENCY): the WAL's writes must not queue behind them.
    await eachLimited(jobs, DAY_IO_CONCURRENCY, async ({ device, day, text }) => {
      const path = join(this.root, device, `${day}.jsonl`);
      this.dirty.add(path);
      try {
        await this.dayWriter.append(path, text);
      } catch (err) {
        this.stage(device, day, text, true);
        throw err;
      }
    });
  }

  private checkpointInBackground(): void {
    if (this.checkpointing) return;
    this.checkpoint().catch((err: unknown) => this.options.logger?.error({ err }, 'telemetry checkpoint failed; the WAL is kept'));
  }

  /**
   * Starts a new WAL generation, writes and fsyncs every day file the older generations' batches
   * went to, then deletes those generations. Appends go on meanwhile, into the new generation.
   */
  private checkpoint(): Promise<void> {
    this.checkpointing ??= (async () => {
      const old = this.gen;
      if (old.bytes > 0) {
        this.retired.push(old);
        this.gen = this.generation(old.seq + 1);
      }
      if (this.retired.length === 0) return;
      // Appends that wrote to a retired generation must be staged before the flush below.
      for (const g of this.retired) if (g.inflight > 0) await new Promise<void>((r) => (g.drained = r));
      await this.flush();
      const paths = [...this.dirty];
      this.dirty.clear();
      try {
        if (this.options.fsync) await eachLimited(paths, DAY_IO_CONCURRENCY, (p) => this.dayWriter.sync(p));
      } catch (err) {
        for (const p of paths) this.dirty.add(p);
        throw err;
      }
      // The nonce states these generations carry must be durable elsewhere before they go.
      const nonces: WalNonceStates = new Map();
      for (const g of this.retired) for (const [d, state] of g.nonces) keepNewest(nonces, d, state);
      if (nonces.size > 0) await this.options.nonceSink!.adoptWalStates(nonces);
      for (const g of this.retired.splice(0)) {
        await this.walWriter.forget(g.path);
        await unlink(g.path).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
    })().finally(() => {
      this.checkpointing = null;
    });
    return this.checkpointing;
  }
}
