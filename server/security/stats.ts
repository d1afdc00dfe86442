/**
 * Security counters for `GET /security/stats`: every authenticated-message attempt and how it
 * ended, fleet-wide and per device. Counted in memory on the hot path and added to the stored
 * totals (a SecurityStatsRepo, server/store/) every few seconds and at shutdown, so a restart
 * keeps the history without a write per request, and gateways sharing a store add up their
 * counts. A view is the stored totals plus what this process has not added yet.
 */
import type { Clock } from '../clock.ts';

export const OUTCOMES = ['accepted', 'duplicate', 'bad_signature', 'replay', 'unknown_device', 'crc_failure', 'malformed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type Counters = Record<Outcome, number> & { total: number };

export interface StoredStats {
  /** When counting started (ISO-8601). */
  since: string;
  fleet: Counters;
  /** Per device, keyed by id (a Map: ids are device-chosen strings). */
  devices: ReadonlyMap<string, Counters>;
}

/** Counts to add to the stored totals. */
export interface StatsDelta {
  fleet: Counters;
  devices: ReadonlyMap<string, Counters>;
}

export interface SecurityStatsRepo {
  /** The stored totals; `since` is set to `now` on first use. */
  load(now: number): Promise<StoredStats>;
  add(delta: StatsDelta): Promise<void>;
}

export const zeroCounters = (): Counters => ({ total: 0, accepted: 0, duplicate: 0, bad_signature: 0, replay: 0, unknown_device: 0, crc_failure: 0, malformed: 0 });

export function addCounters(into: Counters, delta: Counters): void {
  into.total += delta.total;
  for (const o of OUTCOMES) into[o] += delta[o];
}

/** Percent of messages accepted or answered as retransmissions, two decimals (100 when none). */
export const successRate = (c: Counters): number => (c.total === 0 ? 100 : Math.round(((c.accepted + c.duplicate) / c.total) * 10000) / 100);

/** Per-device entries only for registered ids, and at most this many: random ids cannot grow it. */
export const MAX_TRACKED_DEVICES = 100_000;

export class SecurityStats {
  private pending: { fleet: Counters; devices: Map<string, Counters> } = { fleet: zeroCounters(), devices: new Map() };
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly repo: SecurityStatsRepo,
    private readonly clock: Clock,
    flushMs = 5000,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), flushMs);
    this.timer.unref();
  }

  record(outcome: Outcome, deviceId: string | undefined, known: boolean): void {
    const p = this.pending;
    p.fleet.total++;
    p.fleet[outcome]++;
    if (deviceId && known) {
      let per = p.devices.get(deviceId);
      if (!per && p.devices.size < MAX_TRACKED_DEVICES) p.devices.set(deviceId, (per = zeroCounters()));
      if (per) {
        per.total++;
        per[outcome]++;
      }
    }
  }

  async snapshot() {
    const stored = await this.repo.load(this.clock.now());
    const fleet = { ...stored.fleet };
    addCounters(fleet, this.pending.fleet);
    const devices = new Map([...stored.devices].map(([id, c]) => [id, { ...c }]));
    for (const [id, c] of this.pending.devices) {
      const into = devices.get(id) ?? zeroCounters();
      addCounters(into, c);
      devices.set(id, into);
    }
    const rate = successRate;
    // Keys are device-chosen strings (even "__proto__"): an object built with defineProperty-safe entries.
    const perDevice = Object.fromEntries([...devices].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, c]) => [id, { ...c, success_rate: rate(c) }]));
    return { since: stored.since, fleet: { ...fleet, success_rate: rate(fleet) }, devices: perDevice };
  }

  /** The fleet totals and one device's (undefined if none counted), without building every device's view. */
  async totals(deviceId?: string): Promise<{ since: string; fleet: Counters & { success_rate: number }; device: (Counters & { success_rate: number }) | undefined }> {
    const stored = await this.repo.load(this.clock.now());
    const fleet = { ...stored.fleet };
    addCounters(fleet, this.pending.fleet);
    let device: Counters | undefined;
    const mine = deviceId === undefined ? undefined : stored.devices.get(deviceId);
    const pending = deviceId === undefined ? undefined : this.pending.devices.get(deviceId);
    if (mine || pending) {
      device = mine ? { ...mine } : zeroCounters();
      if (pending) addCounters(device, pending);
    }
    return { since: stored.since, fleet: { ...fleet, success_rate: successRate(fleet) }, device: device && { ...device, success_rate: successRate(device) } };
  }

  /** Adds what was counted since the last flush to the stored totals. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    const delta = this.pending;
    if (delta.fleet.total === 0) return;
    this.pending = { fleet: zeroCounters(), devices: new Map() };
    this.flushing = this.repo.add(delta).catch((err: unknown) => {
      // Keep the counts for the next attempt.
      addCounters(this.pending.fleet, delta.fleet);
      for (const [id, c] of delta.devices) {
        const into = this.pending.devices.get(id) ?? zeroCounters();
        addCounters(into, c);
        this.pending.devices.set(id, into);
      }
      throw err;
    });
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
