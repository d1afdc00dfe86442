/**
 * Remote configuration: what a device should run (built-in defaults ⊕ fleet defaults ⊕ its
 * overrides, with the effective `config_version`), and how far each device is from it. The version
 * a device has applied is what it last reported in its diagnostics (`config_version`), looked up
 * through `appliedSource` so this module does not depend on how diagnostics are stored.
 */
import { ValidationError } from '../errors.ts';
import type { AuditLog, Actor } from '../audit/log.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import type { Clock } from '../clock.ts';
import { BUILTIN_DEFAULTS, crossFieldProblem, overlay, type ConfigValues, type DeviceConfig, type OverridePatch } from './fields.ts';
import type { ConfigLayer, ConfigRepo, UpdateResult } from './repo.ts';

export interface Effective {
  config_version: number;
  config: DeviceConfig;
}

export interface Applied {
  version: number;
  /** Epoch ms of the report. */
  at: number;
}

/** What devices report having applied (their diagnostics), one device or all. */
export interface AppliedSource {
  one(deviceId: string): Promise<Applied | undefined>;
  all(): Promise<ReadonlyMap<string, Applied>>;
}

export interface LagEntry {
  device_id: string;
  config_version: number;
  applied_version: number | null;
}

function checkEffective(values: DeviceConfig): void {
  const problem = crossFieldProblem(values);
  if (problem) throw new ValidationError(`${problem.field}: ${problem.message}`, 'invalid_config', { field: problem.field });
}

export class RemoteConfigService {
  /** Set by the diagnostics wiring: what each device last reported having applied. */
  appliedSource: AppliedSource = { one: async () => undefined, all: async () => new Map() };

  constructor(
    private readonly repo: ConfigRepo,
    private readonly registry: DeviceRegistry,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  latestVersion(): Promise<number> {
    return this.repo.latestVersion();
  }

  async defaults(): Promise<DefaultsView> {
    return defaultsView(await this.repo.defaults());
  }

  /**
   * The defaults an update left: the layer that write stored (its version, not a later one another
   * admin or replica may have written meanwhile), or the current ones when nothing changed.
   */
  async defaultsAfter(result: UpdateResult): Promise<DefaultsView> {
    return result.changed ? defaultsView(result.layer) : this.defaults();
  }

  async effective(deviceId: string): Promise<Effective> {
    const [defaults, override] = await Promise.all([this.repo.defaults(), this.repo.override(deviceId)]);
    return effectiveOf(defaults, override);
  }

  /**
   * Every device's effective heartbeat_interval at once, without building whole configs (the
   * offline sweep walks the fleet with it).
   */
  async heartbeats(): Promise<(deviceId: string) => number> {
    const [defaults, overrides] = await Promise.all([this.repo.defaults(), this.repo.overrides()]);
    const fleet = defaults.values.heartbeat_interval ?? BUILTIN_DEFAULTS.heartbeat_interval;
    return (deviceId) => overrides.get(deviceId)?.values.heartbeat_interval ?? fleet;
  }

  async overrides(deviceId: string): Promise<ConfigValues> {
    return (await this.repo.override(deviceId))?.values ?? {};
  }

  async updateDefaults(patch: ConfigValues, actor: Actor): Promise<UpdateResult> {
    const result = await this.repo.updateDefaults(patch, this.clock.now(), actor, (values) => checkEffective(overlay(values)));
    if (result.changed) {
      await this.audit.record({ actor, action: 'config.defaults_updated', details: { config_version: result.layer.version, changes: patch } });
    }
    return result;
  }

  async updateDevice(deviceId: string, patch: OverridePatch, actor: Actor, options: { audit?: boolean } = {}): Promise<UpdateResult> {
    const defaults = (await this.repo.defaults()).values;
    const result = await this.repo.updateOverride(deviceId, patch, this.clock.now(), actor, (values) => checkEffective(overlay(defaults, values)));
    if (result.changed && options.audit !== false) {
      await this.audit.record({
        actor,
        action: 'config.device_updated',
        device_id: deviceId,
        details: { config_version: result.layer.version, changes: patch },
      });
    }
    return result;
  }

  async clearDevice(deviceId: string, actor: Actor): Promise<UpdateResult | undefined> {
    const result = await this.repo.clearOverride(deviceId, this.clock.now(), actor);
    if (result) {
      await this.audit.record({ actor, action: 'config.device_cleared', device_id: deviceId, details: { config_version: result.layer.version } });
    }
    return result;
  }

  /** Admin view of one device: effective config, its overrides, and what it reports having applied. */
  async deviceView(deviceId: string) {
    const [defaults, override, applied] = await Promise.all([this.repo.defaults(), this.repo.override(deviceId), this.appliedSource.one(deviceId)]);
    const eff = effectiveOf(defaults, override);
    return {
      device_id: deviceId,
      config_version: eff.config_version,
      config: eff.config,
      overrides: override?.values ?? {},
      applied_version: applied?.version ?? null,
      applied_reported_at: applied ? new Date(applied.at).toISOString() : null,
      behind: applied === undefined || applied.version < eff.config_version,
    };
  }

  /** Active devices whose reported version is older than their effective one (or never reported). */
  async lagging(): Promise<{ latest_version: number; total: number; up_to_date: number; behind: LagEntry[] }> {
    const [devices, defaults, overrides, applied, latest] = await Promise.all([
      this.registry.list(),
      this.repo.defaults(),
      this.repo.overrides(),
      this.appliedSource.all(),
      this.repo.latestVersion(),
    ]);
    const behind: LagEntry[] = [];
    let total = 0;
    for (const record of devices) {
      if (record.status === 'revoked') continue;
      total++;
      const version = Math.max(defaults.version, overrides.get(record.device_id)?.version ?? 0);
      const reported = applied.get(record.device_id);
      if (reported === undefined || reported.version < version) {
        behind.push({ device_id: record.device_id, config_version: version, applied_version: reported?.version ?? null });
      }
    }
    return { latest_version: latest, total, up_to_date: total - behind.length, behind };
  }
}

function effectiveOf(defaults: ConfigLayer, override: ConfigLayer | undefined): Effective {
  return {
    config_version: Math.max(defaults.version, override?.version ?? 0),
    config: overlay(defaults.values, override?.values ?? {}),
  };
}

export type DefaultsView = Effective & { values: ConfigValues; updated_at: string };

function defaultsView(d: ConfigLayer): DefaultsView {
  return { config_version: d.version, config: overlay(d.values), values: d.values, updated_at: d.updated_at };
}
