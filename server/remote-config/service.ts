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
import { getOwn } from '../control-plane/own.ts';
import { BUILTIN_DEFAULTS, crossFieldProblem, overlay, type ConfigValues, type DeviceConfig, type OverridePatch } from './fields.ts';
import type { ConfigRepo, UpdateResult } from './repo.ts';

export interface Effective {
  config_version: number;
  config: DeviceConfig;
}

export interface Applied {
  version: number;
  /** Epoch ms of the report. */
  at: number;
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
  /** Set by the diagnostics service once it exists. */
  appliedSource: (deviceId: string) => Applied | undefined = () => undefined;

  constructor(
    private readonly repo: ConfigRepo,
    private readonly registry: DeviceRegistry,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  get latestVersion(): number {
    return this.repo.state().version;
  }

  defaults(): Effective & { values: ConfigValues; updated_at: string } {
    const d = this.repo.state().defaults;
    return { config_version: d.version, config: overlay(d.values), values: d.values, updated_at: d.updated_at };
  }

  effective(deviceId: string): Effective {
    const state = this.repo.state();
    const override = getOwn(state.overrides, deviceId);
    return {
      config_version: Math.max(state.defaults.version, override?.version ?? 0),
      config: overlay(state.defaults.values, override?.values ?? {}),
    };
  }

  /** The effective heartbeat_interval, without building the whole config (the offline sweep's hot path). */
  heartbeatSeconds(deviceId: string): number {
    const state = this.repo.state();
    return (
      getOwn(state.overrides, deviceId)?.values.heartbeat_interval ?? state.defaults.values.heartbeat_interval ?? BUILTIN_DEFAULTS.heartbeat_interval
    );
  }

  overrides(deviceId: string): ConfigValues {
    const state = this.repo.state();
    return getOwn(state.overrides, deviceId)?.values ?? {};
  }

  async updateDefaults(patch: ConfigValues, actor: Actor): Promise<UpdateResult> {
    const result = await this.repo.updateDefaults(patch, this.clock.now(), actor, (values) => checkEffective(overlay(values)));
    if (result.changed) {
      await this.audit.record({ actor, action: 'config.defaults_updated', details: { config_version: result.layer.version, changes: patch } });
    }
    return result;
  }

  async updateDevice(deviceId: string, patch: OverridePatch, actor: Actor): Promise<UpdateResult> {
    const defaults = this.repo.state().defaults.values;
    const result = await this.repo.updateOverride(deviceId, patch, this.clock.now(), actor, (values) => checkEffective(overlay(defaults, values)));
    if (result.changed) {
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
  deviceView(deviceId: string) {
    const eff = this.effective(deviceId);
    const applied = this.appliedSource(deviceId);
    return {
      device_id: deviceId,
      config_version: eff.config_version,
      config: eff.config,
      overrides: this.overrides(deviceId),
      applied_version: applied?.version ?? null,
      applied_reported_at: applied ? new Date(applied.at).toISOString() : null,
      behind: applied === undefined || applied.version < eff.config_version,
    };
  }

  /** Active devices whose reported version is older than their effective one (or never reported). */
  lagging(): { total: number; up_to_date: number; behind: LagEntry[] } {
    const behind: LagEntry[] = [];
    let total = 0;
    for (const record of this.registry.list()) {
      if (record.status === 'revoked') continue;
      total++;
      const eff = this.effective(record.device_id);
      const applied = this.appliedSource(record.device_id);
      if (applied === undefined || applied.version < eff.config_version) {
        behind.push({ device_id: record.device_id, config_version: eff.config_version, applied_version: applied?.version ?? null });
      }
    }
    return { total, up_to_date: total - behind.length, behind };
  }
}
