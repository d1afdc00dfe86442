/**
 * How a device's configuration is made from its layers, and where each value comes from. Lowest
 * first: the built-in defaults, the fleet defaults, the layers of the device's tags, the device's
 * own overrides. Among its tag layers a higher `priority` wins a field two of them set; equal
 * priorities go by tag name, the later name winning — so an operator decides which group wins
 * (canary over site:lyon) instead of naming tags to sort right, and the answer never depends on
 * the order in which layers or tags were written.
 *
 * The effective version is the highest of the stamps that concern the device: the defaults', each
 * of its tags' layers' (cleared ones too), its overrides', and its membership stamp (the version
 * at which a change of its tags last changed which layers apply). Each change of any of them takes
 * the next value of the one fleet counter, so the version rises with every change of the device's
 * configuration and a device learns of each one.
 */
import { BUILTIN_DEFAULTS, CONFIG_FIELDS, type ConfigField, type ConfigValues, type DeviceConfig } from './fields.ts';
import type { ConfigLayer, DeviceLayers, TagLayer } from './repo.ts';

export type ConfigSource = 'built-in' | 'defaults' | `tag:${string}` | 'device';

export interface AppliedTagLayer {
  tag: string;
  priority: number;
  config_version: number;
  values: ConfigValues;
}

export interface Resolved {
  config_version: number;
  config: DeviceConfig;
  /** The layer each effective value comes from. */
  sources: Record<ConfigField, ConfigSource>;
  /** The device's tag layers that set something, in the order applied (a later one wins). */
  tag_layers: AppliedTagLayer[];
}

/** Tag layers in the order they apply: priority, then tag name (a later one wins). */
export function byPrecedence(a: [string, TagLayer], b: [string, TagLayer]): number {
  return a[1].priority - b[1].priority || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** The layers of `tags` that exist, in the order they apply. */
export function tagLayersOf(tags: readonly string[], layers: ReadonlyMap<string, TagLayer>): [string, TagLayer][] {
  const out: [string, TagLayer][] = [];
  for (const tag of tags) {
    const layer = layers.get(tag);
    if (layer) out.push([tag, layer]);
  }
  return out.sort(byPrecedence);
}

/**
 * The effective version from the stamps alone (the fleet lag view runs this for every device):
 * `tagLayers` is every tag layer, `tags` the device's tags.
 */
export function versionOf(
  defaults: ConfigLayer,
  tags: readonly string[],
  tagLayers: ReadonlyMap<string, TagLayer>,
  override: ConfigLayer | undefined,
  membership: number | undefined,
): number {
  let v = Math.max(defaults.version, override?.version ?? 0, membership ?? 0);
  for (const tag of tags) v = Math.max(v, tagLayers.get(tag)?.version ?? 0);
  return v;
}

/** A device's effective configuration, its version, and the source of each value. */
export function resolve(layers: DeviceLayers): Resolved {
  const tags = layers.device_tags;
  const ordered = tagLayersOf(tags, layers.tags);
  const config = { ...BUILTIN_DEFAULTS } as Record<string, unknown>;
  const sources = Object.fromEntries(CONFIG_FIELDS.map((f) => [f, 'built-in'])) as Record<ConfigField, ConfigSource>;
  const apply = (values: ConfigValues, source: ConfigSource) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue;
      config[k] = v;
      sources[k as ConfigField] = source;
    }
  };
  apply(layers.defaults.values, 'defaults');
  for (const [tag, layer] of ordered) apply(layer.values, `tag:${tag}`);
  if (layers.override) apply(layers.override.values, 'device');
  return {
    config_version: versionOf(layers.defaults, tags, layers.tags, layers.override, layers.membership),
    config: config as DeviceConfig,
    sources,
    tag_layers: ordered
      .filter(([, l]) => Object.keys(l.values).length > 0)
      .map(([tag, l]) => ({ tag, priority: l.priority, config_version: l.version, values: l.values })),
  };
}

/** The values of a device's tag layers merged in order, without the fleet defaults or overrides. */
export function mergedTagValues(tags: readonly string[], layers: ReadonlyMap<string, TagLayer>): ConfigValues {
  return Object.assign({}, ...tagLayersOf(tags, layers).map(([, l]) => l.values)) as ConfigValues;
}
