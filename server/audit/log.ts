/**
 * The control plane's audit log: one JSONL line per change — who (`admin`, `device:<id>` or
 * `system` for the gateway's own expiry sweeps), what (`action`, e.g. `command.created`), on what
 * (`device_id`, `command_id`) and when. Append-only, one file per UTC day under DATA_DIR/audit,
 * durable before `record` resolves; callers write their state change first and the audit line
 * second, both before answering, so an audit line never describes a change that was not stored.
 */
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import type { AppendWriter } from '../store/append-writer.ts';
import { DAY_MS, appendByDay, pruneDays, readRange } from './day-files.ts';

export type Actor = 'admin' | 'system' | `device:${string}`;

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
  /** Exact action, or a prefix ending in "." (e.g. "command."). */
  action?: string;
}

export class AuditLog {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly writer: AppendWriter,
    private readonly clock: Clock,
    private readonly retentionDays: number,
  ) {
    this.dir = join(dataDir, 'audit');
  }

  async record(entry: Omit<AuditEntry, 'at'>): Promise<AuditEntry> {
    const full: AuditEntry = { at: new Date(this.clock.now()).toISOString(), ...entry };
    await appendByDay(this.writer, this.dir, [full], (e) => Date.parse(e.at));
    return full;
  }

  async recordAll(entries: Omit<AuditEntry, 'at'>[]): Promise<void> {
    if (entries.length === 0) return;
    const at = new Date(this.clock.now()).toISOString();
    await appendByDay(this.writer, this.dir, entries.map((e) => ({ at, ...e })), (e) => Date.parse(e.at));
  }

  /** Chronological. With `sinceMs`: the first `limit` entries from then; without: the last `limit`. */
  async query(q: AuditQuery): Promise<AuditEntry[]> {
    const action = q.action;
    const matches = (e: AuditEntry) =>
      (q.deviceId === undefined || e.device_id === q.deviceId) &&
      (action === undefined || (action.endsWith('.') ? e.action.startsWith(action) : e.action === action));
    const rows = await readRange<AuditEntry>(this.dir, {
      ...(q.sinceMs !== undefined ? { sinceMs: q.sinceMs } : {}),
      limit: q.limit,
      order: q.sinceMs !== undefined ? 'asc' : 'desc',
      timeOf: (e) => Date.parse(e.at),
      accept: matches,
    });
    return q.sinceMs !== undefined ? rows : rows.reverse();
  }

  async prune(now: number): Promise<number> {
    if (this.retentionDays === 0) return 0;
    return pruneDays(this.dir, now - this.retentionDays * DAY_MS, this.writer);
  }
}
