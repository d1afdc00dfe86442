/**
 * HTTP edge of telemetry uploads: `POST /aggregated/:device_id` (the EcoWatt envelope).
 * Parse (size cap, content type, JSON), hand to UploadService, answer. Storage failures are
 * a 503 so the device retries; everything else maps through the error handler.
 *
 * Served two ways with the same code below: this Hono route (in-process `app.request`, and any
 * request the fast path leaves alone), and on a real socket by server/http/upload-fast-path.ts,
 * which skips Hono's request and response objects for the fleet's hottest route.
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { UnavailableError, GatewayError } from '../errors.ts';
import { parseJson, readBodyBytes, requireJsonContentType } from '../http/body.ts';
import { answerResponse, signedErrorAnswer, signedAnswer, type SignedAnswer } from '../http/signed-reply.ts';
import { requestSource } from '../http/source-address.ts';
import { UploadService } from './ingest.ts';

/**
 * The upload's answer to a body already read and size-checked. Throws a GatewayError for what
 * cannot be tied to a device (then the answer is unsigned); a failure to store is a 503.
 */
export async function answerUpload(service: UploadService, deviceId: string, bytes: Uint8Array, source: string): Promise<SignedAnswer> {
  const body = parseJson(bytes);
  let reply;
  try {
    reply = await service.ingest(deviceId, body, source);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new UnavailableError('could not store the upload; retry with the same nonce');
  }
  const { key, nonce, outcome } = reply;
  return outcome instanceof GatewayError ? signedErrorAnswer(key, nonce, outcome) : signedAnswer(key, nonce, 200, outcome);
}

export function uploadRoutes(ctx: AppContext): Hono<AppEnv> {
  const service = new UploadService(ctx);
  const app = new Hono<AppEnv>();
  app.post('/aggregated/:device_id', async (c) => {
    requireJsonContentType(c);
    const bytes = await readBodyBytes(c, ctx.config.BODY_LIMIT_BYTES);
    return answerResponse(await answerUpload(service, c.req.param('device_id'), bytes, requestSource(c, ctx.config.TRUST_PROXY)));
  });
  return app;
}
