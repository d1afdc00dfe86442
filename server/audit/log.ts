/**
 * The audit log: one record per change — who (`admin`, `device:<id>` or `system` for the
 * gateway's own expiry sweeps), what (`action`, e.g. `command.created`), on what (`device_id`,
 * `command_id`) and when. Append-only and durable before `record` resolves; callers write their
 * state change first and the audit record second, both before answering, so a record never
 * describes a change that was not stored. Kept by an AuditRepo (server/store/).
 */
import type { Clock } from '../clock.ts';

/**
 * `token:<name>` for an admin token, `device:<id>`, `system` for the gateway's own work, and
 * `public` for an anonymous download; records written before named tokens say `admin`.
 */
export type Actor = 'admin' | 'system' | 'public' | `device:${string}` | `token:${string}`;

export interface AuditEntry {
  at: string;
  actor: Actor;
  action: string;
  device_id?: string;
  command_id?: string;
  details?: Record<string, unknown>;
}

export interface AuditQuery {
  sinceMs?: number;
  limit: number;
  deviceId?: string;
  /** Exact actor (`token:alice`, `device:meter-1`, `system`). */
  actor?: string;
  /** Exact action, or a prefix ending in "." (e.g. "command."). */
  action?: string;
}

export interface AuditRepo {
  /** Appends records (in order); resolves once durable. */
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** Chronological. With `sinceMs`: the first `limit` entries from then; without: the last `limit`. */
  query(q: AuditQuery): Promise<AuditEntry[]>;
  /** Forgets records older than `beforeMs`; returns how many files/partitions/rows went. */
  prune(beforeMs: number): Promise<number>;
}

/** Whether an entry matches a query's device and action filters (the time bound is the store's). */
export function auditMatches(q: Pick<AuditQuery, 'deviceId' | 'action' | 'actor'>, e: AuditEntry): boolean {
  const action = q.action;
  return (
    (q.deviceId === undefined || e.device_id === q.deviceId) &&
    (q.actor === undefined || e.actor === q.actor) &&
    (action === undefined || (action.endsWith('.') ? e.action.startsWith(action) : e.action === action))
  );
}

const DAY_MS = 86_400_000;

export class AuditLog {
  constructor(
    private readonly repo: AuditRepo,
    private readonly clock: Clock,
    private readonly retentionDays: number,
  ) {}

  async record(entry: Omit<AuditEntry, 'at'>): Promise<AuditEntry> {
    const full: AuditEntry = { at: new Date(this.clock.now()).toISOString(), ...entry };
    await this.repo.append([full]);
    return full;
  }

  async recordAll(entries: Omit<AuditEntry, 'at'>[]): Promise<void> {
    if (entries.length === 0) return;
    const at = new Date(this.clock.now()).toISOString();
    await this.repo.append(entries.map((e) => ({ at, ...e })));
  }

  query(q: AuditQuery): Promise<AuditEntry[]> {
    return this.repo.query(q);
  }

  /** Retention: AUDIT_RETENTION_DAYS (0 keeps everything). */
  async prune(now: number): Promise<number> {
    if (this.retentionDays === 0) return 0;
    return this.repo.prune(now - this.retentionDays * DAY_MS);
  }
}
