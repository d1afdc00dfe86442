/**
 * The embedded OtaStateRepo: device OTA state, the current session of each device and per-version
 * counters, as three tables of a JournaledTables (DATA_DIR/ota-state.json, a snapshot, and
 * ota-state-journal/, one line per group commit holding the records it changed): a result at
 * 10,000 devices writes its own few records, not the whole ~15 MB state. Decisions (noteCheck,
 * openSession, complete) are one `mutate` each and durable before they return. The hot path —
 * one `recordChunk` per chunk request, one `recordDownload` per range request — only updates
 * memory; a timer folds the changes in with one write at most every FLUSH_MS, and `close` flushes.
 * A durable write per chunk would cost an fsync for every 1 KiB served; losing up to a second of
 * progress counters in a power cut costs nothing (devices resume from their own verified state,
 * sessions.ts).
 *
 * A check that only moves the device's last_check_at (same version, same counter: almost every
 * check) is hot as well, written within CHECK_FLUSH_MS (with the next write, at the latest): an
 * fsync per check would be spent on a time that decides nothing.
 */
import type { Logger } from '../../logger.ts';
import type { AppendWriter } from './append-writer.ts';
import { idTable } from './id-table.ts';
import { JournaledTables, type JournaledTablesOptions } from './journaled-tables.ts';
import { abandonIfSilent, afterChunk, requireChunkSession, type OtaSession, type SessionImage } from '../../ota/sessions.ts';
import {
  ZERO_COUNTERS,
  addCounters,
  afterCheck,
  completionResult,
  openResult,
  type CompletionOutcome,
  type CompletionReport,
  type DeviceOtaState,
  type OtaStateRepo,
  type VersionCounters,
} from '../../ota/state.ts';

export interface OtaTables {
  devices: Record<string, DeviceOtaState>;
  sessions: Record<string, OtaSession>;
  versions: Record<string, VersionCounters>;
}

/** The files: ota-state.json (snapshot) and ota-state-journal/ (README "The OTA state journal"). */
export const OTA_STATE_NAME = 'ota-state';
export const emptyOtaTables = (): OtaTables => ({ devices: {}, sessions: {}, versions: {} });

const FLUSH_MS = 1000;
/** How long a check time may wait for a write when nothing else changed (see above). */
const CHECK_FLUSH_MS = 30_000;

export class JournalOtaStateRepo implements OtaStateRepo {
  /** Sessions changed by recordChunk since the last flush (newest state). */
  private readonly hotSessions = new Map<string, OtaSession>();
  /** Per-version counter increments not yet in the tables. */
  private readonly hotCounters = new Map<string, VersionCounters>();
  /** Devices whose last check moved nothing but its time, and that time, since the last write. */
  private readonly hotCheckTimes = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  /** Changes (mutate) not yet durable. */
  private writing = 0;
  private closed = false;

  private constructor(
    private readonly tables: JournaledTables<OtaTables>,
    private readonly logger: Logger,
  ) {}

  static async open(dataDir: string, writer: AppendWriter, logger: Logger, options: Omit<JournaledTablesOptions, 'logger'> = {}): Promise<JournalOtaStateRepo> {
    const tables = await JournaledTables.open(dataDir, OTA_STATE_NAME, writer, emptyOtaTables, { ...options, logger });
    return new JournalOtaStateRepo(tables, logger);
  }

  private get d(): OtaTables {
    return this.tables.data;
  }

  async device(deviceId: string): Promise<DeviceOtaState | undefined> {
    return this.peekDevice(deviceId);
  }

  private peekDevice(deviceId: string): DeviceOtaState | undefined {
    const stored = this.d.devices[deviceId];
    const checked = this.hotCheckTimes.get(deviceId);
    return stored && checked !== undefined ? { ...stored, last_check_at: checked } : stored;
  }

  async devices(): Promise<DeviceOtaState[]> {
    if (this.hotCheckTimes.size === 0) return Object.values(this.d.devices);
    return Object.keys(this.d.devices).map((id) => this.peekDevice(id)!);
  }

  async session(deviceId: string): Promise<OtaSession | undefined> {
    return this.peekSession(deviceId);
  }

  private peekSession(deviceId: string): OtaSession | undefined {
    return this.hotSessions.get(deviceId) ?? this.d.sessions[deviceId];
  }

  async sessions(): Promise<OtaSession[]> {
    if (this.hotSessions.size === 0) return Object.values(this.d.sessions);
    return Object.keys(this.d.sessions).map((id) => this.peekSession(id)!);
  }

  async versionCounters(): Promise<Record<string, VersionCounters>> {
    const out = idTable<VersionCounters>();
    for (const [v, c] of Object.entries(this.d.versions)) out[v] = { ...c };
    for (const [v, delta] of this.hotCounters) out[v] = addCounters(out[v] ?? { ...ZERO_COUNTERS }, delta);
    return out;
  }

  noteCheck(deviceId: string, report: { version: string; counter: number | null }, now: number): Promise<DeviceOtaState> {
    const before = this.peekDevice(deviceId);
    const after = afterCheck(before, deviceId, report, now);
    // Answered at once only when nothing else is being written: memory may already hold a change
    // (this device's new version, a result) whose write is still in flight, and an answer must
    // never rest on state that is not on disk yet. Then the check joins that write instead.
    const timeOnly = before && before.current_version === after.current_version && before.reported_counter === after.reported_counter;
    if (timeOnly && this.writing === 0 && !this.tables.pending && !this.closed) {
      this.hotCheckTimes.set(deviceId, now);
      this.schedule(CHECK_FLUSH_MS);
      return Promise.resolve(after);
    }
    return this.mutate(() => this.setDevice(afterCheck(this.d.devices[deviceId], deviceId, report, now)));
  }

  openSession(deviceId: string, image: SessionImage, rolloutId: string | null, now: number, idleMs: number, newId: () => string) {
    return this.mutate(() => {
      const { session, outcome, replaced, bumps } = openResult(this.d.sessions[deviceId], deviceId, image, rolloutId, now, idleMs, newId);
      for (const b of bumps) this.bump(b.version, b.delta);
      this.tables.set('sessions', deviceId, session);
      return { session, outcome, replaced };
    });
  }

  async recordChunk(deviceId: string, version: string, chunkRoot: string, index: number, bytes: number, now: number): Promise<OtaSession> {
    const session = requireChunkSession(this.peekSession(deviceId), version, chunkRoot);
    const next = afterChunk(session, index, bytes, now);
    this.hotSessions.set(deviceId, next);
    this.addHot(version, { chunks_served: 1, chunk_bytes: bytes });
    return next;
  }

  recordDownload(version: string, bytes: number): void {
    this.addHot(version, { downloads: 1, download_bytes: bytes });
  }

  complete(deviceId: string, report: CompletionReport, now: number): Promise<CompletionOutcome> {
    return this.mutate(() => {
      const { counted, session, device, bumps } = completionResult(this.d.devices[deviceId], deviceId, this.d.sessions[deviceId], report, now);
      if (session) this.tables.set('sessions', deviceId, session);
      this.setDevice(device);
      for (const b of bumps) this.bump(b.version, b.delta);
      return { counted, session, device, rollout_id: session?.rollout_id ?? null };
    });
  }

  abandonSilent(silentSince: number, now: number): Promise<OtaSession[]> {
    return this.mutate(() => {
      const closed: OtaSession[] = [];
      for (const s of Object.values(this.d.sessions)) {
        const abandoned = abandonIfSilent(s, silentSince, now);
        if (!abandoned) continue;
        this.tables.set('sessions', s.device_id, abandoned);
        closed.push(abandoned);
      }
      return closed;
    });
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.hotSessions.size === 0 && this.hotCounters.size === 0 && this.hotCheckTimes.size === 0 && !this.tables.pending) return;
    try {
      await this.mutate(() => undefined);
    } catch (err) {
      // The hot changes are in the tables in memory but not on disk: the journal writes them with
      // its next write; make sure there is one even if nothing else changes meanwhile.
      this.schedule(FLUSH_MS);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    await this.tables.close();
  }

  /**
   * Applies `change` (and every hot change first, so the tables never go back in time) to memory
   * now; resolves once all of it is durable. A change that throws leaves what it set to the next
   * write, as memory already holds it.
   */
  private mutate<R>(change: () => R): Promise<R> {
    this.writing++;
    let result: R;
    try {
      this.fold();
      result = change();
    } catch (err) {
      this.schedule(FLUSH_MS);
      this.writing--;
      return Promise.reject(err);
    }
    return this.tables
      .commit()
      .then(() => result)
      .finally(() => this.writing--);
  }

  private fold(): void {
    for (const [id, s] of this.hotSessions) {
      // A session replaced or finished since must not be overwritten by stale progress.
      const stored = this.d.sessions[id];
      if (stored?.session_id === s.session_id && stored.status === 'active') this.tables.set('sessions', id, s);
    }
    this.hotSessions.clear();
    for (const [v, delta] of this.hotCounters) this.bump(v, delta);
    this.hotCounters.clear();
    for (const [id, at] of this.hotCheckTimes) {
      const device = this.d.devices[id];
      if (device) this.setDevice({ ...device, last_check_at: at });
    }
    this.hotCheckTimes.clear();
  }

  private setDevice(device: DeviceOtaState): DeviceOtaState {
    this.tables.set('devices', device.device_id, device);
    return device;
  }

  private bump(version: string, delta: Partial<VersionCounters>): void {
    this.tables.set('versions', version, addCounters(this.d.versions[version] ?? { ...ZERO_COUNTERS }, delta));
  }

  private addHot(version: string, delta: Partial<VersionCounters>): void {
    this.hotCounters.set(version, addCounters(this.hotCounters.get(version) ?? { ...ZERO_COUNTERS }, delta));
    this.schedule(FLUSH_MS);
  }

  /** A write within `delayMs`: the timer set, or brought forward if it is due later. */
  private schedule(delayMs: number): void {
    if (this.closed) return;
    const due = Date.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch((err: unknown) => this.logger.error({ err }, 'OTA progress flush failed'));
    }, delayMs);
    this.timer.unref();
  }
}
