/**
 * One device as the fleet view shows it, and the pure rules that derive what the view says from
 * what the gateway recorded: its connection status (from the event state and whether it was ever
 * heard from) and its firmware version — one answer, reconciled from what its diagnostics report
 * and what the OTA service saw it check with or install, whichever is newer.
 */
import type { DeviceRecord } from '../store/types.ts';
import type { SessionStatus } from '../ota/sessions.ts';

export const CONNECTION_STATUSES = ['online', 'offline', 'never_seen', 'revoked'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** Where the firmware version shown for a device comes from. */
export type FirmwareSource = 'diagnostics' | 'ota_check' | 'ota_install';

export interface FirmwareSeen {
  version: string;
  source: FirmwareSource;
  /** Epoch ms of the observation. */
  at: number;
}

export interface FleetRow {
  device_id: string;
  record: DeviceRecord;
  /** Epoch ms of its last accepted signed message (the nonce ledger's seen_at); null: never heard from. */
  last_seen: number | null;
  /** Its last accepted nonce (with last_seen, from the nonce ledger). */
  last_nonce: number | null;
  /** The event state's status (events/rules.ts); null before any event state exists. */
  event_status: 'online' | 'offline' | null;
  /** Epoch ms of its last accepted upload. */
  last_upload: number | null;
  /** The firmware its latest diagnostics report named, and when. */
  reported_firmware: FirmwareSeen | null;
  /** The version the OTA service last saw it check with or install, and when. */
  ota_firmware: FirmwareSeen | null;
  /** The config version it last reported having applied. */
  config_applied: number | null;
  /** Its effective config version while it is behind (null: up to date, or revoked). */
  config_version: number | null;
  /** Behind on config: its applied version is below its effective one, or it never reported one. */
  config_behind: boolean;
  /** Open commands. */
  commands_pending: number;
  commands_sent: number;
  /** Its OTA download session's status, if it has one. */
  ota_session: SessionStatus | null;
}

export function emptyRow(record: DeviceRecord): FleetRow {
  return {
    device_id: record.device_id,
    record,
    last_seen: null,
    last_nonce: null,
    event_status: null,
    last_upload: null,
    reported_firmware: null,
    ota_firmware: null,
    config_applied: null,
    config_version: null,
    config_behind: !record.revoked_at,
    commands_pending: 0,
    commands_sent: 0,
    ota_session: null,
  };
}

/**
 * Revoked wins; a device never heard from is never_seen (whatever its event state); otherwise the
 * event state says, which declares a device offline after OFFLINE_HEARTBEAT_MULTIPLIER heartbeats
 * of silence and online again at its next message.
 */
export function statusOf(row: FleetRow): ConnectionStatus {
  if (row.record.revoked_at) return 'revoked';
  if (row.last_seen === null) return 'never_seen';
  return row.event_status === 'offline' ? 'offline' : 'online';
}

/**
 * The one firmware version of a device: the newer of its diagnostics report and the OTA service's
 * observation. A device reports its running version in both /ota/check and diagnostics; an
 * installed update is known from /ota/complete before the device has rebooted into it and reported
 * it. On equal times the diagnostics report wins (it is what the device says it runs).
 */
export function firmwareOf(row: Pick<FleetRow, 'reported_firmware' | 'ota_firmware'>): FirmwareSeen | null {
  const { reported_firmware: d, ota_firmware: o } = row;
  if (!d) return o;
  if (!o) return d;
  return o.at > d.at ? o : d;
}
