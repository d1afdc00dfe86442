/**
 * A device id inside zod schemas (request bodies). Kept apart from ids.ts, which the CLI loads at
 * start-up without zod. The refinement carries the rule as JSON Schema for the OpenAPI document.
 */
import { z } from 'zod';
import { DEVICE_ID_JSON_SCHEMA, DEVICE_ID_RULE, isValidDeviceId } from './ids.ts';

export function deviceIdSchema(message = `must be ${DEVICE_ID_RULE}`, notAString?: string) {
  return z.string(notAString === undefined ? undefined : { error: notAString }).refine(isValidDeviceId, message).meta(DEVICE_ID_JSON_SCHEMA);
}
