/** OpenAPI descriptions of the fault injection routes (routes.ts beside this file; mounted only with FAULTS_ENABLED=1). */
import { z } from 'zod';
import type { Config } from '../config.ts';
import { deviceIdParam, isoTime, limitParam, success } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import { FAULT_TYPES, type ArmedFault, type FaultHistoryEntry } from './injector.ts';
import { FAULT_HISTORY_LIMIT, faultInjectSchema } from './routes.ts';

const RESPONSE_FAULTS = ['network_timeout', 'corrupted_payload', 'ota_hash_mismatch', 'ota_page_tamper'] as const;
const count = z.number().int().min(0);

const armedSchema = z.object({
  device_id: z.string(),
  fault_type: z.enum(RESPONSE_FAULTS),
  remaining: count,
  delay_ms: z.number().int().min(1).nullable(),
  armed_at: isoTime,
});
agrees<Agree<typeof armedSchema, ArmedFault>>();

const historySchema = z.object({
  seq: count,
  at: isoTime,
  action: z.enum(['injected', 'triggered', 'queued', 'disarmed']),
  fault_type: z.enum(FAULT_TYPES),
  device_id: z.string(),
  count: count.optional(),
  remaining: count.optional(),
  delay_ms: count.optional(),
  command_id: z.string().optional(),
  path: z.string().optional(),
});
agrees<Agree<typeof historySchema, FaultHistoryEntry>>();

export function faultDocs(config: Config): RouteDocs {
  return {
    'POST /fault/inject': {
      summary: 'Test fleets: make a device misbehave',
      description:
        'Response faults (network_timeout, corrupted_payload, ota_hash_mismatch, ota_page_tamper) are armed for the device\'s next `count` answers; modbus_timeout and buffer_overflow are queued as a `simulate_fault` command. `delay_ms` only for network_timeout.',
      auth: 'admin',
      body: { schema: faultInjectSchema(config.FAULT_MAX_DELAY_MS) },
      responses: {
        201: {
          description: 'Armed (`fault`) or queued (`command_id`).',
          schema: z.union([
            success({ fault: armedSchema }),
            success({ fault_type: z.enum(FAULT_TYPES), device_id: z.string(), count: z.number().int().min(1), command_id: z.string() }),
          ]),
        },
      },
      errors: { 400: ['invalid_fault'], 404: ['unknown_device'], 409: ['queue_full'] },
    },
    'GET /fault/active': {
      summary: 'Test fleets: armed response faults',
      auth: 'admin',
      responses: { 200: { description: 'Armed faults.', schema: success({ count, faults: z.array(armedSchema) }) } },
    },
    'DELETE /fault/active': {
      summary: 'Test fleets: disarm faults',
      auth: 'admin',
      query: { device_id: { ...deviceIdParam, description: 'Only this device (default: all).' } },
      responses: { 200: { description: 'How many were disarmed.', schema: success({ disarmed: count }) } },
      errors: { 400: ['invalid_device_id'] },
    },
    'GET /fault/history': {
      summary: 'Test fleets: injected, triggered, queued and disarmed faults',
      description: 'Oldest first; kept in memory (the last 1000).',
      auth: 'admin',
      query: { limit: limitParam(FAULT_HISTORY_LIMIT, 'entries') },
      responses: { 200: { description: 'The history.', schema: success({ count, history: z.array(historySchema) }) } },
      errors: { 400: ['invalid_query'] },
    },
    'DELETE /fault/history': {
      summary: 'Test fleets: clear the history',
      auth: 'admin',
      responses: { 200: { description: 'How many entries went.', schema: success({ cleared: count }) } },
    },
  };
}
