/**
 * `GET /health` (open): liveness — the process answers. `GET /health/ready` (open): readiness —
 * 503 while the store cannot serve (database unreachable or not answering, migrations pending,
 * every place for uploads waiting on it taken) or the gateway is draining for a shutdown, so a load
 * balancer sends requests elsewhere. `GET /metrics` (Prometheus text; admin unless
 * METRICS_PUBLIC=1).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';

/**
 * How long readiness waits for the store. A database behind a network partition never refuses a
 * query, it just never answers: a load balancer's probe must get its 503 while it still waits.
 */
export const READY_TIMEOUT_MS = 2000;

type Readiness = { ok: boolean; reason?: string };

/**
 * The store's readiness, given READY_TIMEOUT_MS. One check at a time: probes arriving while one is
 * under way share it, so a silent database does not collect a query per probe.
 */
function readinessCheck(ctx: AppContext): () => Promise<Readiness> {
  let checking: Promise<Readiness> | undefined;
  return () => {
    if (!checking) {
      const started: Promise<Readiness> = ctx.store.ready().finally(() => {
        if (checking === started) checking = undefined;
      });
      checking = started;
    }
    const mine = checking;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Readiness>((resolve) => {
      timer = setTimeout(() => {
        // A check that never settles (postgres.js can leave a statement waiting) must not answer
        // every later probe: the next one starts its own.
        if (checking === mine) checking = undefined;
        resolve({ ok: false, reason: `the store did not answer within ${READY_TIMEOUT_MS / 1000} s` });
      }, READY_TIMEOUT_MS);
    });
    return Promise.race([checking, late]).finally(() => clearTimeout(timer));
  };
}

export function observabilityRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const storeReadiness = readinessCheck(ctx);
  app.get('/health', (c) => c.json({ status: 'healthy', timestamp: new Date(ctx.clock.now()).toISOString() }));
  app.get('/health/ready', async (c) => {
    const store = ctx.draining
      ? { ok: false, reason: 'shutting down' }
      : ctx.uploadsInFlight.saturated()
        ? { ok: false, reason: `${ctx.uploadsInFlight.size} uploads are waiting for the store` }
        : await storeReadiness();
    const body = { status: store.ok ? 'ready' : 'not_ready', backend: ctx.store.backend, ...(store.reason ? { reason: store.reason } : {}) };
    return c.json(body, store.ok ? 200 : 503);
  });
  const guard: MiddlewareHandler<AppEnv> = ctx.config.METRICS_PUBLIC ? (_c, next) => next() : ctx.requireAdmin;
  app.get('/metrics', guard, async (c) =>
    c.body(await ctx.metrics.registry.metrics(), 200, { 'content-type': ctx.metrics.registry.contentType }),
  );
  return app;
}
