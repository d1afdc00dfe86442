/**
 * The audit log on PostgreSQL (`audit_log`, 0002_control_plane.sql): one row per record, in the
 * order appended (`seq`), read chronologically by (at, seq) through an index for each filter —
 * the newest `limit` without `since` is a backward index scan, never a read of the whole log.
 * Retention deletes whole UTC days, as the embedded store deletes day files.
 */
import type { AuditEntry, AuditQuery, AuditRepo } from '../../audit/log.ts';
import type { Sql } from './connect.ts';
import { chronological, noFilter, startOfUtcDay } from './timeline.ts';

interface Row {
  at: Date;
  actor: AuditEntry['actor'];
  action: string;
  device_id: string | null;
  command_id: string | null;
  details: Record<string, unknown> | null;
}

function toEntry(r: Row): AuditEntry {
  const e: AuditEntry = { at: r.at.toISOString(), actor: r.actor, action: r.action };
  if (r.device_id !== null) e.device_id = r.device_id;
  if (r.command_id !== null) e.command_id = r.command_id;
  if (r.details !== null) e.details = r.details;
  return e;
}

export class PgAuditRepo implements AuditRepo {
  constructor(private readonly sql: Sql) {}

  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e, n) => ({
      n,
      at: e.at,
      actor: e.actor,
      action: e.action,
      device_id: e.device_id ?? null,
      command_id: e.command_id ?? null,
      details: e.details === undefined ? null : JSON.stringify(e.details),
    }));
    // One statement; `seq` is handed out in the order given (ORDER BY n).
    await this.sql`
      INSERT INTO audit_log (at, actor, action, device_id, command_id, details)
      SELECT r.at, r.actor, r.action, r.device_id, r.command_id, r.details::json
      FROM json_to_recordset(${JSON.stringify(rows)}::text::json) AS r(n integer, at timestamptz, actor text, action text, device_id text, command_id text, details text)
      ORDER BY r.n`;
  }

  async query(q: AuditQuery): Promise<AuditEntry[]> {
    const device = q.deviceId === undefined ? noFilter(this.sql) : this.sql`AND device_id = ${q.deviceId}`;
    const actor = q.actor === undefined ? noFilter(this.sql) : this.sql`AND actor = ${q.actor}`;
    const action = q.action === undefined ? noFilter(this.sql) : actionFilter(this.sql, q.action);
    return (await chronological<Row>(this.sql, 'audit_log', [device, actor, action], q)).map(toEntry);
  }

  async prune(beforeMs: number): Promise<number> {
    const res = await this.sql`DELETE FROM audit_log WHERE at < ${startOfUtcDay(beforeMs)}`;
    return res.count;
  }
}

/**
 * An exact action, or a prefix ending in "." (auditMatches): the prefix as a range in C collation,
 * 'command.' <= action < 'command/' ('/' follows '.'); both compared in C collation, the index's.
 */
function actionFilter(sql: Sql, action: string) {
  if (!action.endsWith('.')) return sql`AND action COLLATE "C" = ${action}`;
  const upper = action.slice(0, -1) + '/';
  return sql`AND action COLLATE "C" >= ${action} AND action COLLATE "C" < ${upper}`;
}
