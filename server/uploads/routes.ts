/**
 * HTTP edge of telemetry uploads: `POST /aggregated/:device_id` (the EcoWatt envelope).
 * Parse (size cap, content type, JSON), hand to UploadService, answer. Storage failures are
 * a 503 so the device retries; everything else maps through the error handler.
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { UnavailableError, GatewayError } from '../errors.ts';
import { parseJson, readBodyBytes, requireJsonContentType } from '../http/body.ts';
import { signedError, signedJson } from '../http/signed-reply.ts';
import { UploadService } from './ingest.ts';

export function uploadRoutes(ctx: AppContext): Hono<AppEnv> {
  const service = new UploadService(ctx);
  const app = new Hono<AppEnv>();
  app.post('/aggregated/:device_id', async (c) => {
    requireJsonContentType(c);
    const body = parseJson(await readBodyBytes(c, ctx.config.BODY_LIMIT_BYTES));
    let reply;
    try {
      reply = await service.ingest(c.req.param('device_id'), body);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      throw new UnavailableError('could not store the upload; retry with the same nonce');
    }
    const { key, nonce, outcome } = reply;
    return outcome instanceof GatewayError ? signedError(key, nonce, outcome) : signedJson(key, nonce, 200, outcome);
  });
  return app;
}
