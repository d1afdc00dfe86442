/** OpenAPI descriptions of the event routes (routes.ts beside this file). */
import { z } from 'zod';
import { deviceIdParam, isoTime, keyed, limitParam, success, timeBoundParam } from '../openapi/common.ts';
import { agrees, type Agree, type ParamDoc, type RouteDocs } from '../openapi/describe.ts';
import { EVENTS_LIMIT } from './routes.ts';
import { EVENT_TYPES, type DeviceEvent } from './rules.ts';

const eventSchema = z.object({
  event_id: z.string().describe('Deterministic (`<device>:<type>:<n>`): an event derived again is stored once.'),
  device_id: z.string(),
  type: z.enum(EVENT_TYPES),
  at: isoTime,
  details: keyed(z.unknown()),
});
agrees<Agree<typeof eventSchema, DeviceEvent>>();

const query: Record<string, ParamDoc> = {
  since: timeBoundParam('Events from this time on.'),
  type: { schema: { enum: [...EVENT_TYPES] }, description: 'Only events of this type.' },
  limit: limitParam(EVENTS_LIMIT, 'events'),
};
const page = { count: z.number().int().min(0), events: z.array(eventSchema) };
const description =
  'Oldest first: offline (silent for 3× its heartbeat), online, power_loss / power_restored and reboot (from boot reports). With `since` it pages forward from that time; without, the most recent `limit`.';

export const eventDocs: RouteDocs = {
  'GET /events': {
    summary: 'Fleet events',
    description,
    auth: 'admin',
    query: { ...query, device_id: { ...deviceIdParam, description: 'Only this device.' } },
    responses: { 200: { description: 'The events (with `device_id` when filtered by it).', schema: success({ device_id: z.string().optional(), ...page }) } },
    errors: { 400: ['invalid_query', 'invalid_device_id'] },
  },
  'GET /devices/:device_id/events': {
    summary: "A device's events",
    description,
    auth: 'admin',
    query,
    responses: { 200: { description: 'The events.', schema: success({ device_id: z.string(), ...page }) } },
    errors: { 400: ['invalid_query', 'invalid_device_id'], 404: ['unknown_device'] },
  },
};
