/**
 * The anti-replay ledger on PostgreSQL: `device_nonces` (each device's last accepted message) and
 * `nonce_claims` (signed requests being answered), changed only through the functions of
 * 0001_core.sql, which serialize each device with an advisory lock — so two gateways given the
 * same message at the same moment accept it once. Nothing here is cached: no gateway ever decides
 * from its own memory whether a nonce is new.
 *
 * Uploads are grouped: every upload that arrives while a transaction is in flight joins the next
 * one — one `fg_accept_upload_group` statement (0016) for the whole group, in device-id order so two
 * gateways' groups never deadlock: one round trip, one commit, one WAL flush. A second group may
 * overlap the first once enough wait (OVERLAP_MIN_WAITING), never with a device of the first. A
 * 'wait' answer (a signed request of that device holds a claim on that nonce or a newer one) is
 * asked again shortly; a claim older than STALE_CLAIM_MS belongs to a gateway that died
 * mid-request.
 */
import { UnavailableError } from '../../errors.ts';
import type { Claim, NonceLedger, NonceSummary, StoredReply, TelemetryBatch, UploadOutcome } from '../types.ts';
import type { Sql } from './connect.ts';
import { batchColumns } from './telemetry.ts';

/** A claim older than this was never committed: its gateway died (requests take far less). */
export const STALE_CLAIM_MS = 30_000;
/** How long a message waits between asks while another request of its device holds a claim. */
const WAIT_STEP_MS = 5;
/** Uploads per group. */
const MAX_GROUP = 256;
/**
 * A second group goes while one is in flight only once this many uploads wait: then it is worth its
 * own commit, and it is stored while the first one's statement travels and commits. Fewer wait
 * for the first group to come back and join the next one, so groups stay large and each commit
 * stays one WAL flush. Measured with the ingest load (1,000 devices, 50 connections,
 * `npx tsx scripts/bench/compare.ts pg …`, paired segments, 2026-12-07): a second group from 20
 * waiting gave 4 % more uploads/s than one group in flight (15 of 20 pairs ahead), at 55-63
 * instead of ~40 commits per 1,000 uploads; a second one whenever any wait was slower than one
 * (half-size groups: twice the commits, a third more PostgreSQL CPU per upload).
 */
const OVERLAP_MIN_WAITING = 20;
/** Groups in flight at once (see OVERLAP_MIN_WAITING). */
const MAX_IN_FLIGHT = 2;
/**
 * How long an upload may wait for the database, queued or in a group in flight, before it is
 * answered 503 (retry with the same nonce). A database behind a network partition never fails a
 * statement, it just never answers; without a limit every upload arriving meanwhile would wait,
 * body and all, for as long as the partition lasts. Below the devices' own HTTP timeout (15 s), so
 * they get an answer. A statement that commits after its uploads were answered is harmless: the
 * retry finds its nonce accepted and is answered as a duplicate.
 */
export const UPLOAD_DEADLINE_MS = 10_000;
/** Uploads queued at most (far above any real backlog: one per open connection); beyond, 503 at once. */
export const MAX_QUEUED_UPLOADS = 10_000;

interface QueuedUpload {
  deviceId: string;
  nonce: number;
  mac: string;
  now: number;
  batch: TelemetryBatch;
  waitedMs: number;
  /** performance.now() when it was queued (UPLOAD_DEADLINE_MS). */
  queuedAt: number;
  /** Answered 503 past its deadline: whatever the database says later is not asked again. */
  expired?: boolean;
  resolve(outcome: UploadOutcome): void;
  reject(err: unknown): void;
}

export class PgNonceLedger implements NonceLedger {
  private queue: QueuedUpload[] = [];
  private inFlight = 0;
  /**
   * Devices with an upload in a group in flight. A later upload of one of them waits for the next
   * group: two transactions of this gateway could take the device's lock in either order, and a
   * device's uploads must be judged in the order they arrived.
   */
  private readonly devicesInFlight = new Map<string, number>();
  /** Groups whose statement has not come back, by when each was sent (UPLOAD_DEADLINE_MS). */
  private readonly sending = new Map<QueuedUpload[], number>();
  /** Checks deadlines once a second while anything waits (not a timer per upload: the hot path). */
  private sweeper: NodeJS.Timeout | undefined;
  /** Transactions committed for uploads, and uploads in them (the benchmark reports the ratio). */
  readonly groups = { commits: 0, uploads: 0 };

  constructor(
    private readonly sql: Sql,
    private readonly deadlineMs = UPLOAD_DEADLINE_MS,
  ) {}

  async claim(deviceId: string, nonce: number, mac: string, now: number): Promise<Claim> {
    for (let waited = 0; ; waited += WAIT_STEP_MS) {
      const [row] = await this.sql<{ outcome: string; last_nonce: number | null; reply: StoredReply | null }[]>`
        SELECT * FROM fg_claim_nonce(${deviceId}, ${nonce}, ${mac}, ${STALE_CLAIM_MS})`;
      if (row!.outcome === 'wait') {
        if (waited > STALE_CLAIM_MS + 1000) throw new Error(`nonce claim of ${deviceId} still blocked after ${waited} ms`);
        await sleep(WAIT_STEP_MS);
        continue;
      }
      if (row!.outcome === 'duplicate') return row!.reply ? { outcome: 'duplicate', reply: row!.reply } : { outcome: 'duplicate' };
      if (row!.outcome === 'replay') return { outcome: 'replay', lastNonce: row!.last_nonce! };
      return this.freshClaim(deviceId, nonce, mac, now);
    }
  }

  private freshClaim(deviceId: string, nonce: number, mac: string, now: number): Claim {
    let settled = false;
    const settle = () => {
      if (settled) throw new Error('nonce claim already settled');
      settled = true;
    };
    return {
      outcome: 'fresh',
      commit: async (reply?: StoredReply) => {
        settle();
        const [row] = await this.sql<{ ok: boolean }[]>`SELECT fg_commit_nonce(${deviceId}, ${nonce}, ${mac}, ${now}, ${reply ? this.sql.json(reply as never) : null}) AS ok`;
        if (!row!.ok) throw new UnavailableError('the nonce claim expired or was reset before the answer was stored; retry with the same nonce');
      },
      abort: () => {
        if (settled) return;
        settled = true;
        void this.sql`DELETE FROM nonce_claims WHERE device_id = ${deviceId} AND nonce = ${nonce}`.catch(() => undefined);
      },
    };
  }

  async raiseFloors(floors: ReadonlyMap<string, NonceSummary>): Promise<number> {
    const ids = [...floors.keys()].sort();
    let raised = 0;
    // Bounded transactions: each holds the device locks of its slice, taken in id order as
    // upload groups take them, so neither can deadlock the other.
    for (let i = 0; i < ids.length; i += 1000) {
      const slice = ids.slice(i, i + 1000);
      const nonces = slice.map((id) => floors.get(id)!.nonce);
      const seen = slice.map((id) => floors.get(id)!.seen_at);
      raised += await this.sql.begin(async (tx) => {
        await tx`SELECT fg_lock_device_nonce(d) FROM (SELECT d FROM unnest(${slice}::text[]) AS d ORDER BY d OFFSET 0) ordered`;
        const rows = await tx`
          INSERT INTO device_nonces AS n (device_id, nonce, mac, seen_at, reply)
          SELECT d, f, '', s, NULL FROM unnest(${slice}::text[], ${nonces}::bigint[], ${seen}::bigint[]) AS t(d, f, s)
          ON CONFLICT (device_id) DO UPDATE SET nonce = EXCLUDED.nonce, mac = '', reply = NULL
            WHERE n.nonce < EXCLUDED.nonce
          RETURNING 1`;
        return rows.length;
      });
    }
    return raised;
  }

  acceptUpload(deviceId: string, nonce: number, mac: string, now: number, batch: TelemetryBatch): Promise<UploadOutcome> {
    if (this.queue.length >= MAX_QUEUED_UPLOADS) {
      return Promise.reject(new UnavailableError(`${this.queue.length} uploads are waiting for the database; retry with the same nonce`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ deviceId, nonce, mac, now, batch, waitedMs: 0, queuedAt: performance.now(), resolve, reject });
      this.watchDeadlines();
      this.pump();
    });
  }

  private watchDeadlines(): void {
    this.sweeper ??= setInterval(() => this.sweep(), Math.min(1000, this.deadlineMs)).unref();
  }

  /** Answers 503 every upload that has waited past the deadline, queued or in flight. */
  private sweep(): void {
    const now = performance.now();
    const late = (u: QueuedUpload) => now - u.queuedAt > this.deadlineMs;
    const expire = (u: QueuedUpload) => {
      u.expired = true;
      u.reject(new UnavailableError(`the database did not answer within ${this.deadlineMs / 1000} s; retry with the same nonce`));
    };
    if (this.queue.some(late)) {
      // Queued uploads hold no device (only groups in flight and retries do): dropping them is all.
      this.queue = this.queue.filter((u) => (late(u) ? (expire(u), false) : true));
    }
    for (const [group, sentAt] of this.sending) {
      if (now - sentAt > this.deadlineMs) for (const u of group) if (!u.expired) expire(u);
    }
    if (this.queue.length === 0 && this.sending.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Sends the next group if one may go (MAX_IN_FLIGHT, OVERLAP_MIN_WAITING). */
  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT) {
      const min = this.inFlight === 0 ? 1 : OVERLAP_MIN_WAITING;
      if (this.queue.length < min) return;
      const group = this.takeGroup(min);
      if (group.length === 0) return;
      group.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : a.nonce - b.nonce));
      this.inFlight++;
      for (const u of group) this.hold(u.deviceId);
      // send() settles every upload of its group itself; this only keeps a bug in it from being an
      // unhandled rejection (which ends the process) instead of failed uploads.
      this.send(group).catch((err: unknown) => group.forEach((u) => u.reject(err)));
    }
  }

  /**
   * Up to MAX_GROUP queued uploads in arrival order, skipping those of devices in flight (they
   * stay queued, in order); none unless at least `min` can go, so an overlapping group is never a
   * handful of uploads that happened to be free.
   */
  private takeGroup(min: number): QueuedUpload[] {
    if (this.devicesInFlight.size === 0) return this.queue.splice(0, MAX_GROUP);
    const group: QueuedUpload[] = [];
    const held: QueuedUpload[] = [];
    let i = 0;
    for (; i < this.queue.length && group.length < MAX_GROUP; i++) {
      const u = this.queue[i]!;
      (this.devicesInFlight.has(u.deviceId) ? held : group).push(u);
    }
    if (group.length < min) return [];
    this.queue = held.concat(this.queue.slice(i));
    return group;
  }

  private hold(deviceId: string): void {
    this.devicesInFlight.set(deviceId, (this.devicesInFlight.get(deviceId) ?? 0) + 1);
  }

  private release(deviceId: string): void {
    const n = this.devicesInFlight.get(deviceId)!;
    if (n === 1) this.devicesInFlight.delete(deviceId);
    else this.devicesInFlight.set(deviceId, n - 1);
  }

  /**
   * A group's statement came back (or failed): its slot is free, and so are its devices except
   * those with an upload to ask again (`kept`, released once it is queued again), and the next
   * group may go.
   */
  private sent(group: QueuedUpload[], kept: ReadonlySet<QueuedUpload> = new Set()): void {
    this.inFlight--;
    for (const u of group) if (!kept.has(u)) this.release(u.deviceId);
    this.pump();
  }

  private async send(group: QueuedUpload[]): Promise<void> {
    let rows: { idx: number; outcome: string; last_nonce: number | null }[];
    this.sending.set(group, performance.now());
    try {
      // One statement for the group (fg_accept_upload_group, 0016): the columns as arrays, the
      // samples as the devices' own sample arrays joined by U+0001 (never re-serialised; JSON text
      // never contains that character).
      const cols = group.map((u) => batchColumns(u.batch));
      rows = await this.sql<{ idx: number; outcome: string; last_nonce: number | null }[]>`
        SELECT * FROM fg_accept_upload_group(
          ${group.map((u) => u.deviceId)}::text[], ${group.map((u) => u.nonce)}::bigint[], ${group.map((u) => u.mac)}::text[],
          ${group.map((u) => u.now)}::bigint[], ${cols.map((c) => c.sample_time.toISOString())}::timestamptz[],
          ${cols.map((c) => c.method)}::text[], ${cols.map((c) => c.sample_count)}::integer[],
          ${cols.map((c) => c.first_ts)}::float8[], ${cols.map((c) => c.last_ts)}::float8[],
          ${cols.map((c) => c.samples).join('\u0001')}::text, ${STALE_CLAIM_MS})`;
    } catch (err) {
      this.sending.delete(group);
      this.sent(group);
      for (const u of group) u.reject(err);
      return;
    }
    this.sending.delete(group);
    const byIndex = new Map(rows.map((r) => [r.idx, r]));
    // Uploads blocked by another request's claim ask again a little later, without holding the
    // slot meanwhile; their devices stay held, so a later upload of theirs cannot overtake them.
    const retry = new Set(group.filter((u, i) => byIndex.get(i + 1)?.outcome === 'wait' && !u.expired));
    // The next group goes before this one's uploads are answered, so it is stored while this
    // gateway signs and writes those answers.
    this.sent(group, retry);
    this.groups.commits++;
    group.forEach((u, i) => {
      const row = byIndex.get(i + 1);
      if (!row) u.reject(new Error(`fg_accept_upload_group gave no outcome for upload ${i + 1} of ${group.length}`));
      else if (row.outcome === 'accepted') {
        this.groups.uploads++;
        u.resolve({ outcome: 'accepted' });
      } else if (row.outcome === 'duplicate') u.resolve({ outcome: 'duplicate' });
      else if (row.outcome === 'replay') u.resolve({ outcome: 'replay', lastNonce: row.last_nonce! });
    });
    if (retry.size > 0) setTimeout(() => this.retry([...retry]), WAIT_STEP_MS);
  }

  /** Uploads answered 'wait' go back to the front of the queue (they are older than any queued). */
  private retry(uploads: QueuedUpload[]): void {
    const again: QueuedUpload[] = [];
    for (const u of uploads) {
      u.waitedMs += WAIT_STEP_MS;
      if (u.waitedMs > STALE_CLAIM_MS + 1000) u.reject(new Error(`upload of ${u.deviceId} still blocked by a claim after ${u.waitedMs} ms`));
      else again.push(u);
    }
    this.queue.unshift(...again);
    if (again.length > 0) this.watchDeadlines(); // the sweeper may have stopped while they waited
    for (const u of uploads) this.release(u.deviceId);
    this.pump();
  }

  async get(deviceId: string): Promise<NonceSummary | undefined> {
    const [row] = await this.sql<NonceSummary[]>`SELECT nonce, seen_at FROM device_nonces WHERE device_id = ${deviceId}`;
    return row;
  }

  async all(): Promise<ReadonlyMap<string, NonceSummary>> {
    const rows = await this.sql<(NonceSummary & { device_id: string })[]>`SELECT device_id, nonce, seen_at FROM device_nonces`;
    return new Map(rows.map((r) => [r.device_id, { nonce: r.nonce, seen_at: r.seen_at }]));
  }

  async reset(deviceId?: string): Promise<number> {
    return this.sql.begin(async (tx) => {
      if (deviceId !== undefined) {
        await tx`SELECT fg_lock_device_nonce(${deviceId})`;
        await tx`DELETE FROM nonce_claims WHERE device_id = ${deviceId}`;
        return (await tx`DELETE FROM device_nonces WHERE device_id = ${deviceId}`).count;
      }
      await tx`LOCK TABLE device_nonces, nonce_claims IN EXCLUSIVE MODE`;
      await tx`DELETE FROM nonce_claims`;
      return (await tx`DELETE FROM device_nonces`).count;
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
