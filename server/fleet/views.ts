/**
 * What the paginated device list (`GET /devices?limit=&cursor=`) answers: each device's admin
 * view (the registry's, as the unpaginated list has it) with the fleet view's columns beside it,
 * from the read model — one source for the API and the console's fleet page.
 */
import { viewOf, type DeviceView } from '../devices/registry.ts';
import type { FleetModel } from './model.ts';
import type { FleetQuery } from './query.ts';
import { firmwareOf, statusOf, type ConnectionStatus, type FirmwareSource, type FleetRow } from './row.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface FleetDeviceView extends DeviceView {
  connection: ConnectionStatus;
  last_upload: string | null;
  firmware: { version: string; source: FirmwareSource; at: string } | null;
  config: { applied_version: number | null; behind: boolean; target_version: number | null };
  uploads_24h: number;
  rejected_24h: number;
  commands: { pending: number; sent: number };
}

export function fleetDeviceView(model: FleetModel, row: FleetRow, now: number): FleetDeviceView {
  const fw = firmwareOf(row);
  const activity = model.activity.last24h(row.device_id, now);
  return {
    ...viewOf(row.record, row.last_seen === null ? undefined : { seen_at: row.last_seen, nonce: row.last_nonce ?? 0 }),
    connection: statusOf(row),
    last_upload: iso(row.last_upload),
    firmware: fw ? { version: fw.version, source: fw.source, at: new Date(fw.at).toISOString() } : null,
    config: { applied_version: row.config_applied, behind: row.config_behind, target_version: row.config_version },
    uploads_24h: activity.uploads,
    rejected_24h: activity.rejected,
    commands: { pending: row.commands_pending, sent: row.commands_sent },
  };
}

export function fleetPageView(model: FleetModel, query: FleetQuery, now: number) {
  const page = model.query(query, now);
  return {
    success: true as const,
    total: page.total,
    count: page.rows.length,
    devices: page.rows.map((r) => fleetDeviceView(model, r, now)),
    next_cursor: page.next_cursor,
    prev_cursor: page.prev_cursor,
  };
}
