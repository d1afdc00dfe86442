/**
 * `GET /openapi.json` (open, like /health): the OpenAPI 3.1 document of this gateway's routes.
 * It holds no secret and nothing about the fleet — only the shape of the API and this gateway's
 * limits, which the repository documents anyway — and tools (Swagger UI, client generators, the
 * console's link) fetch it without credentials. Built once, on the first request, from the
 * routes mounted by then (every route is mounted when the gateway starts serving).
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { buildDocument } from './document.ts';

export function openApiRoutes(ctx: AppContext, mounted: () => readonly { method: string; path: string }[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let body: string | undefined;
  app.get('/openapi.json', (c) => {
    if (body === undefined) {
      const { document, undescribed } = buildDocument(ctx.config, mounted());
      if (undescribed.length > 0) ctx.logger.warn({ routes: undescribed }, 'routes without an OpenAPI description (add them to the openapi.ts beside their routes)');
      body = JSON.stringify(document);
    }
    return c.body(body, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
  });
  return app;
}
