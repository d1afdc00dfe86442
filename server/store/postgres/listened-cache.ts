/**
 * A value read from the database on a hot path (the rollouts, the release records), kept in memory
 * per replica and dropped whenever any replica NOTIFYs its channel — and on a reconnect, after
 * which notifications may have been missed; not used at all while the channel's notifications are
 * not reaching this replica (its heartbeats, NotificationWatch). A load that started before a drop never installs its (possibly
 * stale) result.
 */
import type { Sql } from './connect.ts';
import type { ChannelTrust } from './notification-watch.ts';

export class ListenedCache<T> {
  private cached: T | undefined;
  /** Bumped by every drop: a load that started before one must not install its result. */
  private generation = 0;
  private listening: { unlisten(): Promise<void> } | undefined;

  constructor(
    private readonly sql: Sql,
    readonly channel: string,
    private readonly trust: ChannelTrust,
    private readonly load: () => Promise<T>,
  ) {}

  /** Starts listening for changes made by any replica (resolves once listening). */
  async listen(): Promise<void> {
    const listening = await this.sql.listen(this.channel, () => this.drop(), () => this.drop());
    this.trust.follow(listening.state);
    this.listening = listening;
  }

  async close(): Promise<void> {
    await this.listening?.unlisten().catch(() => undefined);
  }

  async get(): Promise<T> {
    if (!this.trust.trusted()) {
      this.drop(); // what it holds may be what a missed notification changed
      return this.load();
    }
    if (this.cached !== undefined) return this.cached;
    const generation = this.generation;
    const value = await this.load();
    if (generation === this.generation) this.cached = value;
    return value;
  }

  /** Forget the copy (this replica changed something; others hear the NOTIFY). */
  drop(): void {
    this.generation++;
    this.cached = undefined;
  }
}
