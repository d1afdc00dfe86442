/** OpenAPI description of the telemetry read-back route (routes.ts beside this file). */
import { z } from 'zod';
import { isoTime, limitParam, success, timeBoundParam } from '../openapi/common.ts';
import type { RouteDocs } from '../openapi/describe.ts';
import { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT } from './routes.ts';

/** A stored sample: the device's own fields (numbers) next to what the gateway recorded. */
const sampleSchema = z
  .object({
    timestamp: z.number().describe("The device's timestamp."),
    received_at: isoTime.describe('When the gateway stored it.'),
    nonce: z.number().int().min(0),
    method: z.string().describe('`plain` or the packing method.'),
  })
  .catchall(z.number());

export const telemetryDocs: RouteDocs = {
  'GET /telemetry/:device_id': {
    summary: "Read a device's stored samples",
    description: "Oldest first. `from` / `to` bound the gateway's receive time. `format=csv` answers text/csv with a header row `timestamp,received_at,nonce,method,<fields…>`.",
    auth: 'admin',
    query: {
      from: timeBoundParam('Received at or after.'),
      to: timeBoundParam('Received at or before (not before `from`).'),
      limit: limitParam({ default: DEFAULT_QUERY_LIMIT, max: MAX_QUERY_LIMIT }, 'samples'),
      format: { schema: { enum: ['json', 'csv'], default: 'json' }, description: 'Answer as JSON (default) or CSV.' },
    },
    responses: {
      200: {
        description: 'The samples (JSON, or CSV with `format=csv`).',
        schema: success({ device_id: z.string(), count: z.number().int().min(0), samples: z.array(sampleSchema) }),
        also: { 'text/csv': { type: 'string', description: 'CSV, one row per sample.' } },
      },
    },
    errors: { 400: ['invalid_device_id', 'invalid_query'], 404: ['unknown_device'] },
  },
};
