/**
 * The device registry on PostgreSQL (table `devices`). Every message looks its device up, so
 * records are cached per gateway; every change NOTIFYs `fleetgate_devices` with the id in the
 * same transaction, and each gateway LISTENs and drops that id — a revocation or rotation on one
 * replica reaches the others within milliseconds. While this channel's notifications are not
 * reaching this replica (its heartbeats, NotificationWatch) the cache is not used, and when the listening connection is back the whole
 * cache is dropped (notifications may have been missed). A read that a notification overtook does
 * not fill the cache: it may have read the record as it was before the change. An unknown id is cached as unknown for a
 * second at most, so a flood of made-up ids does not become a flood of queries, while a device
 * registered on another replica is found at once after that second.
 */
import { reinstated, rotated } from '../device-records.ts';
import type { DeviceRecord, DeviceRepo, KeyMode, ReinstateOutcome, RotateOutcome, TagChange } from '../types.ts';
import { lockConfig, stampRetag } from './config.ts';
import { transaction, type Db, type Sql, type Tx } from './connect.ts';
import { ALWAYS_TRUSTED, type ChannelTrust, type ListenState } from './notification-watch.ts';

export const DEVICES_CHANNEL = 'fleetgate_devices';
const UNKNOWN_TTL_MS = 1000;
const CACHE_LIMIT = 200_000;

interface Row {
  device_id: string;
  created_at: Date;
  key_mode: KeyMode;
  key_version: number;
  previous_key_version: number | null;
  previous_key_mode: KeyMode | null;
  previous_key_expires_at: Date | null;
  rotated_at: Date | null;
  revoked_at: Date | null;
  reinstated_at: Date | null;
  psk_bound_at: Date | null;
  tags: string[];
}

function toRecord(r: Row): DeviceRecord {
  const rec: DeviceRecord = { device_id: r.device_id, created_at: r.created_at.toISOString(), key_mode: r.key_mode, key_version: r.key_version };
  if (r.previous_key_version !== null) rec.previous_key_version = r.previous_key_version;
  if (r.previous_key_mode !== null) rec.previous_key_mode = r.previous_key_mode;
  if (r.previous_key_expires_at) rec.previous_key_expires_at = r.previous_key_expires_at.toISOString();
  if (r.rotated_at) rec.rotated_at = r.rotated_at.toISOString();
  if (r.revoked_at) rec.revoked_at = r.revoked_at.toISOString();
  if (r.reinstated_at) rec.reinstated_at = r.reinstated_at.toISOString();
  if (r.psk_bound_at) rec.psk_bound_at = r.psk_bound_at.toISOString();
  if (r.tags.length > 0) rec.tags = r.tags;
  return rec;
}

const ts = (iso: string | undefined) => (iso === undefined ? null : new Date(iso));

function columns(r: DeviceRecord) {
  return {
    device_id: r.device_id,
    created_at: new Date(r.created_at),
    key_mode: r.key_mode,
    key_version: r.key_version,
    previous_key_version: r.previous_key_version ?? null,
    previous_key_mode: r.previous_key_mode ?? null,
    previous_key_expires_at: ts(r.previous_key_expires_at),
    rotated_at: ts(r.rotated_at),
    revoked_at: ts(r.revoked_at),
    reinstated_at: ts(r.reinstated_at),
    psk_bound_at: ts(r.psk_bound_at),
    tags: r.tags ?? [],
  };
}

/** Those of `ids` that have a row, in the order given (one query, whatever the count). */
async function registeredOf(sql: Sql | Tx, ids: readonly string[]): Promise<string[]> {
  const found = new Set((await sql<{ device_id: string }[]>`SELECT device_id FROM devices WHERE device_id = ANY(${ids as string[]}::text[])`).map((f) => f.device_id));
  return ids.filter((id) => found.has(id));
}

type Cached = { record: DeviceRecord } | { unknownUntil: number };

/** The cache's contents and what may have changed under a read in progress. */
class DeviceCache {
  readonly entries = new Map<string, Cached>();
  /** Bumped by every notification and clear: a read that started before one does not fill the cache. */
  generation = 0;

  delete(deviceId: string): void {
    this.generation++;
    this.entries.delete(deviceId);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}

export class PgDeviceRepo implements DeviceRepo {
  private listening: { state: ListenState; unlisten(): Promise<void> } | undefined;

  /**
   * `sql`: the pool; `trust`: whether this channel's notifications reach this replica now (the
   * cache is used only then). Inside a transaction (`within`) `written` collects the ids to drop from the cache once it
   * has committed.
   */
  constructor(
    private readonly sql: Db,
    private readonly trust: ChannelTrust = ALWAYS_TRUSTED,
    private readonly cache = new DeviceCache(),
    private readonly written?: Set<string>,
  ) {}

  /**
   * This repository inside `tx` (a config change, config.ts): reads go to `tx` and never to the
   * cache, which may lag another replica's commit by its notification, and never fill it (they may
   * see what `tx` has not committed); what it writes leaves this replica's cache once `tx` has
   * ended (`settle`, called after the commit or the rollback).
   */
  within(tx: Tx): { repo: PgDeviceRepo; settle(): void } {
    const written = new Set<string>();
    return {
      repo: new PgDeviceRepo(tx, this.trust, this.cache, written),
      settle: () => {
        for (const id of written) this.cache.delete(id);
      },
    };
  }

  /** Drops a written record from the cache: now, or for a repository inside a transaction once it ends. */
  private forget(deviceId: string): void {
    if (this.written) this.written.add(deviceId);
    else this.cache.delete(deviceId);
  }

  /** Starts listening for changes made by any gateway (resolves once listening). The pool's repository only. */
  async listen(): Promise<void> {
    this.listening = await (this.sql as Sql).listen(
      DEVICES_CHANNEL,
      (id) => this.cache.delete(id),
      // Called on every (re)connect of the listening connection: notifications may have been missed.
      () => this.cache.clear(),
    );
    this.trust.follow(this.listening.state);
  }

  async close(): Promise<void> {
    await this.listening?.unlisten().catch(() => undefined);
  }

  async get(deviceId: string): Promise<DeviceRecord | undefined> {
    if (this.written || !this.trust.trusted()) return this.read(deviceId);
    const hit = this.cache.entries.get(deviceId);
    if (hit) {
      if ('record' in hit) return hit.record;
      if (hit.unknownUntil > Date.now()) return undefined;
    }
    const generation = this.cache.generation;
    const record = await this.read(deviceId);
    if (generation !== this.cache.generation) return record;
    if (this.cache.entries.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.entries.set(deviceId, record ? { record } : { unknownUntil: Date.now() + UNKNOWN_TTL_MS });
    return record;
  }

  private async read(deviceId: string): Promise<DeviceRecord | undefined> {
    const rows = await this.sql<Row[]>`SELECT * FROM devices WHERE device_id = ${deviceId}`;
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(): Promise<DeviceRecord[]> {
    const rows = await this.sql<Row[]>`SELECT * FROM devices ORDER BY device_id COLLATE "C"`;
    return rows.map(toRecord);
  }

  async create(record: DeviceRecord): Promise<boolean> {
    const rows = await transaction(this.sql, async (tx) => {
      const inserted = await tx`INSERT INTO devices ${tx(columns(record))} ON CONFLICT (device_id) DO NOTHING RETURNING device_id`;
      if (inserted.length > 0) await tx`SELECT pg_notify(${DEVICES_CHANNEL}, ${record.device_id})`;
      return inserted;
    });
    this.forget(record.device_id);
    return rows.length > 0;
  }

  existing(ids: readonly string[]): Promise<string[]> {
    return registeredOf(this.sql, ids);
  }

  async createMany(records: readonly DeviceRecord[]): Promise<string[]> {
    const ids = records.map((r) => r.device_id);
    const existing = await transaction(this.sql, async (tx) => {
      // Locks out a concurrent bulk insert of the same ids until this one commits or rolls back.
      await tx`LOCK TABLE devices IN SHARE ROW EXCLUSIVE MODE`;
      const found = await registeredOf(tx, ids);
      if (found.length > 0) return found;
      for (let i = 0; i < records.length; i += 1000) {
        await tx`INSERT INTO devices ${tx(records.slice(i, i + 1000).map(columns))}`;
      }
      await tx`SELECT pg_notify(${DEVICES_CHANNEL}, id) FROM unnest(${ids}::text[]) AS id`;
      return [];
    });
    for (const id of ids) this.forget(id);
    return existing;
  }

  /** Reads the row under a lock, applies `change` and writes it back, in one transaction. */
  private async update<T>(deviceId: string, change: (current: DeviceRecord) => { next?: DeviceRecord; result: T }, missing: T): Promise<T> {
    const out = await transaction(this.sql, async (tx) => {
      const rows = await tx<Row[]>`SELECT * FROM devices WHERE device_id = ${deviceId} FOR UPDATE`;
      if (!rows[0]) return missing;
      const { next, result } = change(toRecord(rows[0]));
      if (next) {
        const { device_id: _id, ...set } = columns(next);
        await tx`UPDATE devices SET ${tx(set)} WHERE device_id = ${deviceId}`;
        await tx`SELECT pg_notify(${DEVICES_CHANNEL}, ${deviceId})`;
      }
      return result;
    });
    this.forget(deviceId);
    return out;
  }

  rotateKey(deviceId: string, now: number, graceMs: number): Promise<RotateOutcome> {
    return this.update<RotateOutcome>(
      deviceId,
      (current) => {
        if (current.revoked_at) return { result: { outcome: 'revoked' } };
        const next = rotated(current, now, graceMs);
        return { next, result: { outcome: 'rotated', device: next } };
      },
      { outcome: 'unknown' },
    );
  }

  revoke(deviceId: string, now: number): Promise<DeviceRecord | undefined> {
    return this.update<DeviceRecord | undefined>(
      deviceId,
      (current) => {
        if (current.revoked_at) return { result: current };
        const next = { ...current, revoked_at: new Date(now).toISOString() };
        return { next, result: next };
      },
      undefined,
    );
  }

  reinstate(deviceId: string, now: number): Promise<ReinstateOutcome> {
    return this.update<ReinstateOutcome>(
      deviceId,
      (current) => {
        if (!current.revoked_at) return { result: { outcome: 'not_revoked', device: current } };
        const next = reinstated(current, now);
        return { next, result: { outcome: 'reinstated', device: next } };
      },
      { outcome: 'unknown' },
    );
  }

  async setTags(deviceId: string, tags: readonly string[], _now: number): Promise<TagChange | undefined> {
    const out = await transaction(this.sql, async (tx) => {
      // The config lock first (as every config write takes it), then the device's row.
      const [, rows] = await Promise.all([lockConfig(tx), tx<Row[]>`SELECT * FROM devices WHERE device_id = ${deviceId} FOR UPDATE`]);
      if (!rows[0]) return undefined;
      const { tags: previous = [], ...rest } = toRecord(rows[0]);
      const record: DeviceRecord = tags.length > 0 ? { ...rest, tags: [...tags] } : rest;
      await tx`UPDATE devices SET tags = ${[...tags]}::text[] WHERE device_id = ${deviceId}`;
      await tx`SELECT pg_notify(${DEVICES_CHANNEL}, ${deviceId})`;
      // In this transaction: the new tags and the stamp commit together.
      const config_version = await stampRetag(tx, deviceId, previous, tags);
      return { record, previous, config_version };
    });
    this.forget(deviceId);
    return out;
  }

  async markPskBound(deviceId: string, now: number): Promise<void> {
    await this.update<void>(
      deviceId,
      (current) => (current.key_mode !== 'shared' || current.psk_bound_at ? { result: undefined } : { next: { ...current, psk_bound_at: new Date(now).toISOString() }, result: undefined }),
      undefined,
    );
  }
}
