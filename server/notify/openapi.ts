/** OpenAPI description of the notification status route (routes.ts beside this file). */
import { z } from 'zod';
import { success } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import type { NotifierStats } from './notifier.ts';

const count = z.number().int().min(0);
const statsSchema = z.object({
  enabled: z.boolean().describe('Whether NOTIFY_WEBHOOK_URL is set.'),
  format: z.string(),
  cooldown_seconds: count,
  queued: count,
  in_flight: count,
  sent: count,
  failed: count,
  dropped: count,
  suppressed: count,
  retries: count,
  last_error: z.string().nullable(),
});
agrees<Agree<typeof statsSchema, NotifierStats>>();

export const notifyDocs: RouteDocs = {
  'GET /notify/status': {
    summary: 'Webhook queue and delivery counters',
    auth: 'admin',
    responses: { 200: { description: 'The notifier state.', schema: success(statsSchema.shape) } },
  },
};
