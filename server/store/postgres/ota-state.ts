/**
 * OTA state on PostgreSQL (0003_ota.sql): `ota_devices` (version, counter floors, results),
 * `ota_sessions` (each device's current session) and `ota_version_counters`. Every decision is
 * taken under a row lock with the pure rules of server/ota/state.ts and sessions.ts, so any number
 * of replicas decide exactly as one gateway: openSession locks the device's session row (and
 * decides again if another replica created it meanwhile); complete locks the device's row, then
 * its session, so a report repeated to another replica finds the first one's result and is not
 * counted twice; noteCheck is one upsert that only raises the floor.
 *
 * The hot path is written behind, as the embedded store does: `recordChunk` (one per chunk
 * request) reads the session to check it, then queues the chunk; `recordDownload` (one per range
 * request) only queues. A flush at most every FLUSH_MS, or once MAX_PENDING chunks are queued,
 * sends everything in one round trip (one transaction): per session the chunks in the order
 * served (fg_ota_progress), per version the increments (x = x + delta), so counts from every
 * replica add up. Bound on loss: a replica that dies loses at most the last FLUSH_MS (and at most
 * MAX_PENDING chunks) of progress and download statistics — hints, never decisions (devices resume
 * from their own verified state). Reads and decisions of this replica flush its queue first, so it
 * always reads its own writes; another replica's progress shows within FLUSH_MS.
 */
import type { Logger } from '../../logger.ts';
import { abandonIfSilent, afterChunk, requireChunkSession, type OtaSession, type SessionImage, type SessionStatus } from '../../ota/sessions.ts';
import {
  ZERO_COUNTERS,
  addCounters,
  completionResult,
  openResult,
  type CompletionOutcome,
  type CompletionReport,
  type CounterBump,
  type DeviceOtaResult,
  type DeviceOtaState,
  type OpenOutcome,
  type OtaStateRepo,
  type VersionCounters,
} from '../../ota/state.ts';
import type { Sql } from './connect.ts';

export const FLUSH_MS = 1000;
/** Queued chunks that trigger a flush before the timer. */
export const MAX_PENDING = 512;

interface DeviceRow {
  device_id: string;
  current_version: string | null;
  reported_counter: number;
  completed_counter: number;
  last_check_at: number | null;
  result_version: string | null;
  result_success: boolean | null;
  result_error: string | null;
  result_at: number | null;
  /** jsonb, parsed by postgres.js: DeviceOtaResult[] newest first (0015). */
  history: DeviceOtaResult[];
  successes: number;
  failures: number;
}

type SessionRow = OtaSession;
type CounterRow = VersionCounters & { version: string };

function toDevice(r: DeviceRow): DeviceOtaState {
  return {
    device_id: r.device_id,
    current_version: r.current_version,
    reported_counter: r.reported_counter,
    completed_counter: r.completed_counter,
    last_check_at: r.last_check_at,
    last_result: r.result_version === null ? null : { version: r.result_version, success: r.result_success!, error: r.result_error, at: r.result_at! },
    history: r.history,
    successes: r.successes,
    failures: r.failures,
  };
}

/** The columns of `ota_devices` besides the id (also what db import writes). */
export function deviceColumns(d: DeviceOtaState) {
  return {
    current_version: d.current_version,
    reported_counter: d.reported_counter,
    completed_counter: d.completed_counter,
    last_check_at: d.last_check_at,
    result_version: d.last_result?.version ?? null,
    result_success: d.last_result?.success ?? null,
    result_error: d.last_result?.error ?? null,
    result_at: d.last_result?.at ?? null,
    // The array itself: postgres.js learns from the statement that the column is jsonb and
    // serialises it as JSON (a string here would be stored as a JSON string).
    history: d.history ?? [],
    successes: d.successes,
    failures: d.failures,
  };
}

/** A session with exactly the columns of `ota_sessions` (also what db import writes). */
export function toSession(r: SessionRow): OtaSession {
  return {
    session_id: r.session_id,
    device_id: r.device_id,
    version: r.version,
    chunk_root: r.chunk_root,
    total_chunks: r.total_chunks,
    chunk_size: r.chunk_size,
    encrypted_size: r.encrypted_size,
    rollout_id: r.rollout_id,
    status: r.status as SessionStatus,
    started_at: r.started_at,
    last_activity_at: r.last_activity_at,
    finished_at: r.finished_at,
    next_chunk: r.next_chunk,
    highest_chunk: r.highest_chunk,
    chunks_served: r.chunks_served,
    refetches: r.refetches,
    bytes_served: r.bytes_served,
    error: r.error,
  };
}

/** Adds `bumps` to the per-version counters (versions in order: concurrent writers never deadlock). */
async function addVersionCounters(sql: Sql, bumps: readonly CounterBump[]): Promise<void> {
  const byVersion = new Map<string, VersionCounters>();
  for (const b of bumps) byVersion.set(b.version, addCounters(byVersion.get(b.version) ?? { ...ZERO_COUNTERS }, b.delta));
  if (byVersion.size === 0) return;
  await counterUpsert(sql, [...byVersion].map(([version, c]) => ({ version, ...c })));
}

function counterUpsert(sql: Sql, rows: CounterRow[]) {
  rows.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  return sql`
    INSERT INTO ota_version_counters AS c ${sql(rows)}
    ON CONFLICT (version) DO UPDATE SET
      sessions_started = c.sessions_started + EXCLUDED.sessions_started,
      sessions_resumed = c.sessions_resumed + EXCLUDED.sessions_resumed,
      sessions_replaced = c.sessions_replaced + EXCLUDED.sessions_replaced,
      successes = c.successes + EXCLUDED.successes,
      failures = c.failures + EXCLUDED.failures,
      chunks_served = c.chunks_served + EXCLUDED.chunks_served,
      chunk_bytes = c.chunk_bytes + EXCLUDED.chunk_bytes,
      downloads = c.downloads + EXCLUDED.downloads,
      download_bytes = c.download_bytes + EXCLUDED.download_bytes`;
}

/** Chunks this replica served for one session and has not flushed yet, in serving order. */
interface PendingProgress {
  deviceId: string;
  sessionId: string;
  chunks: { index: number; bytes: number; at: number }[];
}

export class PgOtaStateRepo implements OtaStateRepo {
  private progress = new Map<string, PendingProgress>();
  private counters = new Map<string, VersionCounters>();
  private pendingChunks = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly sql: Sql,
    private readonly logger?: Logger,
  ) {}

  async device(deviceId: string): Promise<DeviceOtaState | undefined> {
    const [row] = await this.sql<DeviceRow[]>`SELECT * FROM ota_devices WHERE device_id = ${deviceId}`;
    return row && toDevice(row);
  }

  async devices(): Promise<DeviceOtaState[]> {
    return (await this.sql<DeviceRow[]>`SELECT * FROM ota_devices ORDER BY device_id`).map(toDevice);
  }

  async session(deviceId: string): Promise<OtaSession | undefined> {
    await this.flush();
    const [row] = await this.sql<SessionRow[]>`SELECT * FROM ota_sessions WHERE device_id = ${deviceId}`;
    return row && toSession(row);
  }

  async sessions(): Promise<OtaSession[]> {
    await this.flush();
    return (await this.sql<SessionRow[]>`SELECT * FROM ota_sessions ORDER BY device_id`).map(toSession);
  }

  async versionCounters(): Promise<Record<string, VersionCounters>> {
    await this.flush();
    const out = Object.create(null) as Record<string, VersionCounters>;
    for (const { version, ...c } of await this.sql<CounterRow[]>`SELECT * FROM ota_version_counters ORDER BY version`) out[version] = c;
    return out;
  }

  async noteCheck(deviceId: string, report: { version: string; counter: number | null }, now: number): Promise<DeviceOtaState> {
    // state.ts afterCheck as one statement: the floor only rises, whichever replica writes last.
    const [row] = await this.sql<DeviceRow[]>`
      INSERT INTO ota_devices AS d (device_id, current_version, reported_counter, last_check_at)
      VALUES (${deviceId}, ${report.version}, ${report.counter ?? 0}, ${now})
      ON CONFLICT (device_id) DO UPDATE SET
        current_version = EXCLUDED.current_version,
        reported_counter = GREATEST(d.reported_counter, EXCLUDED.reported_counter),
        last_check_at = EXCLUDED.last_check_at
      RETURNING *`;
    return toDevice(row!);
  }

  async openSession(deviceId: string, image: SessionImage, rolloutId: string | null, now: number, idleMs: number, newId: () => string) {
    await this.flush();
    return this.sql.begin(async (tx) => {
      for (;;) {
        const [row] = await tx<SessionRow[]>`SELECT * FROM ota_sessions WHERE device_id = ${deviceId} FOR UPDATE`;
        const { session, outcome, replaced, bumps } = openResult(row && toSession(row), deviceId, image, rolloutId, now, idleMs, newId);
        const { device_id: _id, ...columns } = session;
        if (row) await tx`UPDATE ota_sessions SET ${tx(columns)} WHERE device_id = ${deviceId}`;
        else if ((await tx`INSERT INTO ota_sessions ${tx(session)} ON CONFLICT (device_id) DO NOTHING RETURNING device_id`).length === 0) {
          continue; // another replica created the device's session meanwhile: decide again under its lock
        }
        await addVersionCounters(tx as unknown as Sql, bumps);
        return { session, outcome: outcome as OpenOutcome, replaced };
      }
    });
  }

  async abandonSilent(silentSince: number, now: number): Promise<OtaSession[]> {
    // This replica's progress first: a session it is still serving is not silent.
    await this.flush();
    return this.sql.begin(async (tx) => {
      const rows = await tx<SessionRow[]>`
        SELECT * FROM ota_sessions WHERE status = 'active' AND last_activity_at < ${silentSince} ORDER BY device_id FOR UPDATE SKIP LOCKED`;
      const closed: OtaSession[] = [];
      for (const row of rows) {
        const abandoned = abandonIfSilent(toSession(row), silentSince, now);
        if (!abandoned) continue;
        await tx`UPDATE ota_sessions SET status = 'abandoned', finished_at = ${now}, error = ${abandoned.error}
                 WHERE device_id = ${row.device_id} AND session_id = ${row.session_id}`;
        closed.push(abandoned);
      }
      return closed;
    });
  }

  async recordChunk(deviceId: string, version: string, chunkRoot: string, index: number, bytes: number, now: number): Promise<OtaSession> {
    const [row] = await this.sql<SessionRow[]>`SELECT * FROM ota_sessions WHERE device_id = ${deviceId}`;
    let stored = row && toSession(row);
    // This replica's chunks not flushed yet, so the answer is what one gateway would say.
    const queued = stored && this.progress.get(stored.session_id);
    if (stored && queued) for (const c of queued.chunks) stored = afterChunk(stored, c.index, c.bytes, Math.max(stored.last_activity_at, c.at));
    const session = requireChunkSession(stored, version, chunkRoot);
    const pending = queued ?? { deviceId, sessionId: session.session_id, chunks: [] };
    pending.chunks.push({ index, bytes, at: now });
    this.progress.set(session.session_id, pending);
    this.pendingChunks++;
    this.addPending(version, { chunks_served: 1, chunk_bytes: bytes });
    return afterChunk(session, index, bytes, now);
  }

  recordDownload(version: string, bytes: number): void {
    this.addPending(version, { downloads: 1, download_bytes: bytes });
  }

  async complete(deviceId: string, report: CompletionReport, now: number): Promise<CompletionOutcome> {
    await this.flush();
    return this.sql.begin(async (tx) => {
      // Creates the device's row if needed and locks it: reports of one device are decided one at a time.
      const [deviceRow] = await tx<DeviceRow[]>`
        INSERT INTO ota_devices (device_id) VALUES (${deviceId})
        ON CONFLICT (device_id) DO UPDATE SET device_id = EXCLUDED.device_id
        RETURNING *`;
      const [sessionRow] = await tx<SessionRow[]>`SELECT * FROM ota_sessions WHERE device_id = ${deviceId} FOR UPDATE`;
      const { counted, session, device, bumps } = completionResult(toDevice(deviceRow!), deviceId, sessionRow && toSession(sessionRow), report, now);
      if (session) {
        await tx`UPDATE ota_sessions SET status = ${session.status}, finished_at = ${session.finished_at}, last_activity_at = ${session.last_activity_at},
          error = ${session.error} WHERE device_id = ${deviceId}`;
      }
      await tx`UPDATE ota_devices SET ${tx(deviceColumns(device))} WHERE device_id = ${deviceId}`;
      await addVersionCounters(tx as unknown as Sql, bumps);
      return { counted, session, device, rollout_id: session?.rollout_id ?? null };
    });
  }

  /** Sends everything queued (one round trip, one transaction). On failure it stays queued for the next try. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.progress.size === 0 && this.counters.size === 0) return;
    const progress = this.progress;
    const counters = this.counters;
    this.progress = new Map();
    this.counters = new Map();
    this.pendingChunks = 0;
    this.flushing = this.send(progress, counters).catch((err: unknown) => {
      this.requeue(progress, counters);
      throw err;
    });
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async send(progress: Map<string, PendingProgress>, counters: Map<string, VersionCounters>): Promise<void> {
    // Device order for session rows, version order for counters: two replicas' flushes never deadlock.
    const sessions = [...progress.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
    const queries = sessions.map((p) => {
      const bytes = p.chunks.reduce((n, c) => n + c.bytes, 0);
      const at = p.chunks.reduce((t, c) => Math.max(t, c.at), 0);
      return this.sql`SELECT fg_ota_progress(${p.deviceId}, ${p.sessionId}, ${p.chunks.map((c) => c.index)}::integer[], ${bytes}, ${at})`;
    });
    if (counters.size > 0) queries.push(counterUpsert(this.sql, [...counters].map(([version, c]) => ({ version, ...c }))));
    await this.sql.batch(queries);
  }

  /** Puts a failed flush's changes back in front of what was queued since. */
  private requeue(progress: Map<string, PendingProgress>, counters: Map<string, VersionCounters>): void {
    for (const [id, p] of this.progress) {
      const earlier = progress.get(id);
      if (earlier) earlier.chunks.push(...p.chunks);
      else progress.set(id, p);
    }
    for (const [v, c] of this.counters) counters.set(v, addCounters(counters.get(v) ?? { ...ZERO_COUNTERS }, c));
    this.progress = progress;
    this.counters = counters;
    this.pendingChunks = [...progress.values()].reduce((n, p) => n + p.chunks.length, 0);
    this.schedule();
  }

  private addPending(version: string, delta: Partial<VersionCounters>): void {
    this.counters.set(version, addCounters(this.counters.get(version) ?? { ...ZERO_COUNTERS }, delta));
    if (this.pendingChunks >= MAX_PENDING && !this.flushing) this.flushInBackground();
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushInBackground();
    }, FLUSH_MS);
    this.timer.unref();
  }

  private flushInBackground(): void {
    void this.flush().catch((err: unknown) => this.logger?.error({ err }, 'OTA progress flush failed; kept for the next one'));
  }
}
