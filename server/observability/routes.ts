/**
 * `GET /health` (open): liveness — the process answers. `GET /health/ready` (open): readiness —
 * 503 while the store cannot serve (database unreachable, migrations pending) or the gateway is
 * draining for a shutdown, so a load balancer sends requests elsewhere. `GET /metrics` (Prometheus
 * text; admin unless METRICS_PUBLIC=1).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';

export function observabilityRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/health', (c) => c.json({ status: 'healthy', timestamp: new Date(ctx.clock.now()).toISOString() }));
  app.get('/health/ready', async (c) => {
    const store = ctx.draining ? { ok: false, reason: 'shutting down' } : await ctx.store.ready();
    const body = { status: store.ok ? 'ready' : 'not_ready', backend: ctx.store.backend, ...(store.reason ? { reason: store.reason } : {}) };
    return c.json(body, store.ok ? 200 : 503);
  });
  const guard: MiddlewareHandler<AppEnv> = ctx.config.METRICS_PUBLIC ? (_c, next) => next() : ctx.requireAdmin;
  app.get('/metrics', guard, async (c) =>
    c.body(await ctx.metrics.registry.metrics(), 200, { 'content-type': ctx.metrics.registry.contentType }),
  );
  return app;
}
