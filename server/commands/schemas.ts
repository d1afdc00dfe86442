/**
 * Request bodies of the command routes and the parameters of each command type. Unknown types,
 * unknown fields and out-of-range values are 400s naming the field (`parameters.power`).
 */
import { z } from 'zod';
import { setConfigParametersSchema } from '../remote-config/fields.ts';
import { PUBLIC_COMMAND_TYPES } from './types.ts';

const int = (min: number, max: number) =>
  z.number({ error: `must be an integer ${min}..${max}` }).int(`must be an integer ${min}..${max}`).min(min, `must be ${min}..${max}`).max(max, `must be ${min}..${max}`);

export const parameterSchemas = {
  set_power: z.strictObject({
    power: z
      .string({ error: 'must be "0%".."100%"' })
      .regex(/^(100|[1-9]?[0-9])%$/, 'must be "0%".."100%"'),
  }),
  write_register: z.strictObject({
    register: int(40000, 49999),
    value: int(0, 65535),
  }),
  set_relay: z.strictObject({
    relay: int(1, 8),
    state: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }),
  }),
  reboot: z.strictObject({}),
  set_config: setConfigParametersSchema,
} as const;

/** Each parameter schema inside `{parameters}`, so zod paths read `parameters.power`. */
export const wrappedParameterSchemas = {
  set_power: z.object({ parameters: parameterSchemas.set_power }),
  write_register: z.object({ parameters: parameterSchemas.write_register }),
  set_relay: z.object({ parameters: parameterSchemas.set_relay }),
  reboot: z.object({ parameters: parameterSchemas.reboot }),
  set_config: z.object({ parameters: parameterSchemas.set_config }),
} as const;

export const MAX_EXPIRES_IN_SECONDS = 30 * 86_400;

export const createCommandSchema = z.strictObject({
  command_type: z.enum(PUBLIC_COMMAND_TYPES, { error: `must be one of ${PUBLIC_COMMAND_TYPES.join(', ')}` }),
  parameters: z.unknown().optional(),
  expires_in: int(1, MAX_EXPIRES_IN_SECONDS).optional(),
});

export const resultSchema = z.strictObject({
  command_id: z.string().min(1, 'must not be empty').max(64),
  status: z.enum(['completed', 'failed'], { error: 'must be "completed" or "failed"' }),
  result: z.unknown().optional(),
});

/** A device result is stored with the command; keep it small. */
export const MAX_RESULT_BYTES = 8 * 1024;
