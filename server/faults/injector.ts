/**
 * Fault injection for test fleets (FAULTS_ENABLED=1): makes a device's next responses misbehave so
 * its firmware's error paths can be exercised end to end. Lives on the context as `ctx.faults`.
 *
 * API for other features (e.g. the OTA routes):
 *
 *   ctx.faults.take(deviceId, type): boolean
 *       Consumes one armed fault of `type` for the device and returns true, or returns false when
 *       none is armed (always false when FAULTS_ENABLED is off — one Map lookup). The OTA chunk
 *       route should call it before serving a chunk:
 *           let chunk = await readChunk(...);
 *           if (ctx.faults.take(deviceId, 'ota_hash_mismatch')) chunk = ctx.faults.corrupt(chunk);
 *       so the device's hash check of the assembled image fails.
 *   ctx.faults.corrupt(bytes): Uint8Array
 *       A copy of `bytes` with one bit flipped in the middle byte (same length; an empty input
 *       becomes one byte), so lengths and framing still look right and only a MAC/hash check
 *       catches it.
 *   ctx.faults.middleware()
 *       Installed app-wide by app.ts when enabled. After an authenticated device's request — a
 *       signed request or an upload envelope (POST /aggregated/<device_id>) — was answered below 400,
 *       it applies the device's armed response faults:
 *         network_timeout    hold the response for `delay_ms` (default FAULT_DELAY_MS, bounded by
 *                            FAULT_MAX_DELAY_MS) — past the device's HTTP timeout;
 *         corrupted_payload  corrupt the body after it was signed, so the device's response
 *                            signature check fails. The stored reply stays intact: a device that
 *                            retransmits the same request gets the genuine answer (for an upload:
 *                            the signed `duplicate` answer; the batch is stored once).
 *
 * `modbus_timeout` and `buffer_overflow` are faults inside the device: the admin route queues a
 * `simulate_fault` command for the device to act out (see server/faults/routes.ts).
 * Armed faults and the history (last 1000 entries) are kept in memory only: a restart disarms all.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/** Upload envelopes name their device in the path (the EcoWatt wire format has no header for it). */
function uploadDeviceId(method: string, path: string): string | undefined {
  return method === 'POST' ? /^\/aggregated\/([^/]+)$/.exec(path)?.[1] : undefined;
}

/** ota_page_tamper: the next OTA hash page answer (GET /ota/hashes) is corrupted after it was built. */
export const FAULT_TYPES = ['network_timeout', 'corrupted_payload', 'ota_hash_mismatch', 'modbus_timeout', 'buffer_overflow', 'ota_page_tamper'] as const;
export type FaultType = (typeof FAULT_TYPES)[number];
/** Faults the gateway applies to its own responses. */
export type ResponseFault = 'network_timeout' | 'corrupted_payload' | 'ota_hash_mismatch' | 'ota_page_tamper';
export const DEVICE_SIMULATED: ReadonlySet<FaultType> = new Set(['modbus_timeout', 'buffer_overflow']);

export interface ArmedFault {
  device_id: string;
  fault_type: ResponseFault;
  remaining: number;
  delay_ms: number | null;
  armed_at: string;
}

export interface FaultHistoryEntry {
  seq: number;
  at: string;
  action: 'injected' | 'triggered' | 'queued' | 'disarmed';
  fault_type: FaultType;
  device_id: string;
  count?: number;
  remaining?: number;
  delay_ms?: number;
  command_id?: string;
  path?: string;
}

export const HISTORY_LIMIT = 1000;

export class FaultInjector {
  private readonly armed = new Map<string, Map<ResponseFault, ArmedFault>>();
  private log: FaultHistoryEntry[] = [];
  private seq = 0;

  constructor(
    private readonly config: Config,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.config.FAULTS_ENABLED;
  }

  /** Arms `count` more faults of `type` for the device. */
  arm(deviceId: string, type: ResponseFault, count: number, delayMs?: number): ArmedFault {
    let perDevice = this.armed.get(deviceId);
    if (!perDevice) this.armed.set(deviceId, (perDevice = new Map()));
    const existing = perDevice.get(type);
    const fault: ArmedFault = {
      device_id: deviceId,
      fault_type: type,
      remaining: (existing?.remaining ?? 0) + count,
      delay_ms: type === 'network_timeout' ? (delayMs ?? existing?.delay_ms ?? this.config.FAULT_DELAY_MS) : null,
      armed_at: this.nowIso(),
    };
    perDevice.set(type, fault);
    this.record({ action: 'injected', fault_type: type, device_id: deviceId, count, remaining: fault.remaining, ...(fault.delay_ms !== null ? { delay_ms: fault.delay_ms } : {}) });
    this.logger.warn({ device_id: deviceId, fault_type: type, count }, 'fault armed');
    return fault;
  }

  /** Notes a device-simulated fault queued as a command. */
  recordQueued(deviceId: string, type: FaultType, count: number, commandId: string): void {
    this.record({ action: 'queued', fault_type: type, device_id: deviceId, count, command_id: commandId });
  }

  take(deviceId: string, type: ResponseFault, path?: string): boolean {
    return this.consume(deviceId, type, path) !== undefined;
  }

  corrupt(bytes: Uint8Array): Uint8Array {
    if (bytes.length === 0) return new Uint8Array([0]);
    const out = new Uint8Array(bytes);
    out[out.length >> 1] = out[out.length >> 1]! ^ 0x01;
    return out;
  }

  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      await next();
      // Only an authenticated device's answers: the device the signed-request middleware verified,
      // or an upload's path device (an upload answered below 400 passed its MAC check). A header
      // alone proves nothing, and must not let anyone use up a device's armed faults.
      const deviceId = c.get('device')?.device_id ?? uploadDeviceId(c.req.method, c.req.path);
      if (deviceId === undefined || !this.armed.has(deviceId) || c.res.status >= 400) return;
      const path = c.req.path;
      const delayed = this.consume(deviceId, 'network_timeout', path);
      // Streamed downloads (ETag; signed over a binding, not the body) are never buffered here:
      // corrupting firmware is ota_hash_mismatch's job.
      if (!c.res.headers.has('etag') && this.consume(deviceId, 'corrupted_payload', path)) {
        const res = c.res;
        const body = this.corrupt(new Uint8Array(await res.arrayBuffer()));
        c.res = new Response(body, { status: res.status, headers: res.headers });
      }
      if (delayed?.delay_ms) await new Promise((r) => setTimeout(r, delayed.delay_ms!));
    };
  }

  active(): ArmedFault[] {
    return [...this.armed.values()].flatMap((m) => [...m.values()]);
  }

  /** Disarms everything armed for one device, or for all; returns how many faults were removed. */
  disarm(deviceId?: string): number {
    let removed = 0;
    for (const [id, perDevice] of [...this.armed]) {
      if (deviceId !== undefined && id !== deviceId) continue;
      for (const f of perDevice.values()) {
        removed += f.remaining;
        this.record({ action: 'disarmed', fault_type: f.fault_type, device_id: id, remaining: 0 });
      }
      this.armed.delete(id);
    }
    return removed;
  }

  /** Newest last. */
  history(limit = HISTORY_LIMIT): FaultHistoryEntry[] {
    return this.log.slice(-limit);
  }

  clearHistory(): number {
    const n = this.log.length;
    this.log = [];
    return n;
  }

  private consume(deviceId: string, type: ResponseFault, path?: string): ArmedFault | undefined {
    const perDevice = this.armed.get(deviceId);
    const fault = perDevice?.get(type);
    if (!perDevice || !fault || fault.remaining <= 0) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) {
      perDevice.delete(type);
      if (perDevice.size === 0) this.armed.delete(deviceId);
    }
    this.record({ action: 'triggered', fault_type: type, device_id: deviceId, remaining: fault.remaining, ...(path ? { path } : {}) });
    this.logger.warn({ device_id: deviceId, fault_type: type, remaining: fault.remaining }, 'fault injected into a response');
    return fault;
  }

  private record(entry: Omit<FaultHistoryEntry, 'seq' | 'at'>): void {
    this.log.push({ seq: ++this.seq, at: this.nowIso(), ...entry });
    if (this.log.length > HISTORY_LIMIT) this.log.splice(0, this.log.length - HISTORY_LIMIT);
  }

  private nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
