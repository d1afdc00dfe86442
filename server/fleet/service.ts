/**
 * The fleet read model at run time: loads it from the store at start, keeps it current from the
 * store's taps (observe.ts), writes the activity it counted every few seconds, and — when the
 * store is shared with other gateways (PostgreSQL) — reloads it every FLEET_RESYNC_MS so their
 * changes show too. Work a change implies beyond updating one row in memory (re-reading a
 * device's command queue, recomputing config lag after a config change) runs in the background,
 * coalesced, never inside the request that made the change.
 */
import type { Logger } from '../logger.ts';
import type { Clock } from '../clock.ts';
import type { StatsDelta } from '../security/stats.ts';
import { hourOf } from './activity-repo.ts';
import { DEVICE_HOURS, FLEET_HOURS, REJECTED_OUTCOMES } from './activity.ts';
import { commandCounts, loadRow, loadRows, otaFirmware, reportedFirmware, type FleetSources } from './loader.ts';
import { ConfigLagTracker } from './config-lag.ts';
import { FleetModel } from './model.ts';
import type { FleetChanges } from './observe.ts';
import type { DiagnosticsRecord } from '../diagnostics/schema.ts';
import type { DeviceEvent } from '../events/rules.ts';
import type { OtaSession } from '../ota/sessions.ts';
import type { DeviceOtaState } from '../ota/state.ts';
import type { DeviceRecord } from '../store/types.ts';

export const ACTIVITY_FLUSH_MS = 15_000;
export const FLEET_RESYNC_MS = 30_000;

export interface FleetServiceOptions {
  clock: Clock;
  logger: Logger;
  /** Reload the whole model this often (a store shared with other gateways); 0: never. */
  resyncMs: number;
  /** Told about every byte of firmware served (the /metrics counter). */
  onBytesServed?: (kind: 'chunk' | 'download', bytes: number) => void;
}

export class FleetService implements FleetChanges {
  readonly model = new FleetModel();
  private readonly background = new Set<Promise<unknown>>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Devices changed while a full reload was reading: re-read once it is in. */
  private touchedDuringLoad: Set<string> | null = null;
  private readonly configLag: ConfigLagTracker;
  /** Serialises activity writes and reloads (a reload must not miss a write in flight). */
  private activityLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sources: FleetSources,
    private readonly options: FleetServiceOptions,
  ) {
    this.configLag = new ConfigLagTracker(sources.config, this.model, options.logger, (work) => this.inBackground(work));
  }

  private get now(): number {
    return this.options.clock.now();
  }

  /** Loads the model and starts the periodic work. */
  async start(): Promise<void> {
    await this.reload();
    const every = (ms: number, what: string, fn: () => Promise<unknown>) => {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        fn()
          .catch((err: unknown) => this.options.logger.error({ err }, `fleet view: ${what} failed`))
          .finally(() => (running = false));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(ACTIVITY_FLUSH_MS, 'writing activity counts', () => this.flush());
    if (this.options.resyncMs > 0) every(this.options.resyncMs, 'resync', () => this.reload());
  }

  /** Reads the whole fleet from the store (and the activity counts) and swaps it in. */
  async reload(): Promise<void> {
    const touched = new Set<string>();
    this.touchedDuringLoad = touched;
    const lagMark = this.configLag.mark();
    try {
      const { store } = this.sources;
      const now = this.now;
      const [rows, latest, rollouts] = await Promise.all([loadRows(this.sources), this.sources.latestFirmware(), store.rollouts.list()]);
      await this.withActivityLock(async () => {
        const stored = await store.fleetActivity.load(hourOf(now) - DEVICE_HOURS + 1, hourOf(now) - FLEET_HOURS + 1);
        this.model.activity.replaceStored(stored, now);
      });
      for (const r of rows) r.last_upload = this.model.activity.lastUpload(r.device_id);
      this.model.replaceAll(rows);
      // Config lag applied while the rows were read may be newer than theirs: recompute it.
      if (this.configLag.appliedSince(lagMark)) this.configLag.fleet();
      this.model.latestFirmware = latest;
      this.model.rollouts = rollouts;
    } finally {
      this.touchedDuringLoad = null;
    }
    for (const id of touched) this.inBackground(this.refresh(id));
  }

  /** Re-reads one device's row from the store. */
  async refresh(deviceId: string): Promise<void> {
    const lagMark = this.configLag.mark();
    const row = await loadRow(this.sources, deviceId);
    if (!row) return;
    row.last_upload = this.model.activity.lastUpload(deviceId);
    this.model.put(row);
    if (this.configLag.appliedSince(lagMark)) this.configLag.device(deviceId);
  }

  /** Writes the activity counted since the last write. */
  flush(): Promise<void> {
    return this.withActivityLock(async () => {
      const delta = this.model.activity.takeDelta();
      try {
        await this.sources.store.fleetActivity.add(delta);
      } catch (err) {
        this.model.activity.restore(delta);
        throw err;
      }
    });
  }

  /** Forgets activity older than the model shows (once per fleet: store.exclusive). */
  async prune(): Promise<void> {
    const h = hourOf(this.now);
    this.model.activity.trim(this.now);
    await this.sources.store.fleetActivity.prune(h - DEVICE_HOURS - 1, h - FLEET_HOURS - 24);
  }

  /** Resolves when background work queued so far (and what it queued) is done. */
  async idle(): Promise<void> {
    // A config-lag pass queues the devices changed while it ran: wait for those too.
    for (;;) {
      await this.configLag.idle();
      if (this.background.size === 0) break;
      await Promise.allSettled([...this.background]);
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.configLag.close();
    await this.idle();
    await this.flush();
  }

  setLatestFirmware(version: string | null): void {
    this.model.latestFirmware = version;
  }

  // --- FleetChanges: called by the store's taps, after each write.

  record(record: DeviceRecord): void {
    this.touch(record.device_id);
    const isNew = !this.model.get(record.device_id);
    this.model.record(record);
    if (record.revoked_at) this.model.activity.forget(record.device_id);
    // A new or reinstated device's config lag, a re-tagged device's effective config: this
    // device's alone (a pass over the fleet per registration read every device each time).
    if (isNew || !record.revoked_at) this.configLag.device(record.device_id);
  }

  seen(deviceId: string, nonce: number, at: number, upload: boolean): void {
    this.touch(deviceId);
    if (upload) this.model.activity.upload(deviceId, at);
    this.model.seen(deviceId, nonce, at, upload);
  }

  noncesReset(deviceId: string | undefined): void {
    if (deviceId === undefined) {
      this.inBackground(this.reload());
      return;
    }
    this.touch(deviceId);
    this.inBackground(this.refresh(deviceId));
  }

  events(events: readonly DeviceEvent[]): void {
    for (const e of events) {
      if (e.type !== 'online' && e.type !== 'offline') continue;
      this.touch(e.device_id);
      this.model.change(e.device_id, (r) => (r.event_status = e.type as 'online' | 'offline'));
    }
  }

  diagnostics(deviceId: string, record: DiagnosticsRecord): void {
    this.touch(deviceId);
    let appliedChanged = false;
    this.model.change(deviceId, (r) => {
      r.reported_firmware = reportedFirmware(record);
      if (record.config_version !== undefined && record.config_version !== r.config_applied) {
        appliedChanged = true;
        r.config_applied = record.config_version;
        // Known target: decide at once; the exact answer follows from the config service.
        if (r.config_version !== null && record.config_version >= r.config_version) {
          r.config_behind = false;
          r.config_version = null;
        }
      }
    });
    if (appliedChanged) this.configLag.device(deviceId);
  }

  ota(state: DeviceOtaState): void {
    this.touch(state.device_id);
    this.model.change(state.device_id, (r) => (r.ota_firmware = otaFirmware(state)));
  }

  session(session: OtaSession): void {
    this.touch(session.device_id);
    // A replaced session is reported before its replacement: the device's row ends on the new one.
    this.model.change(session.device_id, (r) => (r.ota_session = session.status));
  }

  bytesServed(kind: 'chunk' | 'download', bytes: number): void {
    this.model.bytesServed[kind] += bytes;
    this.options.onBytesServed?.(kind, bytes);
  }

  commands(deviceIds: Iterable<string>): void {
    for (const id of deviceIds) {
      this.touch(id);
      this.inBackground(
        commandCounts(this.sources.store, id).then((c) =>
          this.model.change(id, (r) => {
            r.commands_pending = c.pending;
            r.commands_sent = c.sent;
          }),
        ),
      );
    }
  }

  /** Config lag of the whole fleet, recomputed once for any burst of config changes. */
  config(): void {
    this.configLag.fleet();
  }

  rollouts(): void {
    this.inBackground(this.sources.store.rollouts.list().then((r) => (this.model.rollouts = r)));
  }

  security(delta: StatsDelta): void {
    const now = this.now;
    this.model.activity.outcomes(delta.fleet, now);
    for (const [id, c] of delta.devices) {
      if (!this.model.get(id)) continue;
      let rejected = 0;
      for (const o of REJECTED_OUTCOMES) rejected += c[o];
      this.model.activity.rejected(id, rejected, now);
    }
  }

  // ---

  private touch(deviceId: string): void {
    this.touchedDuringLoad?.add(deviceId);
  }

  private withActivityLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.activityLock.then(fn, fn);
    this.activityLock = run.catch(() => undefined);
    return run;
  }

  private inBackground(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.options.logger.error({ err }, 'fleet view: background update failed'));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }
}
