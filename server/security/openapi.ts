/** OpenAPI descriptions of the security routes (routes.ts beside this file). */
import { z } from 'zod';
import { deviceIdParam, isoTime, keyed, success } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import { OUTCOMES, type SecurityStats } from './stats.ts';

const count = z.number().int().min(0);
const counters = z.object({
  total: count,
  ...Object.fromEntries(OUTCOMES.map((o) => [o, count])),
  success_rate: z.number().min(0).max(100).describe('Percent of attempts accepted or answered as duplicates (100 with no attempts).'),
} as { total: typeof count; success_rate: z.ZodNumber } & Record<(typeof OUTCOMES)[number], typeof count>);

const statsSchema = z.object({
  since: isoTime.describe('When counting started.'),
  fleet: counters,
  devices: keyed(counters).describe('Per registered device, by id.'),
});
agrees<Agree<typeof statsSchema, Awaited<ReturnType<SecurityStats['snapshot']>>>>();

export const securityDocs: RouteDocs = {
  'GET /security/stats': {
    summary: 'Authentication outcomes, fleet-wide and per device',
    description: `Every authenticated-message attempt and how it ended: ${OUTCOMES.join(', ')}.`,
    auth: 'admin',
    responses: { 200: { description: 'The counters.', schema: success(statsSchema.shape) } },
  },
  'DELETE /security/nonces': {
    summary: 'Reset nonce tracking (re-opens replay windows)',
    description: 'For one device (`device_id`) or the whole fleet: the next nonce each sends is accepted whatever it is. Logged loudly and audited.',
    auth: 'admin',
    query: { device_id: { ...deviceIdParam, description: 'Only this device (default: every device).' } },
    responses: { 200: { description: 'Reset.', schema: success({ devices_reset: count, device_id: z.string().nullable() }) } },
    errors: { 400: ['invalid_device_id'] },
  },
};
