/**
 * `fleetgate status`: the fleet at a glance, assembled from the admin routes that exist today
 * (/devices, /config/defaults, /config/fleet, /diagnostics/summary, /ota/stats, /ota/rollouts,
 * /security/stats), fetched in parallel. A device counts as online when it was heard from within
 * 3 × the fleet's default heartbeat_interval: the gateway's own offline rule (server/events/rules.ts)
 * with its default OFFLINE_HEARTBEAT_MULTIPLIER, minus per-device overrides (the admin API does
 * not expose either today); a dedicated fleet endpoint will replace this approximation.
 * Parts whose feature a gateway lacks (404 not_found) are left out rather than failing the command.
 */
import type { Command } from 'commander';
import { adminRequest, GatewayAnswerError, gatewayUrl } from '../admin-client.ts';
import { adminOptions, examples, type AdminOptions } from '../options.ts';
import { bytes, percent, shortTime, show, table } from '../output.ts';
import { rolloutsTable } from './rollout.ts';
import type { Answer, DeviceView, RolloutView } from './views.ts';

/** server/events/rules.ts: silent for more than 3 × heartbeat_interval is offline (the gateway's default). */
const OFFLINE_HEARTBEATS = 3;

interface Raw {
  devices: DeviceView[];
  defaults: { config: { heartbeat_interval?: number } } | null;
  fleet: { latest_version: number; devices: number; up_to_date: number; behind: unknown[] } | null;
  diagnostics: { firmware_versions: Record<string, number>; devices: number } | null;
  ota: { totals: Record<string, number>; versions: Record<string, unknown> } | null;
  rollouts: RolloutView[] | null;
  security: { since: string; fleet: Record<string, number> } | null;
}

export interface FleetStatus {
  gateway: string;
  devices: { total: number; online: number; offline: number; never_seen: number; revoked: number; online_within_seconds: number };
  config: { latest_version: number; up_to_date: number; behind: number } | null;
  firmware: { versions: Record<string, number>; unknown: number } | null;
  ota: { images: number; active_sessions: number; completed: number; failed: number; bytes_served: number } | null;
  rollouts: RolloutView[] | null;
  security: { since: string; total: number; accepted: number; success_rate: number; replay: number; bad_signature: number; unknown_device: number } | null;
}

async function fetchAll(opts: AdminOptions): Promise<Raw> {
  const optional = <T>(path: string): Promise<T | null> =>
    adminRequest<Answer<T>>(opts, 'GET', path).catch((err: unknown) => {
      if (err instanceof GatewayAnswerError && err.status === 404 && err.code === 'not_found') return null;
      throw err;
    });
  const [devices, defaults, fleet, diagnostics, ota, rollouts, security] = await Promise.all([
    adminRequest<Answer<{ devices: DeviceView[] }>>(opts, 'GET', '/devices'),
    optional<NonNullable<Raw['defaults']>>('/config/defaults'),
    optional<NonNullable<Raw['fleet']>>('/config/fleet'),
    optional<NonNullable<Raw['diagnostics']>>('/diagnostics/summary'),
    optional<NonNullable<Raw['ota']>>('/ota/stats'),
    optional<{ rollouts: RolloutView[] }>('/ota/rollouts'),
    optional<NonNullable<Raw['security']>>('/security/stats'),
  ]);
  return { devices: devices.devices, defaults, fleet, diagnostics, ota, rollouts: rollouts?.rollouts ?? null, security };
}

/** Pure: the overview from the routes' answers (tests feed it directly). */
export function summarize(gateway: string, raw: Raw, now = Date.now()): FleetStatus {
  const heartbeat = raw.defaults?.config.heartbeat_interval ?? 60;
  const window = OFFLINE_HEARTBEATS * heartbeat;
  const devices = { total: raw.devices.length, online: 0, offline: 0, never_seen: 0, revoked: 0, online_within_seconds: window };
  for (const d of raw.devices) {
    if (d.status === 'revoked') devices.revoked++;
    else if (!d.last_seen) devices.never_seen++;
    else if (now - Date.parse(d.last_seen) <= window * 1000) devices.online++;
    else devices.offline++;
  }
  const reported = raw.diagnostics ? Object.values(raw.diagnostics.firmware_versions).reduce((a, b) => a + b, 0) : 0;
  const t = raw.ota?.totals;
  const s = raw.security?.fleet;
  return {
    gateway,
    devices,
    config: raw.fleet && { latest_version: raw.fleet.latest_version, up_to_date: raw.fleet.up_to_date, behind: raw.fleet.behind.length },
    firmware: raw.diagnostics && { versions: raw.diagnostics.firmware_versions, unknown: Math.max(0, devices.total - devices.revoked - reported) },
    ota: raw.ota && t ? {
        images: Object.keys(raw.ota.versions).length,
        active_sessions: t.active_sessions ?? 0,
        completed: t.successes ?? 0,
        failed: t.failures ?? 0,
        bytes_served: t.bytes_served ?? 0,
      } : null,
    rollouts: raw.rollouts,
    security: raw.security && s ? {
        since: raw.security.since,
        total: s.total ?? 0,
        accepted: s.accepted ?? 0,
        success_rate: s.success_rate ?? 100,
        replay: s.replay ?? 0,
        bad_signature: s.bad_signature ?? 0,
        unknown_device: s.unknown_device ?? 0,
      } : null,
  };
}

export function describeStatus(st: FleetStatus): string {
  const d = st.devices;
  const rows: [string, string][] = [
    [
      'devices',
      `${d.total} registered: ${d.online} online, ${d.offline} offline, ${d.never_seen} never seen, ${d.revoked} revoked (online: heard within ${d.online_within_seconds} s)`,
    ],
  ];
  if (st.config) rows.push(['config', `latest version ${st.config.latest_version}: ${st.config.up_to_date} up to date, ${st.config.behind} behind`]);
  if (st.firmware) {
    const versions = Object.entries(st.firmware.versions).sort((a, b) => b[1] - a[1]);
    const list = versions.map(([v, n]) => `${v} on ${n}`);
    if (st.firmware.unknown > 0) list.push(`not reported on ${st.firmware.unknown}`);
    rows.push(['firmware', list.length > 0 ? list.join(', ') : 'no reports']);
  }
  if (st.ota) {
    const o = st.ota;
    rows.push(['ota', `${o.images} images, ${o.active_sessions} downloads active; ${o.completed} updates completed, ${o.failed} failed; ${bytes(o.bytes_served)} served`]);
  }
  if (st.security) {
    const s = st.security;
    rows.push([
      'security',
      `${s.total} signed messages since ${shortTime(s.since)}, ${percent(s.success_rate / 100)} ok; ${s.replay} replays, ${s.bad_signature} bad signatures, ${s.unknown_device} from unknown devices`,
    ]);
  }
  const parts = [`gateway ${st.gateway}`, '', table(rows, [
    { header: 'AREA', value: (r) => r[0] },
    { header: 'STATE', value: (r) => r[1] },
  ])];
  if (st.rollouts && st.rollouts.length > 0) parts.push('', rolloutsTable(st.rollouts));
  return parts.join('\n');
}

export function statusCommand(program: Command): void {
  const cmd = adminOptions(program.command('status').description('the fleet at a glance: devices, config, firmware, OTA, rollouts, security'));
  examples(cmd, [
    ['fleetgate status', 'the gateway on this machine'],
    ['fleetgate status --url https://gw.example:5001 --token $TOKEN', 'another gateway'],
    ['fleetgate status --json | jq .devices', 'numbers for a script or a check'],
  ]);
  cmd.action(async (opts: AdminOptions) => {
    const st = summarize(gatewayUrl(opts).origin, await fetchAll(opts));
    show(opts, st, () => describeStatus(st));
  });
}
