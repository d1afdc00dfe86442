/**
 * Middleware for signed device requests (see server/protocol/device-request.ts for the format).
 *
 * Order matters: parse headers → read the body (capped) → check the signature → claim the nonce →
 * run the route → sign the response with the request's nonce → make the nonce and the reply
 * durable → answer. An exact retransmission of the last request gets the stored reply again, byte
 * for byte, and the route is not run: a retransmission may only ever get back the stored answer of
 * the original request, never new state and never a second side effect (an attacker on plain HTTP
 * replays whatever it recorded). A 5xx gives the nonce back, so the device can retry with it.
 *
 * `streamed: true` (firmware downloads) changes one thing: a 200/206 answer carrying an ETag is
 * not buffered — hundreds of devices × a 16 MiB image must not be held in memory to sign it — and
 * its X-Signature covers a compact binding instead of the body (`streamBinding`: "<ETag>
 * <Content-Range, else Content-Length>"; server/ota/SPEC.md §10). What is stored for it is that
 * binding and the headers; a retransmission is served the same bytes again (the image under that
 * ETag never changes) by the route in retransmission mode (`c.get('retransmission')`), which
 * skips every side effect. The nonce is made durable before the body is sent.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bytesToHex, hmacSha256, macHexEquals, nonceBytes } from '../crypto/hmac.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { GatewayError, ReplayError, ValidationError } from '../errors.ts';
import {
  HEADER_DEVICE_ID,
  HEADER_NONCE,
  HEADER_SIGNATURE,
  requestSignature,
  responseSignature,
} from '../protocol/device-request.ts';
import type { Claim, StoredReply } from '../store/index.ts';
import { readBodyBytes } from './body.ts';
import { signedError } from './signed-reply.ts';
import { isValidDeviceId } from '../devices/ids.ts';
import { requestSource } from './source-address.ts';

/** The request target exactly as the device sent it (what it signed), query string included. */
export function pathWithQuery(c: Context): string {
  const incoming = (c.env as { incoming?: { url?: string } } | undefined)?.incoming;
  if (incoming?.url && incoming.url.startsWith('/')) return incoming.url;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

export interface DeviceRequestOptions {
  bodyLimit?: number;
  /** Sign 200/206 answers with an ETag over `streamBinding` instead of buffering the body. */
  streamed?: boolean;
}

/**
 * What X-Signature covers for a streamed binary answer: "<ETag> <Content-Range>" for a 206,
 * "<ETag> <Content-Length>" for a 200; undefined when the answer is not such a reply.
 */
export function streamBinding(status: number, headers: Headers): string | undefined {
  if (status !== 200 && status !== 206) return undefined;
  const etag = headers.get('etag');
  const extent = status === 206 ? headers.get('content-range') : headers.get('content-length');
  return etag && extent ? `${etag} ${extent}` : undefined;
}

/** HMAC-SHA256(key, nonce 4 bytes BE ‖ binding as ASCII), the streamed answer's X-Signature. */
export function streamSignature(key: Uint8Array, nonce: number, binding: string): Uint8Array {
  return hmacSha256(key, nonceBytes(nonce), binding);
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
      source: requestSource(c, ctx.config.TRUST_PROXY),
    };
    const { device, key } = await ctx.auth.identify(msg);
    let claim;
    try {
      claim = await ctx.auth.claimNonce(msg);
    } catch (err) {
      // The device is identified, so even a replay rejection is signed for it.
      if (err instanceof GatewayError) return signedError(key, nonce, err);
      throw err;
    }

    if (claim.outcome === 'duplicate') {
      ctx.securityStats.record('duplicate', deviceId, true);
      if (!claim.reply) {
        // Committed without a reply to repeat (by a version that recomputed pure reads): running
        // the route again could hand out new state, so the device is told to move on.
        return signedError(key, nonce, new ReplayError(`nonce ${nonce} was already used`, { last_nonce: nonce }));
      }
      if (!claim.reply.streamed) return replay(claim.reply);
    }

    c.set('device', device);
    c.set('deviceKey', key);
    c.set('nonce', nonce);
    c.set('rawBody', body);
    // A streamed answer's retransmission: the route serves the stored ETag and range again, and
    // signing it again gives the stored signature (the binding is the same).
    c.set('retransmission', claim.outcome === 'duplicate' ? claim.reply : undefined);

    try {
      await next();
    } catch (err) {
      // Errors are normally turned into responses by onError before we get here; this is a backstop.
      if (claim.outcome === 'fresh') claim.abort();
      throw err;
    }

    try {
      await signAndCommit(c, claim);
    } catch (err) {
      // A claim must never stay pending: later messages of the device (and a nonce reset) wait on it.
      if (claim.outcome === 'fresh') claim.abort();
      throw err;
    }
  };

  async function signAndCommit(c: Context<AppEnv>, claim: Exclude<Claim, { outcome: 'replay' }>): Promise<void> {
    const deviceId = c.get('device').device_id;
    const key = c.get('deviceKey');
    const nonce = c.get('nonce');
    const res = c.res;
    if (res.status >= 500) {
      if (claim.outcome === 'fresh') claim.abort();
      return;
    }
    const binding = options.streamed ? streamBinding(res.status, res.headers) : undefined;
    if (binding !== undefined) {
      // Set on the live headers: re-creating the Response would turn a shared buffer into a stream.
      const signature = bytesToHex(streamSignature(key, nonce, binding));
      res.headers.set(HEADER_SIGNATURE, signature);
      if (claim.outcome === 'fresh') {
        await claim.commit(streamedReply(res, signature));
        ctx.securityStats.record('accepted', deviceId, true);
      }
      return;
    }
    // Fast path: sign the body @hono/node-server's lightweight Response already holds and add the
    // header to the headers it holds. Reading it back with arrayBuffer() and building a new
    // Response turned every answer into an undici stream: ~40% of a poll's CPU in the benchmark.
    const fast = heldReply(res);
    const bytes = fast?.bytes ?? new Uint8Array(await res.arrayBuffer());
    const rebuilt = fast ? undefined : new Headers(res.headers);
    const headers: HeaderAccess = fast?.headers ?? rebuilt!;
    headers.set(HEADER_SIGNATURE, bytesToHex(responseSignature(key, nonce, bytes)));
    if (claim.outcome === 'fresh') {
      await claim.commit({ status: res.status, body: Buffer.from(bytes).toString('base64'), headers: pickHeaders(headers) });
      ctx.securityStats.record('accepted', deviceId, true);
    }
    if (rebuilt) c.res = new Response(bytes, { status: res.status, headers: rebuilt });
  }
}

/** Just what signing needs of a set of headers; both undici Headers and PlainHeaders have it. */
interface HeaderAccess {
  get(name: string): string | null;
  set(name: string, value: string): void;
}

/**
 * Case-insensitive access to the plain header record @hono/node-server keeps for a Response that
 * was built with one (what c.json() does). Wrapping it in undici Headers — which `res.headers`
 * does — cost more than the rest of the signing.
 */
class PlainHeaders implements HeaderAccess {
  constructor(private readonly record: Record<string, string>) {}
  get(name: string): string | null {
    const lower = name.toLowerCase();
    for (const key in this.record) if (key.toLowerCase() === lower) return this.record[key] ?? null;
    return null;
  }
  set(name: string, value: string): void {
    const lower = name.toLowerCase();
    for (const key in this.record) if (key.toLowerCase() === lower) delete this.record[key];
    this.record[name] = value;
  }
}

let cacheSymbol: symbol | undefined;

/**
 * The body and headers of a not-yet-materialised @hono/node-server Response (kept under its
 * private "cache" symbol as [status, body, headers]), or undefined — then the caller falls back
 * to reading the Response. Headers we add here are the ones node-server writes.
 */
function heldReply(res: Response): { bytes: Uint8Array; headers: HeaderAccess } | undefined {
  cacheSymbol ??= Object.getOwnPropertySymbols(res).find((s) => s.description === 'cache');
  const cache = cacheSymbol ? (res as unknown as Record<symbol, unknown>)[cacheSymbol] : undefined;
  if (!Array.isArray(cache)) return undefined;
  const body: unknown = cache[1];
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body instanceof Uint8Array ? body : undefined;
  if (!bytes) return undefined;
  const held: unknown = cache[2];
  if (held instanceof Headers) return { bytes, headers: held };
  if (held !== null && typeof held === 'object' && !Array.isArray(held)) return { bytes, headers: new PlainHeaders(held as Record<string, string>) };
  return { bytes, headers: res.headers }; // none held (or an entries list): let node-server build them
}

const KEPT_HEADERS = ['content-type', HEADER_SIGNATURE.toLowerCase()];

function pickHeaders(headers: HeaderAccess): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const v = headers.get(name);
    if (v !== null) out[name] = v;
  }
  return out;
}

/** What a streamed answer's retransmission needs: its status and the headers naming ETag and extent. */
function streamedReply(res: Response, signature: string): StoredReply {
  const headers: Record<string, string> = { [HEADER_SIGNATURE.toLowerCase()]: signature };
  for (const name of ['etag', 'content-range', 'content-length']) {
    const v = res.headers.get(name);
    if (v !== null) headers[name] = v;
  }
  return { status: res.status, body: '', headers, streamed: true };
}

function replay(reply: StoredReply): Response {
  return new Response(Buffer.from(reply.body, 'base64'), { status: reply.status, headers: reply.headers ?? {} });
}
