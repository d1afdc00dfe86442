/**
 * The fleet list's query: search, filters, sort and keyset pagination — parsed the same way for
 * `GET /devices?limit=&cursor=` and the console's fleet page. A cursor is opaque to clients
 * (base64url JSON): the sort key and id of the row a page ended (or started) at, so the next page
 * starts right after it even when rows were added or changed meanwhile — no row is skipped or
 * shown twice because another one moved, as an offset would.
 */
import semver from 'semver';
import { ValidationError } from '../errors.ts';
import { TAG_PATTERN } from '../devices/tags.ts';
import { CONNECTION_STATUSES, type ConnectionStatus } from './row.ts';

export const SORT_KEYS = ['id', 'status', 'last_seen', 'last_upload', 'firmware', 'config', 'uploads_24h', 'rejected_24h'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortOrder = 'asc' | 'desc';

/** A row's value for a sort key: null sorts last in either order. */
export type SortValue = string | number | null;

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

export interface Cursor {
  sort: SortKey;
  order: SortOrder;
  value: SortValue;
  id: string;
  /** next: the rows after this one; prev: the rows before it. */
  dir: 'next' | 'prev';
}

export interface FleetQuery {
  /** Case-insensitive substring of the device id. */
  q?: string;
  status?: ConnectionStatus;
  tag?: string;
  /** Devices whose firmware version is this ("unknown": none known). */
  firmware?: string;
  /** Only devices behind on config. */
  behind?: boolean;
  sort: SortKey;
  order: SortOrder;
  limit: number;
  cursor?: Cursor;
}

const invalid = (field: string, message: string): never => {
  throw new ValidationError(`${field}: ${message}`, 'invalid_query', { field });
};

function oneOf<T extends string>(field: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  return (allowed as readonly string[]).includes(value) ? (value as T) : invalid(field, `must be one of ${allowed.join(', ')}`);
}

/** Parses the list parameters; `get` reads one query parameter. */
export function parseFleetQuery(get: (name: string) => string | undefined, defaults: { limit?: number } = {}): FleetQuery {
  const limitText = get('limit');
  let limit = defaults.limit ?? DEFAULT_PAGE;
  if (limitText !== undefined && limitText !== '') {
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_PAGE) invalid('limit', `must be 1..${MAX_PAGE}`);
    limit = Number(limitText);
  }
  const q = get('q')?.trim();
  if (q !== undefined && q.length > 64) invalid('q', 'at most 64 characters');
  const tag = get('tag') || undefined;
  if (tag !== undefined && !TAG_PATTERN.test(tag)) invalid('tag', '1-64 characters of a-z 0-9 _ . : -');
  const firmware = get('firmware') || undefined;
  if (firmware !== undefined && !/^[\x21-\x7e]{1,64}$/.test(firmware)) invalid('firmware', 'a version (1-64 printable characters)');
  const behindText = get('behind');
  const behind = behindText === undefined || behindText === '' ? undefined : behindText === '1' || behindText === 'true' ? true : behindText === '0' || behindText === 'false' ? false : invalid('behind', 'must be 1 or 0');
  const sort = oneOf('sort', get('sort'), SORT_KEYS) ?? 'id';
  const order = oneOf<SortOrder>('order', get('order'), ['asc', 'desc']) ?? 'asc';
  const cursorText = get('cursor');
  const cursor = cursorText ? decodeCursor(cursorText) : undefined;
  if (cursor && (cursor.sort !== sort || cursor.order !== order)) invalid('cursor', `was made for sort=${cursor.sort}&order=${cursor.order}; send the same sort and order`);
  return {
    ...(q ? { q } : {}),
    ...(get('status') ? { status: oneOf('status', get('status'), CONNECTION_STATUSES) } : {}),
    ...(tag !== undefined ? { tag } : {}),
    ...(firmware !== undefined ? { firmware } : {}),
    ...(behind !== undefined ? { behind } : {}),
    sort,
    order,
    limit,
    ...(cursor ? { cursor } : {}),
  };
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.sort, c.order, c.value, c.id, c.dir])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  let parsed: unknown;
  try {
    if (text.length > 512 || !/^[A-Za-z0-9_-]+$/.test(text)) throw new Error();
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return invalid('cursor', 'not a cursor this gateway made (pass next_cursor or prev_cursor back as is)');
  }
  const [sort, order, value, id, dir] = Array.isArray(parsed) ? parsed : [];
  const ok =
    (SORT_KEYS as readonly unknown[]).includes(sort) &&
    (order === 'asc' || order === 'desc') &&
    (value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) &&
    typeof id === 'string' &&
    (dir === 'next' || dir === 'prev');
  if (!ok) return invalid('cursor', 'not a cursor this gateway made (pass next_cursor or prev_cursor back as is)');
  return { sort, order, value, id, dir } as Cursor;
}

function compareValues(a: string | number, b: string | number, sort: SortKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  if (sort === 'firmware' && semver.valid(sa) && semver.valid(sb)) return semver.compare(sa, sb);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * The list order: by value in the requested order with nulls last, then by device id ascending
 * (ids are unique, so the order is total and a cursor names one place in it).
 */
export function compareKeys(a: { value: SortValue; id: string }, b: { value: SortValue; id: string }, sort: SortKey, order: SortOrder): number {
  if (a.value === null || b.value === null) {
    if (a.value !== b.value) return a.value === null ? 1 : -1;
  } else {
    const c = compareValues(a.value, b.value, sort);
    if (c !== 0) return order === 'asc' ? c : -c;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
