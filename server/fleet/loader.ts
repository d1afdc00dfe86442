/**
 * Builds fleet rows from what the gateway stored: the whole fleet with the repositories' bulk
 * reads (one per kind of state), or one device with its own reads. Config lag comes from the remote-config service (the one place that knows
 * how a device's effective version is made), the newest image from the OTA catalog.
 */
import type { DiagnosticsRecord } from '../diagnostics/schema.ts';
import type { DeviceOtaState } from '../ota/state.ts';
import type { OtaSession } from '../ota/sessions.ts';
import type { Store } from '../store/types.ts';
import { emptyRow, type FirmwareSeen, type FleetRow } from './row.ts';

/** The remote-config service's answers the fleet view needs (server/remote-config/service.ts). */
export interface ConfigLag {
  lagging(): Promise<{ behind: { device_id: string; config_version: number; applied_version: number | null }[] }>;
  deviceView(deviceId: string): Promise<{ config_version: number; applied_version: number | null; behind: boolean }>;
}

export interface FleetSources {
  store: Store;
  config: ConfigLag;
  /** The newest image in the firmware catalog. */
  latestFirmware(): Promise<string | null>;
}

export function reportedFirmware(latest: DiagnosticsRecord | null | undefined): FirmwareSeen | null {
  return latest ? { version: latest.firmware_version, source: 'diagnostics', at: Date.parse(latest.at) } : null;
}

/** What the OTA service last saw: the version checked with, or installed (a successful result). */
export function otaFirmware(state: DeviceOtaState | null | undefined): FirmwareSeen | null {
  if (!state?.current_version) return null;
  const installed = state.last_result?.success && state.last_result.version === state.current_version ? state.last_result.at : -1;
  const checked = state.last_check_at ?? -1;
  return installed >= checked
    ? { version: state.current_version, source: 'ota_install', at: installed }
    : { version: state.current_version, source: 'ota_check', at: checked };
}

export function sessionState(s: OtaSession | null | undefined): FleetRow['ota_session'] {
  return s ? s.status : null;
}

/** Open commands of one device by status. */
export async function commandCounts(store: Store, deviceId: string): Promise<{ pending: number; sent: number }> {
  let pending = 0;
  let sent = 0;
  for (const c of await store.commands.list(deviceId)) {
    if (c.status === 'pending') pending++;
    else if (c.status === 'sent') sent++;
  }
  return { pending, sent };
}

/** Every registered device's row. */
export async function loadRows(src: FleetSources): Promise<FleetRow[]> {
  const { store } = src;
  const [records, nonces, states, overview, applied, otaDevices, sessions, lag] = await Promise.all([
    store.devices.list(),
    store.nonces.all(),
    store.events.states(),
    store.diagnostics.overview(),
    store.diagnostics.appliedAll(),
    store.otaState.devices(),
    store.otaState.sessions(),
    src.config.lagging(),
  ]);
  const latestReports = new Map(overview.map((o) => [o.device_id, o.latest]));
  const ota = new Map(otaDevices.map((d) => [d.device_id, d]));
  const session = new Map(sessions.map((s) => [s.device_id, s]));
  const behind = new Map(lag.behind.map((b) => [b.device_id, b]));
  const rows = records.map((record) => {
    const id = record.device_id;
    const row = emptyRow(record);
    const seen = nonces.get(id);
    row.last_seen = seen?.seen_at ?? null;
    row.last_nonce = seen?.nonce ?? null;
    row.event_status = states.get(id)?.status ?? null;
    row.reported_firmware = reportedFirmware(latestReports.get(id));
    row.ota_firmware = otaFirmware(ota.get(id));
    row.ota_session = sessionState(session.get(id));
    row.config_applied = applied.get(id)?.version ?? null;
    const lagging = behind.get(id);
    row.config_behind = lagging !== undefined;
    row.config_version = lagging?.config_version ?? null;
    return row;
  });
  const open = await store.commands.openCounts();
  for (const r of rows) {
    const c = open.get(r.device_id);
    r.commands_pending = c?.pending ?? 0;
    r.commands_sent = c?.sent ?? 0;
  }
  return rows;
}

/** One device's row; undefined if it is not registered. */
export async function loadRow(src: FleetSources, deviceId: string): Promise<FleetRow | undefined> {
  const { store } = src;
  const record = await store.devices.get(deviceId);
  if (!record) return undefined;
  const [seen, state, latest, applied, ota, session, commands, config] = await Promise.all([
    store.nonces.get(deviceId),
    store.events.state(deviceId),
    store.diagnostics.latest(deviceId),
    store.diagnostics.applied(deviceId),
    store.otaState.device(deviceId),
    store.otaState.session(deviceId),
    commandCounts(store, deviceId),
    record.revoked_at ? undefined : src.config.deviceView(deviceId),
  ]);
  const row = emptyRow(record);
  row.last_seen = seen?.seen_at ?? null;
  row.last_nonce = seen?.nonce ?? null;
  row.event_status = state?.status ?? null;
  row.reported_firmware = reportedFirmware(latest);
  row.ota_firmware = otaFirmware(ota);
  row.ota_session = sessionState(session);
  row.config_applied = applied?.version ?? null;
  row.config_behind = config?.behind ?? false;
  row.config_version = config?.behind ? config.config_version : null;
  row.commands_pending = commands.pending;
  row.commands_sent = commands.sent;
  return row;
}
