/**
 * Whether this replica is hearing each cached channel's notifications now. Its caches (device
 * records, rollouts, releases, the firmware catalog) stay right only while every NOTIFY reaches
 * them. The listening connection can be lost (the database restarted, a network partition) long
 * before postgres.js notices, and after a reconnect it re-listens each channel on its own backoff
 * (up to 20 s, in any order), while the pool may serve again at once: a revocation made meanwhile
 * on another replica would never reach this one's cache.
 *
 * So every HEARTBEAT_MS each replica NOTIFYs a heartbeat of its own on HEARTBEAT_CHANNEL, on a
 * connection of its own (a busy pool must not make it late), and listens for it on the listening
 * connection that carries every channel. A cached channel is trusted while the heartbeat was heard
 * within TRUST_MS and the channel is listened to on the same listening connection (backend pid)
 * as the heartbeat: after a reconnect, a channel postgres.js has not listened to again yet still
 * shows the old pid. An untrusted channel's cache is not used: reads go to the database and fill
 * nothing; its `onlisten` drops the cache when it is listened to again. TRUST_MS is within the 1 s
 * in which a revocation must reach every replica.
 *
 * The heartbeats have a channel of their own so that replicas of the previous build, which treat
 * every payload on a cached channel as a change, never hear them.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Sql } from './connect.ts';

export const HEARTBEAT_CHANNEL = 'fleetgate_heartbeat';
export const HEARTBEAT_MS = 250;
export const TRUST_MS = 1000;

/** The connection heartbeats are sent on (see send()). */
export function openHeartbeatConnection(url: string): Sql {
  return connect(url, { max: 1, applicationName: 'fleetgate-heartbeat', queryTimeoutSeconds: 2 });
}

/** What postgres.js's `listen` returns as `state`: the listening connection's backend, kept up to date across re-listens. */
export interface ListenState {
  pid?: number;
}

/** A cached channel's trust, as its listener and cache see it. */
export interface ChannelTrust {
  /** The channel's `listen(...).state`, once it listens. */
  follow(state: ListenState): void;
  /** Whether the channel's notifications are reaching this replica now. */
  trusted(): boolean;
}

/** For a repository nobody notifies (a test's, or the CLI's): its own writes are all there is. */
export const ALWAYS_TRUSTED: ChannelTrust = { follow: () => undefined, trusted: () => true };

export class NotificationWatch {
  private readonly payload = randomBytes(8).toString('hex');
  private heardAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private listening: { state: ListenState; unlisten(): Promise<void> } | undefined;
  /** When the heartbeat in flight was sent; the next waits for it, up to TRUST_MS. */
  private beatSentAt: number | undefined;

  /** `sql`: the pool the channels are listened on; `beat`: the connection heartbeats are sent on. */
  constructor(
    private readonly sql: Sql,
    private readonly beat: Sql,
    private readonly heartbeatMs = HEARTBEAT_MS,
    private readonly trustMs = TRUST_MS,
  ) {}

  /** The trust of one cached channel. */
  channel(): ChannelTrust {
    let state: ListenState | undefined;
    return {
      follow: (s) => void (state = s),
      trusted: () => state?.pid !== undefined && state.pid === this.listening?.state.pid && this.hearing(),
    };
  }

  private hearing(): boolean {
    return performance.now() - this.heardAt < this.trustMs;
  }

  /** Starts listening and beating; resolves once a heartbeat is heard, or after TRUST_MS. */
  async start(): Promise<void> {
    this.listening = await this.sql.listen(HEARTBEAT_CHANNEL, (payload) => {
      if (payload === this.payload) this.heardAt = performance.now(); // else another replica's
    });
    this.timer = setInterval(() => this.send(), this.heartbeatMs).unref();
    this.send();
    const until = performance.now() + this.trustMs;
    while (performance.now() < until && !this.hearing()) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private send(): void {
    const now = performance.now();
    // One at a time, so a silent database does not pile them up; but a statement that never
    // settles (postgres.js can leave one waiting) must not stop the heartbeats for good.
    if (this.beatSentAt !== undefined && now - this.beatSentAt < this.trustMs) return;
    const sentAt = (this.beatSentAt = now);
    // No parameters (the payload is hex): the simple protocol, nothing to describe first. A NOTIFY
    // takes a transaction id, so its commit would wait for a WAL flush of its own (four a second
    // per replica, on a database every replica shares); a heartbeat need not survive a crash, so
    // its session commits without waiting (set on every beat: the connection may be a new one).
    // Listeners hear it at commit either way.
    this.beat
      .unsafe(`SELECT set_config('synchronous_commit', 'off', false), pg_notify('${HEARTBEAT_CHANNEL}', '${this.payload}')`)
      .catch(() => undefined) // the database being away: the missing heartbeats say so
      .finally(() => {
        if (this.beatSentAt === sentAt) this.beatSentAt = undefined;
      });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.listening?.unlisten().catch(() => undefined);
    await this.beat.end({ timeout: 1 }).catch(() => undefined);
  }
}
