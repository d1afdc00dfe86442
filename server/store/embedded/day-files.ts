/**
 * Append-only JSONL split into one file per UTC day (`<dir>/YYYY-MM-DD.jsonl`): the layout of the
 * audit log, the event log and each device's diagnostics. Day files make retention a matter of
 * deleting whole files and let a time-bounded read skip everything before `since`. Appends go
 * through the store's group-commit AppendWriter, so they are durable when they resolve.
 */
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppendWriter } from './append-writer.ts';
import { parseJsonLines } from './append-writer.ts';

export const DAY_MS = 86_400_000;
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function dayFile(dir: string, day: string): string {
  return join(dir, `${day}.jsonl`);
}

/** Day keys present in `dir`, ascending; [] if the directory does not exist. */
export async function listDays(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((n) => DAY_FILE.exec(n)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
}

/**
 * Every day file of `dir`, oldest first, one day's records at a time (the whole log is never in
 * memory): what an export or an import of the log reads.
 */
export async function* readDays<T>(dir: string): AsyncIterable<{ day: string; rows: T[] }> {
  for (const day of await listDays(dir)) yield { day, rows: await readDay<T>(dir, day) };
}

export async function readDay<T>(dir: string, day: string): Promise<T[]> {
  try {
    return parseJsonLines<T>(await readFile(dayFile(dir, day), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Appends records (each to the file of its own day); resolves once all are durable. */
export async function appendByDay<T>(writer: AppendWriter, dir: string, records: T[], timeOf: (r: T) => number): Promise<void> {
  const byDay = new Map<string, string[]>();
  for (const r of records) {
    const day = dayOf(timeOf(r));
    let lines = byDay.get(day);
    if (!lines) byDay.set(day, (lines = []));
    lines.push(JSON.stringify(r) + '\n');
  }
  await Promise.all([...byDay].map(([day, lines]) => writer.append(dayFile(dir, day), lines.join(''))));
}

export interface RangeRead<T> {
  /** Inclusive lower bound on `timeOf(record)`; also lets whole earlier days be skipped. */
  sinceMs?: number;
  limit: number;
  /** asc: the first `limit` records from `since`; desc: the newest `limit`, newest first. */
  order: 'asc' | 'desc';
  timeOf(r: T): number;
  /** Filter (and dedupe: it sees records in file order within a day). */
  accept?(r: T): boolean;
}

export async function readRange<T>(dir: string, q: RangeRead<T>): Promise<T[]> {
  const days = await listDays(dir);
  // Clamped to year 9999: later days have no YYYY-MM-DD name (and would sort before real ones).
  const fromDay = q.sinceMs !== undefined ? dayOf(Math.min(Math.max(0, q.sinceMs), Date.UTC(9999, 11, 31))) : '';
  const wanted = days.filter((d) => d >= fromDay);
  const keep = (r: T) => (q.sinceMs === undefined || q.timeOf(r) >= q.sinceMs) && (q.accept ? q.accept(r) : true);
  const out: T[] = [];
  if (q.order === 'asc') {
    for (const day of wanted) {
      for (const r of await readDay<T>(dir, day)) {
        if (!keep(r)) continue;
        out.push(r);
        if (out.length >= q.limit) return out;
      }
    }
    return out;
  }
  for (const day of wanted.reverse()) {
    const rows = (await readDay<T>(dir, day)).filter(keep);
    for (let i = rows.length - 1; i >= 0; i--) {
      out.push(rows[i]!);
      if (out.length >= q.limit) return out;
    }
  }
  return out;
}

/** Deletes day files whose whole day ended before `cutoffMs`; returns how many. */
export async function pruneDays(dir: string, cutoffMs: number, writer: AppendWriter): Promise<number> {
  const cutoffDay = dayOf(cutoffMs);
  let removed = 0;
  for (const day of await listDays(dir)) {
    if (day >= cutoffDay) break;
    const path = dayFile(dir, day);
    await writer.forget(path);
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    removed++;
  }
  return removed;
}
