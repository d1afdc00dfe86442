/**
 * Device events on PostgreSQL: derivation state in `event_states`, events in `device_events`
 * (0002_control_plane.sql).
 *
 * `transition` is one transaction: it takes the device's event lock (fg_lock_device_events: a lock
 * on the device's state whether or not its row exists yet), reads the state, derives, and stores
 * the new state and the events together — two observations, on one gateway or two, derive from
 * each other's result and never produce the same event twice; and an event already stored (its id
 * is deterministic) is not stored, nor returned, again.
 *
 * `isOffline` must answer without I/O (every signed message asks), so each gateway keeps the set
 * of offline devices in memory: loaded at open, changed by its own transitions, and by everyone
 * else's through NOTIFY `fleetgate_events` ("offline:<id>" / "online:<id>", sent in the
 * transaction that changes the status). A device the sweep on gateway A declares offline is
 * offline on gateway B within milliseconds, so B's seen hook emits `online` when the device comes
 * back to B. When the listening connection is lost the set is loaded again on reconnect; and while
 * this replica is not hearing the channel (its heartbeats, NotificationWatch: a lost listening
 * connection can go unnoticed for minutes), the set is read again at most every UNHEARD_RELOAD_MS
 * as it is used, so a status another replica changed meanwhile reaches this one within a second
 * or so instead of after the reconnect: a device back on this replica is then declared online,
 * and one gone silent is not skipped by the offline sweep.
 */
import type { EventQuery, EventRepo } from '../../events/repo.ts';
import type { DeviceEvent, DeviceEventState, Transition } from '../../events/rules.ts';
import type { Sql } from './connect.ts';
import { ALWAYS_TRUSTED, type ChannelTrust, type ListenState } from './notification-watch.ts';
import { chronological, noFilter, startOfUtcDay } from './timeline.ts';

export const EVENTS_CHANNEL = 'fleetgate_events';
const DAY_MS = 86_400_000;
/** While the channel is not heard, the offline set is read again at most this often. */
export const UNHEARD_RELOAD_MS = 1000;

interface StateRow extends DeviceEventState {
  device_id: string;
}

interface EventRow {
  event_id: string;
  device_id: string;
  type: DeviceEvent['type'];
  at: Date;
  details: Record<string, unknown>;
}

const toState = (r: StateRow): DeviceEventState => ({
  status: r.status,
  transitions: r.transitions,
  boot_id: r.boot_id,
  offline_since: r.offline_since,
  returned_at: r.returned_at,
});

const toEvent = (r: EventRow): DeviceEvent => ({ event_id: r.event_id, device_id: r.device_id, type: r.type, at: r.at.toISOString(), details: r.details });

export class PgEventRepo implements EventRepo {
  private offline = new Set<string>();
  /** Notifications that arrive while the set is being (re)loaded, applied on top of it. */
  private buffered: string[] | undefined;
  private listening: { state: ListenState; unlisten(): Promise<void> } | undefined;
  /** Per device, the end of this gateway's last transition (see transition). */
  private readonly chains = new Map<string, Promise<void>>();
  /** Loads of the offline set, one after another (each collects the notifications during it). */
  private loading: Promise<void> = Promise.resolve();
  private loadsRunning = 0;
  private lastLoadAt = -Infinity;

  constructor(
    private readonly sql: Sql,
    private readonly retentionDays: number,
    private readonly trust: ChannelTrust = ALWAYS_TRUSTED,
  ) {}

  /** Listens for other gateways' status changes and loads the offline set (resolves once both are done). */
  async listen(): Promise<void> {
    let loaded: Promise<void> = Promise.resolve();
    this.listening = await this.sql.listen(
      EVENTS_CHANNEL,
      (payload) => (this.buffered ? this.buffered.push(payload) : this.apply(payload)),
      // Every (re)connect: notifications may have been missed, so the set is read again.
      () => {
        loaded = this.load();
        void loaded.catch(() => undefined);
      },
    );
    this.trust.follow(this.listening.state);
    await loaded;
  }

  /** Reads the set again, after any load already running (two at once would share one buffer). */
  private load(): Promise<void> {
    this.loadsRunning++;
    const run = this.loading.then(() => this.loadNow());
    this.loading = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => this.loadsRunning--);
  }

  private async loadNow(): Promise<void> {
    this.lastLoadAt = performance.now();
    this.buffered = [];
    let rows: { device_id: string }[] | undefined;
    try {
      rows = await this.sql<{ device_id: string }[]>`SELECT device_id FROM event_states WHERE status = 'offline'`;
    } finally {
      // Notifications heard meanwhile go on top of the new set, or, the read failed, of the old one.
      const heard = this.buffered;
      this.buffered = undefined;
      if (rows) this.offline = new Set(rows.map((r) => r.device_id));
      for (const payload of heard) this.apply(payload);
    }
  }

  /** While the channel is not heard: the set is read again, at most every UNHEARD_RELOAD_MS. */
  private reloadIfUnheard(): void {
    if (this.trust.trusted() || this.loadsRunning > 0 || performance.now() - this.lastLoadAt < UNHEARD_RELOAD_MS) return;
    void this.load().catch(() => undefined); // the database away: the next use asks again
  }

  private apply(payload: string): void {
    const colon = payload.indexOf(':');
    const status = payload.slice(0, colon);
    const id = payload.slice(colon + 1);
    if (status === 'offline') this.offline.add(id);
    else if (status === 'online') this.offline.delete(id);
  }

  async close(): Promise<void> {
    await this.listening?.unlisten().catch(() => undefined);
  }

  async state(deviceId: string): Promise<DeviceEventState | undefined> {
    const [row] = await this.sql<StateRow[]>`SELECT * FROM event_states WHERE device_id = ${deviceId}`;
    return row && toState(row);
  }

  async states(): Promise<ReadonlyMap<string, DeviceEventState>> {
    const rows = await this.sql<StateRow[]>`SELECT * FROM event_states`;
    return new Map(rows.map((r) => [r.device_id, toState(r)]));
  }

  isOffline(deviceId: string): boolean {
    this.reloadIfUnheard();
    return this.offline.has(deviceId);
  }

  transition(deviceId: string, derive: (state: DeviceEventState | undefined) => Transition | null): Promise<DeviceEvent[]> {
    // This gateway's transitions of one device run one after another, in call order: the advisory
    // lock alone orders them by whichever pool connection gets there first, and a message's
    // online transition could then be stored after the boot report that came with it.
    const previous = this.chains.get(deviceId) ?? Promise.resolve();
    const run = previous.then(() => this.transitionNow(deviceId, derive));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(deviceId, settled);
    void settled.then(() => {
      if (this.chains.get(deviceId) === settled) this.chains.delete(deviceId);
    });
    return run;
  }

  private async transitionNow(deviceId: string, derive: (state: DeviceEventState | undefined) => Transition | null): Promise<DeviceEvent[]> {
    const result = await this.sql.begin(async (tx) => {
      // Sent together; the server runs them in order, so the read sees every transition committed before the lock was granted.
      const [, [row]] = await Promise.all([tx`SELECT fg_lock_device_events(${deviceId})`, tx<StateRow[]>`SELECT * FROM event_states WHERE device_id = ${deviceId}`]);
      const before = row && toState(row);
      const t = derive(before);
      if (!t) return undefined;
      const n = t.next;
      const [stored] = await Promise.all([
        t.events.length === 0
          ? []
          : tx<{ event_id: string }[]>`
              INSERT INTO device_events (event_id, device_id, type, at, details)
              SELECT e.event_id, e.device_id, e.type, e.at, e.details
              FROM json_to_recordset(${JSON.stringify(t.events)}::text::json) AS e(event_id text, device_id text, type text, at timestamptz, details json)
              ON CONFLICT (event_id) DO NOTHING
              RETURNING event_id`,
        tx`
          INSERT INTO event_states (device_id, status, transitions, boot_id, offline_since, returned_at)
          VALUES (${deviceId}, ${n.status}, ${n.transitions}, ${n.boot_id}, ${n.offline_since}, ${n.returned_at})
          ON CONFLICT (device_id) DO UPDATE SET status = EXCLUDED.status, transitions = EXCLUDED.transitions, boot_id = EXCLUDED.boot_id,
            offline_since = EXCLUDED.offline_since, returned_at = EXCLUDED.returned_at`,
        ...((before?.status ?? 'online') !== n.status ? [tx`SELECT pg_notify(${EVENTS_CHANNEL}, ${`${n.status}:${deviceId}`})`] : []),
      ]);
      const fresh = new Set(stored.map((s) => s.event_id));
      return { next: n, events: t.events.filter((e) => fresh.has(e.event_id)) };
    });
    if (!result) return [];
    // At once for this gateway; the others hear it from the notification. A reload whose read
    // came before this commit can overwrite it; while the channel is heard, the notification is
    // applied on top of that reload, and while it is not, the next reload (within about a second)
    // reads it.
    this.apply(`${result.next.status}:${deviceId}`);
    return result.events;
  }

  async query(q: EventQuery): Promise<DeviceEvent[]> {
    const device = q.deviceId === undefined ? noFilter(this.sql) : this.sql`AND device_id = ${q.deviceId}`;
    const type = q.type === undefined ? noFilter(this.sql) : this.sql`AND type = ${q.type}`;
    return (await chronological<EventRow>(this.sql, 'device_events', [device, type], q)).map(toEvent);
  }

  async prune(now: number): Promise<number> {
    const res = await this.sql`DELETE FROM device_events WHERE at < ${startOfUtcDay(now - this.retentionDays * DAY_MS)}`;
    return res.count;
  }
}
