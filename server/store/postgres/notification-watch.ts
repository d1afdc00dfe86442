/**
 * Whether this replica is hearing notifications now. Its caches (device records, rollouts,
 * releases, the firmware catalog) stay right only while every NOTIFY reaches them; the listening
 * connection can be lost (the database restarted, a network partition) long before postgres.js
 * notices and re-listens (its backoff reaches 20 s), while the pool already serves again — and a
 * revocation made meanwhile on another replica would never reach this one's cache.
 *
 * So each replica NOTIFYs a numbered heartbeat of its own every HEARTBEAT_MS through the pool and
 * listens for it on the listening connection. While the last one heard is older than TRUST_MS,
 * caches are not trusted: reads go to the database and fill nothing. A pool connection that closes
 * (the database went away, or an idle one retired) makes it `suspect()` at once: then only a
 * heartbeat sent after that restores trust. When the listening connection is re-established, its
 * `onlisten` drops every cache (notifications may have been missed), as before.
 */
import { randomBytes } from 'node:crypto';
import type { Sql } from './connect.ts';

export const HEARTBEAT_CHANNEL = 'fleetgate_heartbeat';
export const HEARTBEAT_MS = 500;
/** Three heartbeats missed: the listening connection is not to be relied on. */
export const TRUST_MS = 1500;

export class NotificationWatch {
  private readonly token = randomBytes(8).toString('hex');
  private heardAt = -Infinity;
  /** Heartbeats sent so far; one numbered below `trustFrom` restores nothing (sent before a suspicion). */
  private sent = 0;
  private trustFrom = 0;
  private timer: NodeJS.Timeout | undefined;
  private listening: { unlisten(): Promise<void> } | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly heartbeatMs = HEARTBEAT_MS,
    private readonly trustMs = TRUST_MS,
  ) {}

  /** Starts listening and beating (resolves once the first heartbeat is heard, or after TRUST_MS). */
  async start(): Promise<void> {
    let first: () => void = () => undefined;
    const heard = new Promise<void>((resolve) => (first = resolve));
    const prefix = `${this.token}:`;
    this.listening = await this.sql.listen(HEARTBEAT_CHANNEL, (payload) => {
      if (!payload.startsWith(prefix)) return; // another replica's
      if (Number(payload.slice(prefix.length)) < this.trustFrom) return;
      this.heardAt = performance.now();
      first();
    });
    this.timer = setInterval(() => this.beat(), this.heartbeatMs).unref();
    this.beat();
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([heard, new Promise<void>((resolve) => (wait = setTimeout(resolve, this.trustMs)))]);
    clearTimeout(wait);
  }

  private beat(): void {
    // A failure is the database being away: the missing heartbeat says so.
    this.sql`SELECT pg_notify(${HEARTBEAT_CHANNEL}, ${`${this.token}:${++this.sent}`})`.catch(() => undefined);
  }

  /** A connection to the database was lost: trust nothing until a heartbeat sent from now on is heard. */
  suspect(): void {
    this.heardAt = -Infinity;
    this.trustFrom = this.sent + 1;
  }

  /** Whether notifications are reaching this replica now (so its caches may be used). */
  trusted(): boolean {
    return performance.now() - this.heardAt < this.trustMs;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.listening?.unlisten().catch(() => undefined);
  }
}
