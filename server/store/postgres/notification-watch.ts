/**
 * Whether this replica is hearing each channel's notifications now. Its caches (device records,
 * rollouts, releases, the firmware catalog) stay right only while every NOTIFY reaches them. The
 * listening connection can be lost (the database restarted, a network partition) long before
 * postgres.js notices, and after a reconnect it re-listens each channel on its own backoff (up to
 * 20 s, in any order), while the pool may serve again at once: a revocation made meanwhile on
 * another replica would never reach this one's cache.
 *
 * So every HEARTBEAT_MS each replica NOTIFYs a heartbeat of its own on every cached channel (one
 * statement through the pool) and listens for it there. A channel whose last heartbeat is older
 * than TRUST_MS is not trusted: its cache is not used, reads go to the database and fill nothing.
 * When a channel is listened to again its `onlisten` drops the cache (notifications may have been
 * missed), and its heartbeats make it trusted again. TRUST_MS is within the 1 s in which a
 * revocation must reach every replica.
 */
import { randomBytes } from 'node:crypto';
import type { Sql } from './connect.ts';

export const HEARTBEAT_MS = 250;
export const TRUST_MS = 1000;
/** What every heartbeat payload starts with: `~` is in no device id, version or rollout id. */
export const HEARTBEAT_PREFIX = '~hb:';

/** A cached channel's trust, as its listener and cache see it. */
export interface ChannelTrust {
  /** Whether `payload` is a heartbeat (any replica's): then it is no change to apply. */
  heartbeat(payload: string): boolean;
  /** Whether this replica heard its own heartbeat on the channel within TRUST_MS. */
  trusted(): boolean;
}

/** For a repository nobody notifies (a test's, or the CLI's): its own writes are all there is. */
export const ALWAYS_TRUSTED: ChannelTrust = { heartbeat: () => false, trusted: () => true };

class HeardChannel implements ChannelTrust {
  heardAt = -Infinity;

  constructor(
    private readonly own: string,
    private readonly trustMs: number,
  ) {}

  heartbeat(payload: string): boolean {
    if (!payload.startsWith(HEARTBEAT_PREFIX)) return false;
    if (payload === this.own) this.heardAt = performance.now();
    return true;
  }

  trusted(): boolean {
    return performance.now() - this.heardAt < this.trustMs;
  }
}

export class NotificationWatch {
  private readonly payload = `${HEARTBEAT_PREFIX}${randomBytes(8).toString('hex')}`;
  private readonly channels = new Map<string, HeardChannel>();
  private timer: NodeJS.Timeout | undefined;
  /** A heartbeat not yet answered: the next is skipped, so a silent database does not pile them up. */
  private beating = false;

  constructor(
    private readonly sql: Sql,
    private readonly heartbeatMs = HEARTBEAT_MS,
    private readonly trustMs = TRUST_MS,
  ) {}

  /** The trust of `channel`; its listener must hand every payload to `heartbeat()` first. */
  channel(channel: string): ChannelTrust {
    let heard = this.channels.get(channel);
    if (!heard) this.channels.set(channel, (heard = new HeardChannel(this.payload, this.trustMs)));
    return heard;
  }

  /** Starts the heartbeats; resolves once every channel is trusted, or after TRUST_MS. */
  async start(): Promise<void> {
    this.timer = setInterval(() => this.beat(), this.heartbeatMs).unref();
    this.beat();
    const until = performance.now() + this.trustMs;
    while (performance.now() < until && ![...this.channels.values()].every((c) => c.trusted())) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private beat(): void {
    if (this.beating || this.channels.size === 0) return;
    this.beating = true;
    // A failure is the database being away: the missing heartbeats say so.
    this.sql`SELECT pg_notify(c, ${this.payload}::text) FROM unnest(${[...this.channels.keys()]}::text[]) AS c`
      .catch(() => undefined)
      .finally(() => (this.beating = false));
  }

  close(): void {
    clearInterval(this.timer);
  }
}
