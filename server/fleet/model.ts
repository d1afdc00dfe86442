/**
 * The fleet read model: one row per registered device (row.ts) with what the fleet view, the
 * paginated device list and the fleet metrics need, kept in memory and changed in place as the
 * gateway records things (observe.ts taps the store's writes), so a page at 10,000 devices is a
 * filter and a sort in memory and a metrics scrape reads counters. Every change goes through
 * `change`, which takes the row's old contribution out of the fleet counts and puts the new one
 * in: the counts (devices by status, behind on config, per firmware version, open commands, OTA
 * sessions) are never recomputed by walking the fleet.
 */
import semver from 'semver';
import type { Rollout } from '../ota/rollouts.ts';
import type { DeviceRecord } from '../store/types.ts';
import { ActivityCounters } from './activity.ts';
import { compareKeys, encodeCursor, type FleetQuery, type SortKey, type SortValue } from './query.ts';
import { CONNECTION_STATUSES, emptyRow, firmwareOf, statusOf, type ConnectionStatus, type FleetRow } from './row.ts';

export const UNKNOWN_VERSION = 'unknown';
export const SESSION_STATES = ['active', 'completed', 'failed', 'replaced', 'abandoned'] as const;
type SessionState = (typeof SESSION_STATES)[number];

export interface FleetCounts {
  devices: number;
  status: Record<ConnectionStatus, number>;
  /** Active (not revoked) devices behind on config. */
  behind: number;
  /** Active devices per firmware version (UNKNOWN_VERSION: none known). */
  versions: ReadonlyMap<string, number>;
  /** The newest image in the firmware catalog, and how many active devices run it. */
  latest: { version: string | null; devices: number };
  commands: { pending: number; sent: number };
  sessions: Record<SessionState, number>;
}

export interface FleetPage {
  /** Rows matching the filters (all pages). */
  total: number;
  rows: FleetRow[];
  next_cursor: string | null;
  prev_cursor: string | null;
}

/** What a row contributes to the fleet counts: taken out before a change, put back after. */
interface Contribution {
  status: ConnectionStatus;
  behind: boolean;
  version: string | null;
  pending: number;
  sent: number;
  session: SessionState | null;
}

export class FleetModel {
  readonly activity = new ActivityCounters();
  private rows = new Map<string, FleetRow>();
  private readonly status = Object.fromEntries(CONNECTION_STATUSES.map((s) => [s, 0])) as Record<ConnectionStatus, number>;
  private behind = 0;
  private readonly versions = new Map<string, number>();
  private readonly commands = { pending: 0, sent: 0 };
  private readonly sessions = Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as Record<SessionState, number>;
  latestFirmware: string | null = null;
  rollouts: readonly Rollout[] = [];
  /** Bytes of firmware this process served: JSON chunks and byte-range downloads. */
  readonly bytesServed = { chunk: 0, download: 0 };

  get size(): number {
    return this.rows.size;
  }

  get(deviceId: string): FleetRow | undefined {
    return this.rows.get(deviceId);
  }

  all(): IterableIterator<FleetRow> {
    return this.rows.values();
  }

  /** Replaces every row (a load from the store); the counts are rebuilt from them. */
  replaceAll(rows: Iterable<FleetRow>): void {
    for (const r of this.rows.values()) this.account(r, -1);
    this.rows = new Map();
    for (const r of rows) {
      this.rows.set(r.device_id, r);
      this.account(r, 1);
    }
  }

  /** Adds or replaces one row. */
  put(row: FleetRow): void {
    const before = this.rows.get(row.device_id);
    if (before) this.account(before, -1);
    this.rows.set(row.device_id, row);
    this.account(row, 1);
  }

  /** A registry change: the record replaced, the rest of the row kept (a new device starts empty). */
  record(record: DeviceRecord): void {
    const row = this.rows.get(record.device_id);
    if (!row) return this.put(emptyRow(record));
    this.change(record.device_id, (r) => {
      r.record = record;
      if (record.revoked_at) {
        r.config_behind = false;
        r.config_version = null;
      }
    });
  }

  /**
   * A message from the device (the hot path: every upload). Only the time and nonce change, which
   * moves no count once the device has been seen (its status then depends on events and
   * revocation alone), so the counts are only redone for a first sighting.
   */
  seen(deviceId: string, nonce: number, at: number, upload: boolean): void {
    const row = this.rows.get(deviceId);
    if (!row) return;
    if (row.last_seen === null) return this.change(deviceId, (r) => markSeen(r, nonce, at, upload));
    markSeen(row, nonce, at, upload);
  }

  /** Applies `fn` to the device's row (if it has one), keeping the fleet counts right. */
  change(deviceId: string, fn: (row: FleetRow) => void): void {
    const row = this.rows.get(deviceId);
    if (!row) return;
    const before = contribution(row);
    fn(row);
    const after = contribution(row);
    if (!sameContribution(before, after)) {
      this.add(before, -1);
      this.add(after, 1);
    }
  }

  counts(): FleetCounts {
    return {
      devices: this.rows.size,
      status: { ...this.status },
      behind: this.behind,
      versions: new Map(this.versions),
      latest: { version: this.latestFirmware, devices: this.latestFirmware === null ? 0 : (this.versions.get(this.latestFirmware) ?? 0) },
      commands: { ...this.commands },
      sessions: { ...this.sessions },
    };
  }

  /** One page of the filtered, sorted fleet. */
  query(q: FleetQuery, now: number): FleetPage {
    const needle = q.q?.toLowerCase();
    const keyed: { value: SortValue; id: string; row: FleetRow }[] = [];
    for (const row of this.rows.values()) {
      if (needle !== undefined && !row.device_id.toLowerCase().includes(needle)) continue;
      if (q.status !== undefined && statusOf(row) !== q.status) continue;
      if (q.tag !== undefined && !(row.record.tags ?? []).includes(q.tag)) continue;
      if (q.behind !== undefined && row.config_behind !== q.behind) continue;
      if (q.firmware !== undefined && (firmwareOf(row)?.version ?? UNKNOWN_VERSION) !== q.firmware) continue;
      keyed.push({ value: this.sortValue(row, q.sort, now), id: row.device_id, row });
    }
    const cmp = (a: { value: SortValue; id: string }, b: { value: SortValue; id: string }) => compareKeys(a, b, q.sort, q.order);
    keyed.sort(cmp);
    let start = 0;
    let end = keyed.length;
    const c = q.cursor;
    if (c) {
      const at = { value: c.value, id: c.id };
      // First index whose key is after the cursor (binary search: the list is sorted by cmp).
      let lo = 0;
      let hi = keyed.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cmp(keyed[mid]!, at) <= 0) lo = mid + 1;
        else hi = mid;
      }
      if (c.dir === 'next') start = lo;
      else {
        // Rows strictly before the cursor: those below the first one not before it.
        let first = lo;
        while (first > 0 && cmp(keyed[first - 1]!, at) >= 0) first--;
        end = first;
        start = Math.max(0, end - q.limit);
      }
    }
    if (!c || c.dir === 'next') end = Math.min(keyed.length, start + q.limit);
    const page = keyed.slice(start, end);
    const cursorAt = (k: { value: SortValue; id: string }, dir: 'next' | 'prev') => encodeCursor({ sort: q.sort, order: q.order, value: k.value, id: k.id, dir });
    return {
      total: keyed.length,
      rows: page.map((k) => k.row),
      next_cursor: end < keyed.length && page.length > 0 ? cursorAt(page.at(-1)!, 'next') : null,
      prev_cursor: start > 0 && page.length > 0 ? cursorAt(page[0]!, 'prev') : null,
    };
  }

  /** The devices with the most rejected messages in the last 24 h (ties by id), at most `n`. */
  topRejected(n: number, now: number): { row: FleetRow; rejected: number; uploads: number }[] {
    const out: { row: FleetRow; rejected: number; uploads: number }[] = [];
    for (const row of this.rows.values()) {
      const a = this.activity.last24h(row.device_id, now);
      if (a.rejected > 0) out.push({ row, ...a });
    }
    return out.sort((a, b) => b.rejected - a.rejected || (a.row.device_id < b.row.device_id ? -1 : 1)).slice(0, n);
  }

  private sortValue(row: FleetRow, sort: SortKey, now: number): SortValue {
    switch (sort) {
      case 'id':
        return row.device_id;
      case 'status':
        return CONNECTION_STATUSES.indexOf(statusOf(row));
      case 'last_seen':
        return row.last_seen;
      case 'last_upload':
        return row.last_upload;
      case 'firmware':
        return firmwareOf(row)?.version ?? null;
      case 'config':
        // Behind first when ascending, then by the applied version.
        return row.record.revoked_at ? null : (row.config_behind ? 0 : 1e15) + (row.config_applied ?? -1);
      case 'uploads_24h':
        return this.activity.last24h(row.device_id, now).uploads;
      case 'rejected_24h':
        return this.activity.last24h(row.device_id, now).rejected;
    }
  }

  private account(row: FleetRow, sign: 1 | -1): void {
    this.add(contribution(row), sign);
  }

  private add(c: Contribution, sign: 1 | -1): void {
    this.status[c.status] += sign;
    this.commands.pending += sign * c.pending;
    this.commands.sent += sign * c.sent;
    if (c.session) this.sessions[c.session] += sign;
    // A revoked device is out of the fleet: not behind on anything, running nothing we count.
    if (c.status === 'revoked') return;
    if (c.behind) this.behind += sign;
    const v = c.version ?? UNKNOWN_VERSION;
    const n = (this.versions.get(v) ?? 0) + sign;
    if (n === 0) this.versions.delete(v);
    else this.versions.set(v, n);
  }
}

function markSeen(r: FleetRow, nonce: number, at: number, upload: boolean): void {
  if (r.last_seen === null || at >= r.last_seen) {
    r.last_seen = at;
    r.last_nonce = nonce;
  }
  if (upload) r.last_upload = Math.max(r.last_upload ?? 0, at);
}

function contribution(row: FleetRow): Contribution {
  return {
    status: statusOf(row),
    behind: row.config_behind,
    version: firmwareOf(row)?.version ?? null,
    pending: row.commands_pending,
    sent: row.commands_sent,
    session: row.ota_session,
  };
}

function sameContribution(a: Contribution, b: Contribution): boolean {
  return a.status === b.status && a.behind === b.behind && a.version === b.version && a.pending === b.pending && a.sent === b.sent && a.session === b.session;
}

/** Versions sorted newest first (semver where both parse, else by text). */
export function byVersionDesc(a: string, b: string): number {
  if (semver.valid(a) && semver.valid(b)) return semver.rcompare(a, b);
  return a < b ? 1 : a > b ? -1 : 0;
}
