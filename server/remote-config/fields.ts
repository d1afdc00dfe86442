/**
 * The remotely managed device settings: their types, ranges and built-in defaults. One zod
 * schema per field, reused for fleet defaults, tag layers, per-device overrides and the `set_config` command,
 * so a value the gateway accepts anywhere is a value every device can apply.
 */
import { z } from 'zod';
import {
  CONFIG_MAX_REGISTERS,
  FIELD_NAME_MAX,
  HEARTBEAT_INTERVAL_S,
  POLL_FREQUENCY_S,
  REGISTER_NAME_PATTERN,
  RESERVED_FIELD_NAMES,
  UPLOAD_FREQUENCY_S,
  isRegisterName,
} from '../protocol/limits.ts';

export const COMPRESSION_METHODS = ['dictionary', 'delta', 'rle', 'adaptive', 'smart'] as const;

const seconds = (min: number, max: number) =>
  z.number({ error: 'must be a whole number of seconds' }).int('must be a whole number of seconds').min(min, `must be ${min}..${max}`).max(max, `must be ${min}..${max}`);

/** Register names become frame field names as they are, so the frame's rule applies (limits.ts). */
const registerName = z
  .string()
  .refine(isRegisterName, `register names are 1-${FIELD_NAME_MAX} characters of a-z 0-9 _, starting with a letter, and not a reserved name`)
  .meta({ pattern: REGISTER_NAME_PATTERN.source, not: { enum: [...RESERVED_FIELD_NAMES] } });

export const fieldSchemas = {
  /** Seconds between two reads of the inverter/meter registers. */
  poll_frequency: seconds(POLL_FREQUENCY_S.min, POLL_FREQUENCY_S.max),
  /** Seconds between two telemetry uploads. */
  upload_frequency: seconds(UPLOAD_FREQUENCY_S.min, UPLOAD_FREQUENCY_S.max),
  /** Which registers to read and upload. */
  registers: z
    .array(registerName, { error: 'must be an array of register names' })
    .min(1, `must list 1..${CONFIG_MAX_REGISTERS} registers`)
    .max(CONFIG_MAX_REGISTERS, `must list 1..${CONFIG_MAX_REGISTERS} registers`)
    .refine((r) => new Set(r).size === r.length, 'must not repeat a register')
    .meta({ uniqueItems: true }),
  compression_enabled: z.boolean({ error: 'must be true or false' }),
  compression_method: z.enum(COMPRESSION_METHODS, { error: `must be one of ${COMPRESSION_METHODS.join('|')}` }),
  /** Seconds between heartbeats (any signed message counts); silence > 3x this is "offline". */
  heartbeat_interval: seconds(HEARTBEAT_INTERVAL_S.min, HEARTBEAT_INTERVAL_S.max),
} as const;

export type ConfigField = keyof typeof fieldSchemas;
export const CONFIG_FIELDS = Object.keys(fieldSchemas) as ConfigField[];

export type DeviceConfig = { [K in ConfigField]: z.infer<(typeof fieldSchemas)[K]> };
export type ConfigValues = Partial<DeviceConfig>;

export const BUILTIN_DEFAULTS: DeviceConfig = {
  poll_frequency: 5,
  upload_frequency: 60,
  registers: ['voltage', 'current', 'power'],
  compression_enabled: true,
  compression_method: 'smart',
  heartbeat_interval: 60,
};

/** PUT /config/defaults: any subset of fields, none unknown, at least one. */
export const defaultsPatchSchema = z
  .strictObject(fieldSchemas)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'send at least one config field')
  .meta({ minProperties: 1 });

/** Every field, where `null` drops it from the layer it is sent to. */
const droppableFields = {
  poll_frequency: fieldSchemas.poll_frequency.nullable(),
  upload_frequency: fieldSchemas.upload_frequency.nullable(),
  registers: fieldSchemas.registers.nullable(),
  compression_enabled: fieldSchemas.compression_enabled.nullable(),
  compression_method: fieldSchemas.compression_method.nullable(),
  heartbeat_interval: fieldSchemas.heartbeat_interval.nullable(),
};

/** PUT /config/:device_id: like defaults, and `null` drops a field's override (back to the fleet default). */
export const overridePatchSchema = z
  .strictObject(droppableFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'send at least one config field')
  .meta({ minProperties: 1 });

export type OverridePatch = z.infer<typeof overridePatchSchema>;

export const TAG_PRIORITY = { min: 0, max: 1000 } as const;

/**
 * PUT /config/tags/:tag: fields as for an override (`null` drops one from the tag's layer), and
 * optionally the layer's `priority` among a device's tag layers (layers.ts).
 */
export const tagLayerPatchSchema = z
  .strictObject({
    ...droppableFields,
    priority: z
      .number({ error: `must be a whole number ${TAG_PRIORITY.min}..${TAG_PRIORITY.max}` })
      .int(`must be a whole number ${TAG_PRIORITY.min}..${TAG_PRIORITY.max}`)
      .min(TAG_PRIORITY.min, `must be ${TAG_PRIORITY.min}..${TAG_PRIORITY.max}`)
      .max(TAG_PRIORITY.max, `must be ${TAG_PRIORITY.min}..${TAG_PRIORITY.max}`)
      .nullable()
      .describe('Among the tag layers of one device, the higher priority wins a field both set (default 0; null sets it back to 0); equal priorities go by tag name, the later name winning.'),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'send at least one config field, or priority')
  .meta({ minProperties: 1 });

export type TagLayerPatch = z.infer<typeof tagLayerPatchSchema>;

/** `set_config` command parameters: a non-empty override without nulls. */
export const setConfigParametersSchema = defaultsPatchSchema;

/** Rules across fields, checked on the effective config a change would produce. */
export function crossFieldProblem(c: DeviceConfig): { field: ConfigField; message: string } | undefined {
  if (c.upload_frequency < c.poll_frequency) {
    return { field: 'upload_frequency', message: `must be >= poll_frequency (${c.poll_frequency})` };
  }
  return undefined;
}

export function overlay(...layers: ConfigValues[]): DeviceConfig {
  const out = { ...BUILTIN_DEFAULTS } as Record<string, unknown>;
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) if (v !== undefined) out[k] = v;
  return out as DeviceConfig;
}
