/**
 * What one kind of state needs to move from the embedded store into PostgreSQL: an Importer per
 * Store repository (index.ts lists them), each reading everything its repository keeps in the
 * DATA_DIR and writing it into the database in bounded slices — one statement or transaction per
 * slice, never the whole kind in memory. Every importer is safe to run again on a database that
 * holds its rows already: what is there is skipped (nothing duplicated), what is a floor (nonces,
 * OTA security counters, config_version) is only ever raised.
 */
import type { PublicKeys } from '../../ota/keys.ts';
import type { EmbeddedStore } from '../embedded/index.ts';
import type { FirmwareDir } from '../embedded/firmware-images.ts';
import type { Sql } from '../postgres/connect.ts';
import type { PostgresStore } from '../postgres/index.ts';
import type { Store } from '../types.ts';

/** The Store's repositories: its members that are objects (not its name, location or methods). */
export type RepositoryKey = {
  [K in keyof Store]-?: Store[K] extends (...args: never[]) => unknown ? never : Store[K] extends object ? K : never;
}[keyof Store];

export interface ImportContext {
  source: EmbeddedStore;
  target: PostgresStore;
  /** The database held no state of any kind when the import began: nothing can be there to skip. */
  fresh: boolean;
  /** Epoch ms the import runs at. */
  now: number;
  /** FIRMWARE_DIR of the embedded installation, and the keys its manifests must be signed with (when KEYS_DIR has them). */
  firmware: { dir: FirmwareDir; verifyKeys: PublicKeys | undefined };
  /** A progress line for a kind that takes a while (throttled by the caller of `every`). */
  progress(line: string): void;
}

export interface KindResult {
  /** What was copied and what the database already held, by name (the JSON report). */
  counts: Record<string, number>;
  /** The same for people, one line. */
  text: string;
  /** Nothing to copy by design (e.g. state the embedded store keeps in memory only). */
  skipped?: boolean;
}

export interface Importer {
  /** The Store repository whose state this copies (tests/store/import checks every repository has one). */
  repository: RepositoryKey;
  /** What the report calls it. */
  kind: string;
  /**
   * How many rows of this kind the database holds already (0: none; the rows a fresh database is
   * created with do not count). Counted up to COUNT_CAP.
   */
  present(sql: Sql): Promise<number>;
  copy(ctx: ImportContext): Promise<KindResult>;
}

/** Counts of what is present stop here: enough to name what is there without scanning millions of rows. */
export const COUNT_CAP = 100_000;

/** Rows of `table` (optionally matching `where`), counted up to COUNT_CAP + 1. */
export async function countRows(sql: Sql, table: string, where = sql`true`): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${sql(table)} WHERE ${where} LIMIT ${COUNT_CAP + 1}) x`;
  return row!.n;
}

/** The start and end (exclusive) of a UTC day named YYYY-MM-DD, as epoch ms: a day file's time range. */
export function dayBounds(day: string): [number, number] {
  const from = Date.parse(`${day}T00:00:00Z`);
  return [from, from + 86_400_000];
}

/**
 * A record read from a DATA_DIR document as a row to insert: a field an older version did not
 * write becomes NULL (the database then names a column that needs one) instead of the client
 * refusing an undefined value.
 */
export function row<T extends object>(record: T): { [K in keyof T]: Exclude<T[K], undefined> | null } {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v === undefined ? null : v])) as { [K in keyof T]: Exclude<T[K], undefined> | null };
}

/** `items` in consecutive slices of at most `size`. */
export function* slices<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** A count for people: 1,234,567. */
export function n(count: number): string {
  return count.toLocaleString('en-US');
}

/** "1 device", "2 devices". */
export function count(value: number, noun: string, plural = `${noun}s`): string {
  return `${n(value)} ${value === 1 ? noun : plural}`;
}

/** ", 3 already there" when there were any. */
export function alreadyThere(count: number, what = 'already there'): string {
  return count > 0 ? `, ${n(count)} ${what}` : '';
}

/** Calls `fn` at most once per `ms` (progress lines). */
export function every(ms: number, fn: () => void): () => void {
  let last = Date.now();
  return () => {
    if (Date.now() - last < ms) return;
    last = Date.now();
    fn();
  };
}

/**
 * A multiset of keys, for copying a log that has no ids (audit records, diagnostics reports) again:
 * the keys of one slice already in the database are loaded, and each copy in the source is
 * matched against one of them at most, so a record that really is there twice is copied twice
 * once, and never again.
 */
export class KeyBag {
  private readonly counts = new Map<string, number>();

  constructor(keys: Iterable<string> = []) {
    for (const k of keys) this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  /** True (and one copy taken) when `key` is in the bag. */
  take(key: string): boolean {
    const c = this.counts.get(key);
    if (!c) return false;
    if (c === 1) this.counts.delete(key);
    else this.counts.set(key, c - 1);
    return true;
  }
}
