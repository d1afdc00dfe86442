/**
 * Keeps the fleet rows' config lag (config_behind, config_version) current. A layer change can
 * move any device: it takes a fleet pass (remote config's `lagging()`, every device at once). A
 * device's own change (registration, retag, reinstatement, a reported version) moves that device
 * alone: its own view (`deviceView()`), unless so many change at once (a bulk registration, a
 * fleet reporting after a rollout) that one pass is cheaper than their reads.
 *
 * Answers can arrive out of order (a pooled store), so each is applied only if nothing newer was:
 * - a device changed while a fleet pass runs is asked again after it (the pass may have read it
 *   before the change);
 * - a device's answer read before a later fleet pass applied is dropped (the pass's is newer);
 * - of two reads of one device, only the later one applies;
 * - a whole-model reload, which reads the lag with everything else, asks for a pass if any answer
 *   was applied while it read (`mark()` / `appliedSince()`).
 * A pass or a read that fails is made good by a fleet pass RETRY_MS later.
 */
import type { Logger } from '../logger.ts';
import type { ConfigLag } from './loader.ts';
import type { FleetModel } from './model.ts';

/** More devices than this to read at once (in flight and new): one fleet pass instead. */
export const DEVICE_READS_MAX = 32;
/** After a failed pass or read (the store did not answer), a fleet pass this much later. */
export const RETRY_MS = 5_000;

export class ConfigLagTracker {
  private passRun: Promise<void> | null = null;
  private passAgain = false;
  /** Fleet passes started, and the number of the last one applied. */
  private passesStarted = 0;
  private lastPassApplied = 0;
  /** Devices changed while a pass ran: asked once it ends. */
  private readonly afterPass = new Set<string>();
  /** Devices changed this turn of the event loop (see DEVICE_READS_MAX). */
  private readonly dirty = new Set<string>();
  /** The latest read in flight per device. */
  private readonly reads = new Map<string, number>();
  private readSeq = 0;
  /** Answers applied so far (passes and device reads): see mark(). */
  private applied = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: ConfigLag,
    private readonly model: FleetModel,
    private readonly logger: Logger,
    /** Runs work in the background, tracked for idle() and logged if it fails. */
    private readonly inBackground: (work: Promise<unknown>) => void,
  ) {}

  /** Every device may have moved (a layer or the defaults changed). */
  fleet(): void {
    if (this.passRun) {
      this.passAgain = true;
      return;
    }
    // Started on the next microtask: a source that throws at once still ends in runPasses' finally
    // after passRun is set, never before.
    this.passRun = Promise.resolve().then(() => this.runPasses());
  }

  /** The answers applied so far, to ask `appliedSince` after reading rows with their lag. */
  mark(): number {
    return this.applied;
  }

  /** Whether an answer was applied since `mark` (rows read meanwhile may carry an older lag). */
  appliedSince(mark: number): boolean {
    return this.applied !== mark;
  }

  close(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
  }

  /** This device's own config changed (or what it reported). */
  device(deviceId: string): void {
    if (this.dirty.size === 0) this.inBackground(new Promise((r) => setImmediate(r)).then(() => this.flushDirty()));
    this.dirty.add(deviceId);
  }

  /** Resolves when no pass runs (the background work it queues is the caller's to wait for). */
  async idle(): Promise<void> {
    while (this.passRun) await this.passRun;
  }

  private flushDirty(): void {
    const ids = [...this.dirty];
    this.dirty.clear();
    if (ids.length + this.reads.size > DEVICE_READS_MAX) this.fleet();
    else for (const id of ids) this.inBackground(this.readDevice(id));
  }

  private async runPasses(): Promise<void> {
    try {
      do {
        this.passAgain = false;
        const pass = ++this.passesStarted;
        const lag = await this.source.lagging();
        const behind = new Map(lag.behind.map((b) => [b.device_id, b]));
        for (const row of this.model.all()) {
          const b = behind.get(row.device_id);
          this.model.change(row.device_id, (r) => {
            r.config_behind = !r.record.revoked_at && b !== undefined;
            r.config_version = b?.config_version ?? null;
          });
        }
        this.lastPassApplied = pass;
        this.applied++;
      } while (this.passAgain);
    } catch (err) {
      this.logger.error({ err }, 'fleet view: could not recompute config lag; again in 5 s');
      this.retryLater();
    } finally {
      this.passRun = null;
      const again = [...this.afterPass];
      this.afterPass.clear();
      for (const id of again) this.inBackground(this.readDevice(id));
    }
  }

  private async readDevice(deviceId: string): Promise<void> {
    const row = this.model.get(deviceId);
    if (!row || row.record.revoked_at) return;
    if (this.passRun) {
      this.afterPass.add(deviceId);
      return;
    }
    const passesBefore = this.passesStarted;
    const read = ++this.readSeq;
    this.reads.set(deviceId, read);
    let view: Awaited<ReturnType<ConfigLag['deviceView']>>;
    // False when a later read of this device started meanwhile: it answers instead.
    let latest = false;
    try {
      view = await this.source.deviceView(deviceId);
    } catch (err) {
      this.retryLater();
      throw err;
    } finally {
      latest = this.reads.get(deviceId) === read;
      if (latest) this.reads.delete(deviceId);
    }
    if (!latest || this.lastPassApplied > passesBefore) return;
    this.applied++;
    this.model.change(deviceId, (r) => {
      // Revoked meanwhile: a revoked device is never behind.
      r.config_behind = !r.record.revoked_at && view.behind;
      r.config_version = r.config_behind ? view.config_version : null;
    });
  }

  private retryLater(): void {
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      this.fleet();
    }, RETRY_MS).unref();
  }
}
