/** `GET /notify/status` (admin): webhook queue and delivery counters. */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import type { Notifier } from './notifier.ts';

export function notifyRoutes(ctx: AppContext, notifier: Notifier): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/notify/status', ctx.requireAdmin, (c) => c.json({ success: true, ...notifier.stats() }));
  return app;
}
