/**
 * Pieces many route docs share: the device-id path parameter, the `limit` / time-bound query
 * parameters (the same rules as server/control-plane/validate.ts and server/telemetry/routes.ts,
 * written as JSON Schema from the same constants), and response building blocks.
 */
import { z } from 'zod';
import { DEVICE_ID_JSON_SCHEMA } from '../devices/ids.ts';
import { ISO_8601, MAX_TIME_MS } from '../telemetry/routes.ts';
import type { JsonSchema, ParamDoc } from './describe.ts';

export const deviceIdParam: ParamDoc = { schema: DEVICE_ID_JSON_SCHEMA, description: 'The device id.' };

/** `limit`: 1..max, default when absent (400 `invalid_query` otherwise). */
export function limitParam(limit: { default: number; max: number }, what: string): ParamDoc {
  return {
    schema: { type: 'integer', minimum: 1, maximum: limit.max, default: limit.default },
    description: `At most this many ${what} (1..${limit.max}, default ${limit.default}).`,
  };
}

/** A time bound: ISO-8601, or epoch seconds (below 10^12) or milliseconds, 1970..9999-12-31. */
export function timeBoundParam(description: string): ParamDoc {
  const timeBound: JsonSchema = {
    type: 'string',
    anyOf: [
      { pattern: ISO_8601.source, description: 'ISO-8601 (a date, optionally a time and an offset)' },
      { pattern: '^\\d+(\\.\\d+)?$', description: 'epoch seconds (below 10^12) or milliseconds' },
    ],
    description: `From 1970-01-01 to ${new Date(MAX_TIME_MS).toISOString()}.`,
  };
  return { schema: timeBound, description: `${description} ISO-8601, or epoch seconds (below 10^12) or milliseconds.` };
}

/** A time the gateway wrote: `Date.toISOString()`, always UTC with milliseconds. */
export const isoTime = z.iso.datetime();

export const ok = z.literal(true);

/** Object members keyed by device-chosen or data-chosen strings (device ids, field names, versions). */
export function keyed<V extends z.ZodType>(value: V) {
  return z.record(z.string(), value);
}

/** `{"success": true, ...fields}`. */
export function success<S extends z.ZodRawShape>(shape: S) {
  return z.object({ success: ok, ...shape });
}
