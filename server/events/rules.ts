/**
 * How device events are derived — pure functions from (persisted per-device state, an
 * observation) to (next state, events), so every rule is testable without I/O.
 *
 *  offline        silent for more than OFFLINE_HEARTBEAT_MULTIPLIER (3) × its heartbeat_interval,
 *                 counted from its last signed message or from the gateway's own start, whichever
 *                 is later: time the gateway itself was down is never taken as device silence.
 *  online         an offline device is heard from again (any signed message).
 *  reboot         a diagnostics report with a new boot_id and reset_reason watchdog, panic,
 *                 software, external or unknown: the device restarted but power stayed on.
 *  power_loss     a new boot_id with reset_reason poweron or brownout: the supply failed. Details
 *                 say whether the device had been declared offline and since when.
 *  power_restored emitted with power_loss: when power came back (now − uptime).
 * A wake from deepsleep is a planned restart: the boot id is recorded, no event. The first boot id
 * the gateway learns for a device is recorded silently (it could predate the gateway's knowledge).
 *
 * Event ids are deterministic — `<device>:<type>:<transition#>` or `<device>:<type>:<boot_id>` — so
 * an event re-derived after a crash (written, but its state change lost) is recognised as the
 * same event and stored once.
 */
import type { DiagnosticsReport } from '../diagnostics/schema.ts';

export const EVENT_TYPES = ['offline', 'online', 'power_loss', 'power_restored', 'reboot'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface DeviceEvent {
  event_id: string;
  device_id: string;
  type: EventType;
  at: string;
  details: Record<string, unknown>;
}

export interface DeviceEventState {
  status: 'online' | 'offline';
  /** Online/offline transitions so far (numbers their events). */
  transitions: number;
  boot_id: string | null;
  /** Last message before the device went offline (epoch ms); kept until its next boot report. */
  offline_since: number | null;
  /** When it came back from offline (epoch ms); cleared by its next boot report. */
  returned_at: number | null;
}

export interface Transition {
  next: DeviceEventState;
  events: DeviceEvent[];
}

const POWER_RESETS = new Set(['poweron', 'brownout']);

export function initialState(): DeviceEventState {
  return { status: 'online', transitions: 0, boot_id: null, offline_since: null, returned_at: null };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function onSeen(deviceId: string, state: DeviceEventState | undefined, at: number): Transition | null {
  if (!state || state.status !== 'offline') return null;
  const n = state.transitions + 1;
  return {
    next: { ...state, status: 'online', transitions: n, returned_at: at },
    events: [
      {
        event_id: `${deviceId}:online:${n}`,
        device_id: deviceId,
        type: 'online',
        at: iso(at),
        details: {
          offline_since: state.offline_since === null ? null : iso(state.offline_since),
          offline_seconds: state.offline_since === null ? null : Math.round((at - state.offline_since) / 1000),
        },
      },
    ],
  };
}

export interface SilenceCheck {
  now: number;
  /** Last signed message from the device (epoch ms). */
  lastSeen: number;
  /** When this gateway process started (epoch ms). */
  startedAt: number;
  thresholdMs: number;
}

export function onSilence(deviceId: string, state: DeviceEventState | undefined, check: SilenceCheck): Transition | null {
  const current = state ?? initialState();
  if (current.status !== 'online') return null;
  const silentSince = Math.max(check.lastSeen, check.startedAt);
  if (check.now - silentSince <= check.thresholdMs) return null;
  const n = current.transitions + 1;
  return {
    next: { ...current, status: 'offline', transitions: n, offline_since: check.lastSeen, returned_at: null },
    events: [
      {
        event_id: `${deviceId}:offline:${n}`,
        device_id: deviceId,
        type: 'offline',
        at: iso(check.now),
        details: {
          last_seen: iso(check.lastSeen),
          silent_seconds: Math.round((check.now - check.lastSeen) / 1000),
          threshold_seconds: Math.round(check.thresholdMs / 1000),
        },
      },
    ],
  };
}

export function onBootReport(
  deviceId: string,
  state: DeviceEventState | undefined,
  report: Pick<DiagnosticsReport, 'boot_id' | 'reset_reason' | 'uptime_seconds'>,
  at: number,
): Transition | null {
  const current = state ?? initialState();
  if (current.boot_id === report.boot_id) return null;
  const wasOffline = current.status === 'offline' || current.returned_at !== null;
  const next: DeviceEventState = { ...current, boot_id: report.boot_id, offline_since: null, returned_at: null };
  if (current.boot_id === null || report.reset_reason === 'deepsleep') return { next, events: [] };
  const bootedAt = iso(Math.max(0, at - report.uptime_seconds * 1000));
  const base = { boot_id: report.boot_id, previous_boot_id: current.boot_id, reset_reason: report.reset_reason, booted_at: bootedAt };
  if (POWER_RESETS.has(report.reset_reason)) {
    return {
      next,
      events: [
        {
          event_id: `${deviceId}:power_loss:${report.boot_id}`,
          device_id: deviceId,
          type: 'power_loss',
          at: iso(at),
          details: { ...base, was_offline: wasOffline, offline_since: current.offline_since === null ? null : iso(current.offline_since) },
        },
        {
          event_id: `${deviceId}:power_restored:${report.boot_id}`,
          device_id: deviceId,
          type: 'power_restored',
          at: iso(at),
          details: { ...base, restored_at: bootedAt },
        },
      ],
    };
  }
  return {
    next,
    events: [{ event_id: `${deviceId}:reboot:${report.boot_id}`, device_id: deviceId, type: 'reboot', at: iso(at), details: base }],
  };
}
