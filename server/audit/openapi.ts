/** OpenAPI description of the audit log route (routes.ts beside this file). */
import { z } from 'zod';
import { deviceIdParam, isoTime, keyed, limitParam, success, timeBoundParam } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import type { AuditEntry } from './log.ts';
import { ACTOR_QUERY, ACTION_QUERY, AUDIT_LIMIT } from './routes.ts';

const auditEntrySchema = z.object({
  at: isoTime,
  actor: z.string().describe('`token:<name>`, `device:<id>`, `system` (the gateway itself) or `public` (an anonymous download); older records say `admin`.'),
  action: z.string().describe('What was done, e.g. `command.created`, `device.revoked`.'),
  device_id: z.string().optional(),
  command_id: z.string().optional(),
  details: keyed(z.unknown()).optional(),
});
// The actor's template-literal type is written as a string in the schema.
agrees<Agree<typeof auditEntrySchema, Omit<AuditEntry, 'actor'> & { actor: string }>>();

export const auditDocs: RouteDocs = {
  'GET /audit': {
    summary: 'Read the audit log',
    description: 'Oldest first. With `since` it pages forward from that time (pass the last entry\'s `at` back, skipping entries you have); without, the most recent `limit` entries.',
    auth: 'admin',
    query: {
      since: timeBoundParam('Entries from this time on.'),
      limit: limitParam(AUDIT_LIMIT, 'entries'),
      device_id: { ...deviceIdParam, description: 'Only entries about this device.' },
      action: { schema: { type: 'string', pattern: ACTION_QUERY.source }, description: 'An action, or a prefix ending in "." such as `command.`.' },
      actor: { schema: { type: 'string', pattern: ACTOR_QUERY.source }, description: 'Exactly this actor: `token:<name>`, `device:<id>`, `system` or `public`.' },
    },
    responses: { 200: { description: 'The entries.', schema: success({ count: z.number().int().min(0), entries: z.array(auditEntrySchema) }) } },
    errors: { 400: ['invalid_query', 'invalid_device_id'] },
  },
};
