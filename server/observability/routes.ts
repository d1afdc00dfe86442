/**
 * `GET /health` (open) and `GET /metrics` (Prometheus text; admin unless METRICS_PUBLIC=1).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';

export function observabilityRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/health', (c) => c.json({ status: 'healthy', timestamp: new Date(ctx.clock.now()).toISOString() }));
  const guard: MiddlewareHandler<AppEnv> = ctx.config.METRICS_PUBLIC ? (_c, next) => next() : ctx.requireAdmin;
  app.get('/metrics', guard, async (c) =>
    c.body(await ctx.metrics.registry.metrics(), 200, { 'content-type': ctx.metrics.registry.contentType }),
  );
  return app;
}
