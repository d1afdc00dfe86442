/**
 * Device events at run time: listens to every signed message (`ctx.auth.onSeen`, for `online`),
 * sweeps the fleet for silence every EVENTS_CHECK_INTERVAL_SECONDS (for `offline`) and reads boot
 * identity from diagnostics reports (`reboot`, `power_loss`, `power_restored`); rules in rules.ts.
 *
 * Last-seen is the later of what this process heard (in memory) and the nonce ledger's durable
 * `seen_at`, and silence is counted from no earlier than this process's start — so a gateway
 * restart, however long it was down, produces no event by itself: every device gets a full
 * 3 × heartbeat grace period to be heard again. The seen hook runs inside device requests and
 * must never slow them: it does an in-memory check and leaves any write to run in the background.
 */
import type { AppContext } from '../context.ts';
import type { RemoteConfigService } from '../remote-config/service.ts';
import type { DiagnosticsReport } from '../diagnostics/schema.ts';
import type { EventRepo } from './repo.ts';
import { onBootReport, onSeen, onSilence, type DeviceEvent } from './rules.ts';

export type EventListener = (event: DeviceEvent) => void;

export class EventService {
  readonly startedAt: number;
  private readonly heard = new Map<string, number>();
  private readonly listeners: EventListener[] = [];
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly ctx: AppContext,
    readonly repo: EventRepo,
    private readonly remoteConfig: RemoteConfigService,
  ) {
    this.startedAt = ctx.clock.now();
  }

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  /** The seen hook: called synchronously for every accepted signed message. */
  seen(deviceId: string, at: number): void {
    const before = this.heard.get(deviceId);
    if (before === undefined || at > before) this.heard.set(deviceId, at);
    if (!this.repo.isOffline(deviceId)) return;
    this.inBackground(this.apply(deviceId, (s) => onSeen(deviceId, s, at)));
  }

  /** The later of what this process heard and the durable last-seen time (any gateway's). */
  private lastSeen(deviceId: string, durable: number | undefined): number | undefined {
    const mem = this.heard.get(deviceId);
    if (mem === undefined) return durable;
    return durable === undefined ? mem : Math.max(mem, durable);
  }

  /** Declares offline every active device silent past its threshold; returns the new events. */
  async sweep(): Promise<DeviceEvent[]> {
    const now = this.ctx.clock.now();
    const multiplier = this.ctx.config.OFFLINE_HEARTBEAT_MULTIPLIER;
    const pending: Promise<DeviceEvent[]>[] = [];
    const [seen, { devices, heartbeatSeconds }] = await Promise.all([this.ctx.store.nonces.all(), this.remoteConfig.heartbeats()]);
    const active = new Map(devices.filter((d) => !d.revoked_at).map((d) => [d.device_id, d]));
    // Only devices ever heard from can go offline: walk those.
    const ids = new Set<string>(seen.keys());
    for (const id of this.heard.keys()) ids.add(id);
    for (const id of ids) {
      const device = active.get(id);
      if (!device) continue;
      const lastSeen = this.lastSeen(id, seen.get(id)?.seen_at);
      if (lastSeen === undefined) continue;
      if (this.repo.isOffline(id)) continue;
      const thresholdMs = multiplier * heartbeatSeconds(device) * 1000;
      if (now - Math.max(lastSeen, this.startedAt) <= thresholdMs) continue;
      pending.push(this.apply(id, (s) => onSilence(id, s, { now, lastSeen, startedAt: this.startedAt, thresholdMs })));
    }
    return (await Promise.all(pending)).flat();
  }

  /** Boot identity from a stored diagnostics report. */
  async diagnostics(deviceId: string, report: DiagnosticsReport, at: number): Promise<DeviceEvent[]> {
    // Derived from the in-memory state, which already holds an online transition for this very
    // message; the repository writes one device's transitions in order.
    return this.apply(deviceId, (s) => onBootReport(deviceId, s, report, at));
  }

  /** Resolves when background work (online events from the seen hook) has finished. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private async apply(deviceId: string, derive: Parameters<EventRepo['transition']>[1]): Promise<DeviceEvent[]> {
    const events = await this.repo.transition(deviceId, derive);
    for (const e of events) {
      this.ctx.logger.info({ device_id: e.device_id, event: e.type, event_id: e.event_id }, 'device event');
      for (const listener of this.listeners) {
        try {
          listener(e);
        } catch (err) {
          this.ctx.logger.error({ err, event_id: e.event_id }, 'event listener failed');
        }
      }
    }
    return events;
  }

  private inBackground(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.ctx.logger.error({ err }, 'could not record a device event'));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }
}
