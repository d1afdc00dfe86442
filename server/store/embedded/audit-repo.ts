/**
 * The embedded AuditRepo: one JSONL line per record in DATA_DIR/audit/<YYYY-MM-DD>.jsonl, written
 * through the store's group-commit AppendWriter (durable when `append` resolves); retention
 * deletes whole day files.
 */
import { join } from 'node:path';
import { auditMatches, type AuditEntry, type AuditQuery, type AuditRepo } from '../../audit/log.ts';
import type { AppendWriter } from './append-writer.ts';
import { appendByDay, pruneDays, readDays, readRange } from './day-files.ts';

export class FileAuditRepo implements AuditRepo {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly writer: AppendWriter,
  ) {
    this.dir = join(dataDir, 'audit');
  }

  append(entries: readonly AuditEntry[]): Promise<void> {
    return appendByDay(this.writer, this.dir, [...entries], (e) => Date.parse(e.at));
  }

  async query(q: AuditQuery): Promise<AuditEntry[]> {
    const rows = await readRange<AuditEntry>(this.dir, {
      ...(q.sinceMs !== undefined ? { sinceMs: q.sinceMs } : {}),
      limit: q.limit,
      order: q.sinceMs !== undefined ? 'asc' : 'desc',
      timeOf: (e) => Date.parse(e.at),
      accept: (e) => auditMatches(q, e),
    });
    return q.sinceMs !== undefined ? rows : rows.reverse();
  }

  prune(beforeMs: number): Promise<number> {
    return pruneDays(this.dir, beforeMs, this.writer);
  }

  /** The whole log, a day at a time, oldest first, in the order appended (db import reads it). */
  days(): AsyncIterable<{ day: string; rows: AuditEntry[] }> {
    return readDays<AuditEntry>(this.dir);
  }
}
