/**
 * Background jobs that must run once per fleet (offline sweep, retention, stale-session cleanup,
 * rollout steering) take a lease: a session advisory lock on one connection this gateway keeps for
 * the purpose. The gateway that holds a job's lock keeps it, and runs the job every time; the
 * others skip it. If that gateway dies its connection closes, the lock is released, and the next
 * gateway to try takes the job over.
 */
import type { ReservedSql } from 'postgres';
import type { Sql } from './connect.ts';

/** Namespace of job leases among advisory locks (0001_core uses 7001 for nonce locks). */
const LEASE_NAMESPACE = 7002;

export class Leases {
  private conn: ReservedSql | undefined;
  private opening: Promise<ReservedSql> | undefined;
  private readonly held = new Set<string>();
  private closed = false;

  constructor(private readonly sql: Sql) {}

  private async connection(): Promise<ReservedSql> {
    if (this.conn) return this.conn;
    this.opening ??= this.sql.reserve().then((c) => {
      this.conn = c as unknown as ReservedSql;
      this.opening = undefined;
      return this.conn;
    });
    return this.opening;
  }

  /** Whether this gateway holds (or has just taken) the lease of `job`. */
  async hold(job: string): Promise<boolean> {
    if (this.closed) return false;
    try {
      const conn = await this.connection();
      if (this.held.has(job)) {
        // Still ours only while the connection that took it is alive.
        await conn`SELECT 1`;
        return true;
      }
      const [row] = await conn<{ ok: boolean }[]>`SELECT pg_try_advisory_lock(${LEASE_NAMESPACE}, hashtext(${job})) AS ok`;
      if (row!.ok) this.held.add(job);
      return row!.ok;
    } catch (err) {
      // The lease connection is gone, and every lock with it.
      this.drop();
      throw err;
    }
  }

  /** Leases this gateway holds (for /health/ready and logs). */
  jobs(): string[] {
    return [...this.held].sort();
  }

  private drop(): void {
    this.held.clear();
    const conn = this.conn;
    this.conn = undefined;
    conn?.release();
  }

  /** Releases every lease (SIGTERM: another gateway takes the jobs over at once). */
  async close(): Promise<void> {
    this.closed = true;
    const conn = this.conn;
    if (conn) await conn`SELECT pg_advisory_unlock_all()`.catch(() => undefined);
    this.drop();
  }
}
