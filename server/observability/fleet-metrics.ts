/**
 * The fleet series of /metrics: devices by connection status, behind on config, per firmware
 * version and on the newest one; OTA sessions by state and firmware bytes served; each rollout's
 * results and whether it is paused; open commands. Every value is read from counts the fleet read
 * model (server/fleet/model.ts) keeps up to date as things change, so a scrape costs the same at
 * 10,000 devices as at ten — nothing walks the fleet. The gauges are fleet-wide (every gateway
 * sharing a store reports the same values: aggregate them with max, not sum); the bytes counter is
 * this process's own, like the request counters.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { SESSION_STATES, type FleetModel } from '../fleet/model.ts';
import { CONNECTION_STATUSES } from '../fleet/row.ts';
import type { Rollout } from '../ota/rollouts.ts';

/** Rollouts still running (active or paused): finished ones leave the series, so their number stays bounded. */
const unfinished = (r: Rollout) => r.status === 'active' || r.status === 'paused';

export interface FleetMetrics {
  bytesServed: Counter<'kind'>;
  /** Starts reporting the model's counts (until then the gauges are empty). */
  observe(model: FleetModel): void;
}

export function registerFleetMetrics(registry: Registry): FleetMetrics {
  let model: FleetModel | undefined;
  const registers = [registry];
  new Gauge({
    name: 'fleetgate_devices',
    help: 'Registered devices by status: online/offline from device events, never_seen (never heard from), revoked',
    labelNames: ['status'] as const,
    registers,
    collect() {
      if (!model) return;
      const { status } = model.counts();
      for (const s of CONNECTION_STATUSES) this.set({ status: s }, status[s]);
    },
  });
  new Gauge({
    name: 'fleetgate_devices_config_behind',
    help: 'Active devices whose applied config version is below their effective one (or that never reported one)',
    registers,
    collect() {
      if (model) this.set(model.counts().behind);
    },
  });
  new Gauge({
    name: 'fleetgate_devices_firmware',
    help: 'Active devices by the firmware version they run (reported in diagnostics or seen by OTA; "unknown": neither yet)',
    labelNames: ['version'] as const,
    registers,
    collect() {
      if (!model) return;
      this.reset();
      for (const [version, n] of model.counts().versions) this.set({ version }, n);
    },
  });
  new Gauge({
    name: 'fleetgate_devices_latest_firmware',
    help: 'Active devices running the newest image in the firmware catalog',
    registers,
    collect() {
      if (model) this.set(model.counts().latest.devices);
    },
  });
  new Gauge({
    name: 'fleetgate_ota_sessions',
    help: "Devices by the state of their OTA download session (each device's latest session)",
    labelNames: ['state'] as const,
    registers,
    collect() {
      if (!model) return;
      const { sessions } = model.counts();
      for (const s of SESSION_STATES) this.set({ state: s }, sessions[s]);
    },
  });
  const bytesServed = new Counter({
    name: 'fleetgate_ota_served_bytes_total',
    help: 'Firmware bytes this gateway served: kind="chunk" (JSON chunk route), "download" (byte ranges)',
    labelNames: ['kind'] as const,
    registers,
  });
  new Gauge({
    name: 'fleetgate_rollout_results',
    help: 'Device results counted by each running (active or paused) rollout since it was created',
    labelNames: ['rollout', 'version', 'result'] as const,
    registers,
    collect() {
      if (!model) return;
      this.reset();
      for (const r of model.rollouts.filter(unfinished)) {
        this.set({ rollout: r.id, version: r.version, result: 'success' }, r.results.successes);
        this.set({ rollout: r.id, version: r.version, result: 'failure' }, r.results.failures);
      }
    },
  });
  new Gauge({
    name: 'fleetgate_rollout_paused',
    help: 'Whether each rollout is paused (1), by an admin or by its failure threshold',
    labelNames: ['rollout', 'version'] as const,
    registers,
    collect() {
      if (!model) return;
      this.reset();
      for (const r of model.rollouts.filter(unfinished)) this.set({ rollout: r.id, version: r.version }, r.status === 'paused' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'fleetgate_commands_open',
    help: 'Commands not yet finished: state="pending" (queued) or "sent" (delivered, awaiting the result)',
    labelNames: ['state'] as const,
    registers,
    collect() {
      if (!model) return;
      const { commands } = model.counts();
      this.set({ state: 'pending' }, commands.pending);
      this.set({ state: 'sent' }, commands.sent);
    },
  });
  return { bytesServed, observe: (m) => (model = m) };
}
