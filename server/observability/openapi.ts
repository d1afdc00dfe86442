/** OpenAPI descriptions of the health and metrics routes (routes.ts beside this file). */
import { z } from 'zod';
import type { Config } from '../config.ts';
import { isoTime } from '../openapi/common.ts';
import type { RouteDocs } from '../openapi/describe.ts';

const ready = z.object({
  status: z.enum(['ready', 'not_ready']),
  backend: z.enum(['embedded', 'postgres']).describe('Where this gateway keeps its state.'),
  reason: z.string().optional().describe('Why it is not ready (database unreachable, shutting down, …).'),
});

export function observabilityDocs(config: Config): RouteDocs {
  return {
    'GET /health': {
      summary: 'Liveness: the process answers',
      auth: 'open',
      responses: { 200: { description: 'Alive.', schema: z.object({ status: z.literal('healthy'), timestamp: isoTime }) } },
    },
    'GET /health/ready': {
      summary: 'Readiness: the store can serve and the gateway is not draining',
      description: 'Load balancers send requests elsewhere on a 503 (database unreachable, migrations pending, SIGTERM received).',
      auth: 'open',
      responses: {
        200: { description: 'Ready.', schema: ready.extend({ status: z.literal('ready') }) },
        503: { description: 'Not ready.', schema: ready.extend({ status: z.literal('not_ready') }) },
      },
    },
    'GET /metrics': {
      summary: 'Prometheus metrics',
      description: `Text exposition format. ${config.METRICS_PUBLIC ? 'Open on this gateway (METRICS_PUBLIC=1).' : 'Needs an admin token unless METRICS_PUBLIC=1.'}`,
      auth: config.METRICS_PUBLIC ? 'open' : 'admin',
      responses: { 200: { description: 'The metrics.', contentType: 'text/plain; version=0.0.4; charset=utf-8', schema: { type: 'string' } } },
    },
  };
}
