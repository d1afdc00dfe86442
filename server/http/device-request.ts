/**
 * Middleware for signed device requests (see server/protocol/device-request.ts for the format).
 *
 * Order matters: parse headers → read the body (capped) → check the signature → claim the nonce →
 * run the route → sign the response with the request's nonce → make the nonce (and the reply)
 * durable → answer. An exact retransmission of the last request gets the stored reply again, byte
 * for byte, instead of a second effect; routes that are pure reads mark themselves `idempotent`
 * and are simply run again. A 5xx gives the nonce back, so the device can retry with it.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bytesToHex, macHexEquals } from '../crypto/hmac.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { ValidationError } from '../errors.ts';
import {
  HEADER_DEVICE_ID,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  requestSignature,
  responseSignature,
} from '../protocol/device-request.ts';
import type { StoredReply } from '../store/index.ts';
import { readBodyBytes } from './body.ts';
import { isValidDeviceId } from '../devices/ids.ts';

/** The request target exactly as the device sent it (what it signed), query string included. */
export function pathWithQuery(c: Context): string {
  const incoming = (c.env as { incoming?: { url?: string } } | undefined)?.incoming;
  if (incoming?.url && incoming.url.startsWith('/')) return incoming.url;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

export interface DeviceRequestOptions {
  bodyLimit?: number;
}

export function deviceRequestAuth(ctx: AppContext, options: DeviceRequestOptions = {}): MiddlewareHandler<AppEnv> {
  const bodyLimit = options.bodyLimit ?? ctx.config.BODY_LIMIT_BYTES;
  return async function authenticateDevice(c, next) {
    const deviceId = c.req.header(HEADER_DEVICE_ID);
    const nonceText = c.req.header(HEADER_NONCE);
    const signature = c.req.header(HEADER_SIGNATURE)?.trim().toLowerCase();
    if (!deviceId || !nonceText || !signature) {
      throw new ValidationError(
        `signed device request needs ${HEADER_DEVICE_ID}, ${HEADER_NONCE} and ${HEADER_SIGNATURE} headers`,
        'missing_signature_headers',
      );
    }
    if (!isValidDeviceId(deviceId)) throw new ValidationError(`${HEADER_DEVICE_ID} is not a valid device id`, 'invalid_device_id');
    if (!/^\d{1,10}$/.test(nonceText) || Number(nonceText) > 0xffffffff) {
      throw new ValidationError(`${HEADER_NONCE} must be a decimal unsigned 32-bit integer`, 'invalid_nonce');
    }
    const pathDevice = c.req.param('device_id');
    if (pathDevice !== undefined && pathDevice !== deviceId) {
      throw new ValidationError(`path device ${pathDevice} does not match ${HEADER_DEVICE_ID} ${deviceId}`, 'device_mismatch');
    }
    const nonce = Number(nonceText);
    const body = await readBodyBytes(c, bodyLimit);
    const target = pathWithQuery(c);
    const msg = {
      deviceId,
      nonce,
      mac: signature,
      verify: (key: Uint8Array) => macHexEquals(signature, requestSignature(key, nonce, c.req.method, target, body)),
    };
    const { device, key } = await ctx.auth.identify(msg);
    const claim = await ctx.auth.claimNonce(msg);

    if (claim.outcome === 'duplicate' && claim.reply) {
      ctx.securityStats.record('duplicate', deviceId, true);
      return replay(claim.reply);
    }

    c.set('device', device);
    c.set('deviceKey', key);
    c.set('nonce', nonce);
    c.set('rawBody', body);
    c.set('idempotent', false);

    try {
      await next();
    } catch (err) {
      // Errors are normally turned into responses by onError before we get here; this is a backstop.
      if (claim.outcome === 'fresh') claim.abort();
      throw err;
    }

    const res = c.res;
    if (res.status >= 500) {
      if (claim.outcome === 'fresh') claim.abort();
      return;
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const headers = new Headers(res.headers);
    headers.set(HEADER_SIGNATURE, bytesToHex(responseSignature(key, nonce, bytes)));
    if (claim.outcome === 'fresh') {
      const stored: StoredReply | undefined = c.get('idempotent')
        ? undefined
        : { status: res.status, body: Buffer.from(bytes).toString('base64'), headers: pickHeaders(headers) };
      await claim.commit(stored);
      ctx.securityStats.record('accepted', deviceId, true);
    } else {
      ctx.securityStats.record('duplicate', deviceId, true);
    }
    c.res = new Response(bytes, { status: res.status, headers });
  };
}

const KEPT_HEADERS = ['content-type', HEADER_SIGNATURE.toLowerCase()];

function pickHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const v = headers.get(name);
    if (v !== null) out[name] = v;
  }
  return out;
}

function replay(reply: StoredReply): Response {
  return new Response(Buffer.from(reply.body, 'base64'), { status: reply.status, headers: reply.headers ?? {} });
}
