/**
 * Input helpers shared by the control-plane routes. `parseStrict` wraps the core `parseWith` so an
 * unknown field is reported by name (`parameters.colour: unknown field`) rather than zod's
 * field-less "Unrecognized key" — the one failure a curl user most needs spelled out. The query
 * helpers give every list route the same `limit` and `since` rules.
 */
import type { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { parseWith } from '../http/validate.ts';
import { parseTimeBound } from '../telemetry/routes.ts';

export function parseStrict<S extends z.ZodType>(schema: S, value: unknown, code = 'invalid_request'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    // Report an unknown key first: a misspelt field otherwise surfaces as "required" on the real one.
    const unknown = result.error.issues.find((i) => i.code === 'unrecognized_keys');
    if (unknown && unknown.code === 'unrecognized_keys') {
      const field = [...unknown.path.map(String), unknown.keys[0] ?? '?'].join('.');
      throw new ValidationError(`${field}: unknown field`, code, { field });
    }
  }
  return parseWith(schema, value, code);
}

export function parseLimit(value: string | undefined, def: number, max: number): number {
  if (value === undefined || value === '') return def;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new ValidationError(`limit must be 1..${max}`, 'invalid_query', { field: 'limit' });
  }
  return Number(value);
}

/** `since` as ISO-8601 or epoch seconds/milliseconds (same rules as the telemetry routes). */
export function parseSince(value: string | undefined): number | undefined {
  return parseTimeBound(value, 'since');
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
