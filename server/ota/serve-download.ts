/**
 * `GET|HEAD /ota/firmware/:version`: the encrypted image as application/octet-stream with a strong
 * ETag (the signed chunk root, image-cache.ts), `Accept-Ranges: bytes`, single byte ranges (206 +
 * Content-Range), If-Range, If-None-Match (304), and 416 with the unsatisfied-range form of
 * Content-Range (range.ts has the RFC 9110 decisions). Bytes come from the shared image buffer or a file
 * stream, never a per-request copy. Who may download (downloadAuth): an admin bearer token, a
 * signed device request — whose answer is signed over "<ETag> <Content-Range|Content-Length>"
 * instead of its body (server/http/device-request.ts `streamed`, SPEC.md §10) — or anyone when
 * OTA_PUBLIC_DOWNLOADS is on (images are encrypted and signed, so this is a bandwidth decision).
 */
import type { Handler, MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { ConflictError, RangeNotSatisfiableError } from '../errors.ts';
import { deviceRequestAuth } from '../http/device-request.ts';
import { HEADER_DEVICE_ID } from '../protocol/device-request.ts';
import { imageFileName } from './manifest.ts';
import { contentRange, selectRange, unsatisfiedContentRange, type RangeDecision } from './range.ts';
import type { OtaService } from './service.ts';

/** Device signature, else admin token, else (OTA_PUBLIC_DOWNLOADS) anonymous. */
export function downloadAuth(ctx: AppContext): MiddlewareHandler<AppEnv> {
  const device = deviceRequestAuth(ctx, { streamed: true });
  return async function authorizeDownload(c, next) {
    if (c.req.header(HEADER_DEVICE_ID) !== undefined) return device(c, next);
    if (c.req.header('authorization') !== undefined || !ctx.config.OTA_PUBLIC_DOWNLOADS) return ctx.requireAdmin(c, next);
    c.set('actor', 'public');
    await next();
  };
}

export function downloadHandler(ctx: AppContext, ota: OtaService): Handler<AppEnv> {
  return async function serveFirmware(c) {
    const version = c.req.param('version') ?? '';
    const image = (await ota.catalog.fresh()).requireImage(version);
    const retransmission = c.get('retransmission');
    // Drafts to admins only, yanked builds to nobody but admins, the rest as offers.ts assigns them.
    // A retransmission gets the stored extent again, whatever happened since (it changes nothing).
    if (!retransmission) await ota.admitDownload(c.get('device'), c.get('actor'), image);
    const source = await ota.cache.open(image);
    const size = image.size;
    const headers: Record<string, string> = {
      ETag: source.etag,
      'Accept-Ranges': 'bytes',
      // Answers to devices are bound to their nonce; caches must revalidate with the ETag.
      'Cache-Control': 'no-cache',
      'Content-Disposition': `attachment; filename="${imageFileName(image.version)}"`,
    };
    if (retransmission && retransmission.headers?.etag !== source.etag) {
      throw new ConflictError(`firmware ${version} changed since this request was first answered; send a new request`, 'image_changed');
    }
    // A retransmission (same nonce) is served the extent the original got, whatever Range header
    // it carries now: the Range header is not covered by the request signature.
    const decision = retransmission
      ? storedDecision(retransmission.headers?.['content-range'], size)
      : selectRange(
          { range: c.req.header('range'), ifRange: c.req.header('if-range'), ifNoneMatch: c.req.header('if-none-match') },
          size,
          source.etag,
        );
    if (decision.kind === 'not_modified') return c.body(null, 304, headers);
    if (decision.kind === 'unsatisfiable') {
      // Set before throwing: the error handler's JSON answer keeps prepared headers.
      c.header('Accept-Ranges', 'bytes');
      c.header('Content-Range', unsatisfiedContentRange(size));
      throw new RangeNotSatisfiableError(`range ${c.req.header('range')} is outside the image (${size} bytes)`);
    }
    const { start, end } = decision.kind === 'partial' ? decision.range : { start: 0, end: size - 1 };
    const status = decision.kind === 'partial' ? 206 : 200;
    const length = end - start + 1;
    headers['Content-Type'] = 'application/octet-stream';
    headers['Content-Length'] = String(length);
    if (status === 206) headers['Content-Range'] = contentRange({ start, end }, size);
    // HEAD is dispatched to this GET handler; opening a file stream nobody reads would leak it.
    if (c.req.method === 'HEAD') return c.body(null, status, headers);

    let body = ota.cache.body(source, start, end);
    if (retransmission) return c.body(body as Uint8Array<ArrayBuffer> | ReadableStream, status, headers); // no side effect again
    const device = c.get('device');
    if (device && ctx.faults.take(device.device_id, 'ota_hash_mismatch', c.req.path)) {
      // Test fleets only: one corrupted answer; the device's chunk-hash check must catch it.
      body = ctx.faults.corrupt(await ota.cache.copy(source, start, end));
    }
    ota.state.recordDownload(image.version, length);
    return c.body(body as Uint8Array<ArrayBuffer> | ReadableStream, status, headers);
  };
}

/** The range a stored streamed answer covered: its Content-Range ("bytes s-e/size"), else the whole image. */
function storedDecision(contentRange: string | undefined, size: number): RangeDecision {
  const m = contentRange === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange);
  if (!m) return { kind: 'full' };
  return { kind: 'partial', range: { start: Number(m[1]), end: Math.min(Number(m[2]), size - 1) } };
}
