/**
 * The embedded OtaStateRepo: one lowdb document, DATA_DIR/ota-state.json, holding device OTA
 * state, the current session of each device and per-version counters. Decisions (noteCheck,
 * openSession, complete) are one `mutate` each and durable before they return. The hot path —
 * one `recordChunk` per chunk request, one `recordDownload` per range request — only updates
 * memory and marks the document dirty; a timer folds the changes in with one write at most every
 * FLUSH_MS, and `close` flushes. Rewriting the whole document per chunk would cost a file write
 * plus fsync for every 1 KiB served; losing up to a second of progress counters in a power cut
 * costs nothing (devices resume from their own verified state, sessions.ts).
 *
 * A check that only moves the device's last_check_at (same version, same counter: almost every
 * check) is hot as well, written within CHECK_FLUSH_MS: at 10,000 devices the document is several
 * MB, and writing it for every check kept the disk busy with rewrites of unchanged state.
 */
import { join } from 'node:path';
import type { Logger } from '../../logger.ts';
import { idTable } from './id-table.ts';
import { JsonDocument } from './json-document.ts';
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

interface StateDoc {
  devices: Record<string, DeviceOtaState>;
  sessions: Record<string, OtaSession>;
  versions: Record<string, VersionCounters>;
}

const FLUSH_MS = 1000;
/** How long a check time may wait for a write when nothing else changed (see above). */
const CHECK_FLUSH_MS = 30_000;

export class LowdbOtaStateRepo implements OtaStateRepo {
  /** Sessions changed by recordChunk since the last flush (newest state). */
  private readonly hotSessions = new Map<string, OtaSession>();
  /** Per-version counter increments not yet in the document. */
  private readonly hotCounters = new Map<string, VersionCounters>();
  /** Devices whose last check moved nothing but its time, and that time, since the last write. */
  private readonly hotCheckTimes = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private timerDue = 0;
  /** Document writes (mutate) not yet settled. */
  private writing = 0;
  private closed = false;
  /** Hot changes were folded into memory by a change that then threw (so nothing was written). */
  private unwritten = false;

  private constructor(
    private readonly doc: JsonDocument<StateDoc>,
    private readonly logger: Logger,
  ) {}

  static async open(dataDir: string, logger: Logger): Promise<LowdbOtaStateRepo> {
    const doc = await JsonDocument.open<StateDoc>(join(dataDir, 'ota-state.json'), { devices: {}, sessions: {}, versions: {} });
    doc.data.devices = idTable(doc.data.devices);
    doc.data.sessions = idTable(doc.data.sessions);
    doc.data.versions = idTable(doc.data.versions);
    return new LowdbOtaStateRepo(doc, logger);
  }

  async device(deviceId: string): Promise<DeviceOtaState | undefined> {
    return this.peekDevice(deviceId);
  }

  private peekDevice(deviceId: string): DeviceOtaState | undefined {
    const stored = this.doc.data.devices[deviceId];
    const checked = this.hotCheckTimes.get(deviceId);
    return stored && checked !== undefined ? { ...stored, last_check_at: checked } : stored;
  }

  async devices(): Promise<DeviceOtaState[]> {
    if (this.hotCheckTimes.size === 0) return Object.values(this.doc.data.devices);
    return Object.keys(this.doc.data.devices).map((id) => this.peekDevice(id)!);
  }

  async session(deviceId: string): Promise<OtaSession | undefined> {
    return this.peekSession(deviceId);
  }

  private peekSession(deviceId: string): OtaSession | undefined {
    return this.hotSessions.get(deviceId) ?? this.doc.data.sessions[deviceId];
  }

  async sessions(): Promise<OtaSession[]> {
    const all = idTable(this.doc.data.sessions);
    for (const [id, s] of this.hotSessions) all[id] = s;
    return Object.values(all);
  }

  async versionCounters(): Promise<Record<string, VersionCounters>> {
    const out = idTable<VersionCounters>();
    for (const [v, c] of Object.entries(this.doc.data.versions)) out[v] = { ...c };
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
    if (timeOnly && this.writing === 0 && !this.unwritten && !this.closed) {
      this.hotCheckTimes.set(deviceId, now);
      this.schedule(CHECK_FLUSH_MS);
      return Promise.resolve(after);
    }
    return this.mutate((d) => (d.devices[deviceId] = afterCheck(d.devices[deviceId], deviceId, report, now)));
  }

  openSession(deviceId: string, image: SessionImage, rolloutId: string | null, now: number, idleMs: number, newId: () => string) {
    return this.mutate((d) => {
      const { session, outcome, replaced, bumps } = openResult(d.sessions[deviceId], deviceId, image, rolloutId, now, idleMs, newId);
      for (const b of bumps) bump(d, b.version, b.delta);
      d.sessions[deviceId] = session;
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
    return this.mutate((d) => {
      const { counted, session, device, bumps } = completionResult(d.devices[deviceId], deviceId, d.sessions[deviceId], report, now);
      if (session) d.sessions[deviceId] = session;
      d.devices[deviceId] = device;
      for (const b of bumps) bump(d, b.version, b.delta);
      return { counted, session, device, rollout_id: session?.rollout_id ?? null };
    });
  }

  abandonSilent(silentSince: number, now: number): Promise<OtaSession[]> {
    return this.mutate((d) => {
      const closed: OtaSession[] = [];
      for (const s of Object.values(d.sessions)) {
        const abandoned = abandonIfSilent(s, silentSince, now);
        if (!abandoned) continue;
        d.sessions[s.device_id] = abandoned;
        closed.push(abandoned);
      }
      return closed;
    });
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.hotSessions.size === 0 && this.hotCounters.size === 0 && this.hotCheckTimes.size === 0 && !this.unwritten) return;
    this.unwritten = false;
    try {
      await this.mutate(() => undefined);
    } catch (err) {
      // The hot changes are in the document in memory but not on disk: the next flush (or close)
      // must write it even if nothing else changes meanwhile.
      this.unwritten = true;
      this.schedule(FLUSH_MS);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Every write folds the hot changes in first, so the document never goes back in time. */
  private mutate<R>(change: (d: StateDoc) => R): Promise<R> {
    this.writing++;
    return this.fold(change).finally(() => this.writing--);
  }

  private fold<R>(change: (d: StateDoc) => R): Promise<R> {
    return this.doc.mutate((d) => {
      for (const [id, s] of this.hotSessions) {
        // A session replaced or finished since must not be overwritten by stale progress.
        if (d.sessions[id]?.session_id === s.session_id && d.sessions[id]?.status === 'active') d.sessions[id] = s;
      }
      this.hotSessions.clear();
      for (const [v, delta] of this.hotCounters) bump(d, v, delta);
      this.hotCounters.clear();
      for (const [id, at] of this.hotCheckTimes) {
        const device = d.devices[id];
        if (device) d.devices[id] = { ...device, last_check_at: at };
      }
      this.hotCheckTimes.clear();
      try {
        return change(d);
      } catch (err) {
        this.unwritten = true;
        this.schedule(FLUSH_MS);
        throw err;
      }
    });
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

function bump(d: StateDoc, version: string, delta: Partial<VersionCounters>): void {
  d.versions[version] = addCounters(d.versions[version] ?? { ...ZERO_COUNTERS }, delta);
}
