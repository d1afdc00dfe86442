/**
 * Webhook notifications of device events. `notify` only queues (in memory, bounded by
 * NOTIFY_QUEUE_LIMIT, oldest dropped first and counted), so a device request never waits on a
 * webhook. Workers POST with a timeout and retry network errors, timeouts, 408, 429 and 5xx with
 * exponential backoff (NOTIFY_BACKOFF_MS doubling up to NOTIFY_BACKOFF_MAX_MS, ±20 % jitter,
 * Retry-After honoured) up to NOTIFY_MAX_ATTEMPTS; other 4xx are dropped at once. One device's
 * notifications are delivered in order: its next one waits while an earlier one is in flight or
 * backing off.
 *
 * Alert storms: after a notification for a device, its further events within
 * NOTIFY_COOLDOWN_SECONDS are held back and sent as a single digest when the cooldown ends
 * (`tick`, every second), so a flapping device costs one message per cooldown, and the last
 * message always tells its latest state. The cooldowns live in the store (cooldowns.ts), so with
 * several replicas they are the fleet's: whichever replica derives an event asks the store, and
 * digests are taken by the replica holding the 'notify-digests' lease. Pending notifications are
 * not persisted: the events themselves are (GET /events), and a restart only loses messages not
 * yet delivered.
 * The webhook URL is never logged (a Telegram URL carries the bot token).
 */
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { DeviceEvent } from '../events/rules.ts';
import type { Logger } from '../logger.ts';
import type { NotifyCooldownRepo } from './cooldowns.ts';
import { digestBody, eventBody, type Digest } from './format.ts';

interface Job {
  device_id: string;
  label: string;
  body: string;
  attempts: number;
  /** Waiting for a retry timer. */
  backingOff: boolean;
  sending: boolean;
}

const CONCURRENCY = 4;
/** Digests taken per tick (the rest wait for the next second). */
const DIGESTS_PER_TICK = 500;

export interface NotifierOptions {
  /** Where cooldowns are kept: the store's, shared by every replica. */
  cooldowns: NotifyCooldownRepo;
  /** Runs the digest job where it runs once per fleet (Store.exclusive). */
  exclusive?: <T>(job: string, run: () => Promise<T>) => Promise<T | undefined>;
  /** Tests pass a fetch that talks to a local receiver; production uses the global one. */
  fetch?: typeof fetch;
}

export interface NotifierStats {
  enabled: boolean;
  format: string;
  cooldown_seconds: number;
  queued: number;
  in_flight: number;
  sent: number;
  failed: number;
  dropped: number;
  suppressed: number;
  retries: number;
  last_error: string | null;
}

export class Notifier {
  private readonly queue: Job[] = [];
  /** device → the job that holds its turn (in flight or backing off); later ones wait. */
  private readonly owner = new Map<string, Job>();
  /** Digest ticks under way (drain waits for them). */
  private ticking = 0;
  /** Cooldown decisions asked of the store and not answered yet (drain waits for them). */
  private admitting = 0;
  private readonly fetchImpl: typeof fetch;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();
  private inFlight = 0;
  private closed = false;
  private readonly ticker: NodeJS.Timeout | undefined;
  private readonly counters = { sent: 0, failed: 0, dropped: 0, suppressed: 0, retries: 0 };
  private lastError: string | null = null;

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: NotifierOptions,
  ) {
    this.fetchImpl = options.fetch ?? fetch;
    if (this.enabled && config.NOTIFY_COOLDOWN_SECONDS > 0) {
      // A tick still waiting for the store (a slow database) is not joined by the next ones.
      this.ticker = setInterval(() => {
        if (this.ticking === 0) this.tick().catch((err: unknown) => this.logger.error({ err }, 'notification digests: tick failed'));
      }, 1000);
      this.ticker.unref();
    }
  }

  get enabled(): boolean {
    return this.config.NOTIFY_WEBHOOK_URL !== undefined;
  }

  /** Queues a notification for `event` (or holds it back during the device's cooldown). Never blocks. */
  notify(event: DeviceEvent): void {
    if (!this.enabled || this.closed) return;
    const cooldownMs = this.config.NOTIFY_COOLDOWN_SECONDS * 1000;
    const body = () => eventBody(event, this.config.NOTIFY_FORMAT, this.config.NOTIFY_TELEGRAM_CHAT_ID);
    if (cooldownMs === 0) return this.enqueue(event.device_id, event.event_id, body());
    this.admitting++;
    this.options.cooldowns
      .admit(event, this.clock.now(), cooldownMs)
      .then(
        (decision) => {
          if (decision === 'send') this.enqueue(event.device_id, event.event_id, body());
          else this.counters.suppressed++;
        },
        (err: unknown) => {
          // The store could not decide: better one message too many than a lost alert.
          this.logger.warn({ err, device_id: event.device_id }, 'notification cooldown unavailable: sending anyway');
          this.enqueue(event.device_id, event.event_id, body());
        },
      )
      .finally(() => this.admitting--);
  }

  /** Sends the digests of devices whose cooldown has ended. Runs every second; tests call it directly. */
  async tick(): Promise<void> {
    if (this.closed) return;
    // Counted so drain() waits for a tick that has taken digests from the store and not queued
    // them yet (the one-second ticker's, racing a test's own tick).
    this.ticking++;
    try {
      await this.takeAndQueueDigests();
    } finally {
      this.ticking--;
    }
  }

  private async takeAndQueueDigests(): Promise<void> {
    const cooldownMs = this.config.NOTIFY_COOLDOWN_SECONDS * 1000;
    const now = this.clock.now();
    const take = () => this.options.cooldowns.takeDue(now, cooldownMs, DIGESTS_PER_TICK);
    let due;
    try {
      due = this.options.exclusive ? await this.options.exclusive('notify-digests', take) : await take();
    } catch (err) {
      this.logger.warn({ err }, 'notification digests: the store did not answer; next tick');
      return;
    }
    for (const held of due ?? []) {
      const digest: Digest = { device_id: held.device_id, at: new Date(now).toISOString(), events: held.events, count: held.count };
      this.enqueue(held.device_id, `digest:${held.device_id}`, digestBody(digest, this.config.NOTIFY_FORMAT, this.config.NOTIFY_TELEGRAM_CHAT_ID));
    }
  }

  stats(): NotifierStats {
    return {
      enabled: this.enabled,
      format: this.config.NOTIFY_FORMAT,
      cooldown_seconds: this.config.NOTIFY_COOLDOWN_SECONDS,
      queued: this.queue.length,
      in_flight: this.inFlight,
      ...this.counters,
      last_error: this.lastError,
    };
  }

  /** Resolves once nothing is queued or in flight (tests; bounded by the retry policy). */
  async drain(): Promise<void> {
    while (this.admitting > 0 || this.ticking > 0 || this.queue.length > 0 || this.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  }

  close(): void {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.controllers) c.abort();
    if (this.queue.length > 0) this.logger.warn({ pending: this.queue.length }, 'notifications not delivered before shutdown');
    this.queue.length = 0;
  }

  private enqueue(deviceId: string, label: string, body: Record<string, unknown>): void {
    if (this.queue.length >= this.config.NOTIFY_QUEUE_LIMIT) {
      const victim = this.queue.findIndex((j) => !j.sending);
      if (victim >= 0) {
        const [dropped] = this.queue.splice(victim, 1);
        if (dropped && this.owner.get(dropped.device_id) === dropped) this.owner.delete(dropped.device_id);
        this.counters.dropped++;
        this.logger.warn({ dropped: dropped?.label }, 'notification queue full: dropped the oldest');
      }
    }
    this.queue.push({ device_id: deviceId, label, body: JSON.stringify(body), attempts: 0, backingOff: false, sending: false });
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.inFlight < CONCURRENCY) {
      const job = this.queue.find((j) => !j.backingOff && !j.sending && (this.owner.get(j.device_id) ?? j) === j);
      if (!job) return;
      this.owner.set(job.device_id, job);
      job.sending = true;
      this.inFlight++;
      void this.send(job).finally(() => {
        job.sending = false;
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(job: Job): Promise<void> {
    job.attempts++;
    const controller = new AbortController();
    this.controllers.add(controller);
    const timeout = setTimeout(() => controller.abort(), this.config.NOTIFY_TIMEOUT_MS);
    let retryAfterMs: number | undefined;
    let error: string;
    try {
      const res = await this.fetchImpl(this.config.NOTIFY_WEBHOOK_URL!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: job.body,
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.finish(job);
        this.counters.sent++;
        return;
      }
      error = `HTTP ${res.status}`;
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      if (!retryable) {
        this.giveUp(job, error);
        return;
      }
      const ra = Number(res.headers.get('retry-after'));
      if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
    } catch (err) {
      if (this.closed) return;
      error = controller.signal.aborted ? `timeout after ${this.config.NOTIFY_TIMEOUT_MS} ms` : (err as Error).message;
    } finally {
      clearTimeout(timeout);
      this.controllers.delete(controller);
    }
    if (job.attempts >= this.config.NOTIFY_MAX_ATTEMPTS) {
      this.giveUp(job, error);
      return;
    }
    const base = Math.min(this.config.NOTIFY_BACKOFF_MAX_MS, this.config.NOTIFY_BACKOFF_MS * 2 ** (job.attempts - 1));
    const delay = Math.min(this.config.NOTIFY_BACKOFF_MAX_MS, Math.max(base * (0.8 + Math.random() * 0.4), retryAfterMs ?? 0));
    this.counters.retries++;
    this.lastError = error;
    this.logger.warn({ notification: job.label, attempt: job.attempts, error, retry_in_ms: Math.round(delay) }, 'webhook failed; will retry');
    job.backingOff = true;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      job.backingOff = false;
      if (!this.queue.includes(job)) {
        // Dropped from a full queue while backing off: let the device's next notification go.
        if (this.owner.get(job.device_id) === job) this.owner.delete(job.device_id);
      }
      this.pump();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private finish(job: Job): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
    if (this.owner.get(job.device_id) === job) this.owner.delete(job.device_id);
  }

  private giveUp(job: Job, error: string): void {
    this.finish(job);
    this.counters.failed++;
    this.lastError = error;
    this.logger.error({ notification: job.label, attempts: job.attempts, error }, 'webhook notification failed; giving up');
  }
}
