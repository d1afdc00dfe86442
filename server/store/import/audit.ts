/**
 * The audit log: every record with its original time, actor (`token:<name>`, `device:<id>`,
 * `system`, …), action, device, command and details, a day at a time in the order appended,
 * through the PostgreSQL log's own append (one statement per 5,000 records, `seq` in that order).
 * Records have no id, so on a database that was not empty each day's records already there are
 * matched one for one (same time, actor, action, device, command and details) and skipped.
 */
import type { AuditEntry } from '../../audit/log.ts';
import type { Sql } from '../postgres/connect.ts';
import { count, countRows, dayBounds, every, KeyBag, n, slices, type Importer } from './importer.ts';


function key(e: AuditEntry): string {
  return JSON.stringify([Date.parse(e.at), e.actor, e.action, e.device_id ?? null, e.command_id ?? null, e.details === undefined ? null : JSON.stringify(e.details)]);
}

async function storedKeys(sql: Sql, day: string): Promise<KeyBag> {
  const [from, to] = dayBounds(day);
  const rows = await sql<{ at: Date; actor: string; action: string; device_id: string | null; command_id: string | null; details: string | null }[]>`
    SELECT at, actor, action, device_id, command_id, details::text AS details FROM audit_log WHERE at >= ${new Date(from)} AND at < ${new Date(to)}`;
  return new KeyBag(rows.map((r) => JSON.stringify([r.at.getTime(), r.actor, r.action, r.device_id, r.command_id, r.details])));
}

export const auditImporter: Importer = {
  repository: 'audit',
  kind: 'audit log',
  present: (sql) => countRows(sql, 'audit_log'),
  async copy({ source, target, fresh, progress }) {
    let copied = 0;
    let skipped = 0;
    const report = every(2000, () => progress(`audit log: ${n(copied)} records`));
    for await (const { day, rows } of source.audit.days()) {
      const stored = fresh ? new KeyBag() : await storedKeys(target.sql, day);
      const missing = rows.filter((e) => !stored.take(key(e)));
      skipped += rows.length - missing.length;
      for (const slice of slices(missing, 5000)) {
        await target.audit.append(slice);
        copied += slice.length;
        report();
      }
    }
    return { counts: { copied, already_there: skipped }, text: `${count(copied, 'record')}` + (skipped > 0 ? `, ${n(skipped)} already there` : '') };
  },
};
