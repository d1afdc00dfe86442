/**
 * A write to one configuration layer must leave every device it concerns with a configuration the
 * device can apply. The cross-field rules (fields.ts `crossFieldProblem`) are about the effective
 * configuration, and two layers can each be valid over the fleet defaults yet break a rule
 * together: tag `a` sets poll 120 and upload 300, tag `b` sets upload 60, a device carries both —
 * and a device refuses such a configuration whole (the firmware's `fg_control` answers FG_ERR_RANGE)
 * and stays behind. So each write is checked on the effective configuration of every device it
 * concerns, with the written layer in place.
 *
 * The check and its write are one step: every change that can alter which configuration a device
 * gets — fleet defaults, tag layers, a device's overrides, a device's tags (retagging, registering
 * one or in bulk, reinstating) — reads the fleet, checks and writes inside `Store.configWrite`,
 * the fleet's one config writer at a time, across replicas too (service.ts, and the registry's tag
 * guard). Two changes made at the same moment, each valid alone, are therefore checked one after
 * the other: the second sees the first and is refused if together they break a rule. A change
 * that waits too long for its turn is refused 503 `config_busy`, with nothing written.
 */
import { ValidationError } from '../errors.ts';
import type { DeviceRecord } from '../store/types.ts';
import { crossFieldProblem, overlay, type ConfigValues } from './fields.ts';
import { mergedTagValues } from './layers.ts';
import type { ConfigLayer, TagLayer } from './repo.ts';

/** The fleet's layers as read before a write. */
export interface FleetLayers {
  defaults: ConfigValues;
  tagLayers: ReadonlyMap<string, TagLayer>;
  overrides: ReadonlyMap<string, ConfigLayer>;
}

/** A device as the check sees it: its id and the tags it has (or is about to have). */
export interface Carrier {
  device_id: string;
  tags: readonly string[];
}

/** Active devices as carriers (revoked ones apply nothing). */
export function activeCarriers(records: readonly DeviceRecord[]): Carrier[] {
  return records.filter((r) => !r.revoked_at).map((r) => ({ device_id: r.device_id, tags: r.tags ?? [] }));
}

/**
 * Throws 400 `invalid_config` naming the first device whose effective configuration would break a
 * cross-field rule, and how many would; `what` says which write it was.
 */
export function refuseConflicts(fleet: FleetLayers, devices: Iterable<Carrier>, what: string): void {
  let first: { device_id: string; field: string; message: string } | undefined;
  let count = 0;
  for (const d of devices) {
    const problem = crossFieldProblem(overlay(fleet.defaults, mergedTagValues(d.tags, fleet.tagLayers), fleet.overrides.get(d.device_id)?.values ?? {}));
    if (!problem) continue;
    count++;
    first ??= { device_id: d.device_id, ...problem };
  }
  if (!first) return;
  const others = count > 1 ? ` and ${count - 1} other device${count > 2 ? 's' : ''}` : '';
  throw new ValidationError(
    `${what} would give device ${first.device_id}${others} a configuration it cannot apply: ${first.field} ${first.message}`,
    'invalid_config',
    { field: first.field, device_id: first.device_id, devices: count },
  );
}

/** `layers` with `tag`'s layer replaced (or added). */
export function withTagLayer(layers: ReadonlyMap<string, TagLayer>, tag: string, layer: TagLayer): ReadonlyMap<string, TagLayer> {
  return new Map(layers).set(tag, layer);
}
