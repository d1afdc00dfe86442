/**
 * Request body reading with a hard size cap, and JSON parsing with clear errors. The cap is
 * checked against Content-Length up front and enforced while reading, so a lying or chunked
 * client cannot make us buffer more than the limit.
 */
import type { Context } from 'hono';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.ts';

const EMPTY = new Uint8Array(0);
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** 413 before reading anything when the declared Content-Length is already over the limit. */
export function checkDeclaredLength(declared: string | undefined, limit: number): void {
  if (declared !== undefined && Number(declared) > limit) {
    throw new PayloadTooLargeError(`body is ${declared} bytes; the limit is ${limit} bytes`);
  }
}

export async function readBodyBytes(c: Context, limit: number): Promise<Uint8Array> {
  const declared = c.req.header('content-length');
  checkDeclaredLength(declared, limit);
  // On @hono/node-server, read the Node request stream directly: materialising the web Request
  // body (a WHATWG ReadableStream) costs more than the rest of an upload's handling.
  const incoming = (c.env as { incoming?: NodeJS.ReadableStream } | undefined)?.incoming;
  // (Touching c.req.raw here would build the full web Request we are avoiding.)
  if (incoming && typeof (incoming as { on?: unknown }).on === 'function') {
    // HTTP/1.1: a request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112
    // §6.3) — every device GET. Nothing to wait for.
    if (declared === undefined ? c.req.header('transfer-encoding') === undefined : Number(declared) === 0) return EMPTY;
    return readNodeStream(incoming, limit);
  }
  const stream = c.req.raw.body;
  if (!stream) return EMPTY;
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLargeError(`body exceeds the limit of ${limit} bytes`);
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/**
 * An application/x-www-form-urlencoded body (the console's forms), read with the cap (413 past
 * it, however the body is sent: Hono's parseBody reads a chunked body whole); another content
 * type gives no fields.
 */
export async function readFormFields(c: Context, limit: number): Promise<Record<string, string>> {
  const bytes = await readBodyBytes(c, limit);
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')) return {};
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))) fields[name] = value;
  return fields;
}

/**
 * Collects a Node request stream with plain listeners (an async iterator over it cost several
 * times more per request). Past the limit it stops collecting and rejects; the rest of the body
 * is discarded by node:http when the 413 is sent, so the connection stays usable.
 */
export function readNodeStream(incoming: NodeJS.ReadableStream, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > limit) {
        cleanup();
        incoming.resume(); // keep draining into nothing
        reject(new PayloadTooLargeError(`body exceeds the limit of ${limit} bytes`));
        return;
      }
      parts.push(buf);
    };
    const onEnd = () => {
      cleanup();
      const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      resolve(new Uint8Array(all.buffer, all.byteOffset, all.length));
    };
    const onError = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('request closed before its body was complete'));
    };
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onError);
    incoming.once('close', onClose);
  });
}

export function parseJson(bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw new ValidationError('request body is empty; send a JSON object', 'invalid_json');
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    throw new ValidationError('request body is not valid UTF-8', 'invalid_json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`request body is not valid JSON: ${(err as Error).message}`, 'invalid_json');
  }
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) {
    throw new ValidationError(`request body is nested deeper than ${MAX_JSON_DEPTH} levels`, 'invalid_json');
  }
  return value;
}

/**
 * Deepest nesting of arrays and objects a request body may have. JSON.parse itself is iterative,
 * but storing a value (JSON.stringify) and many walks over it recurse: a 40 KB body of 20,000
 * nested arrays overflowed the stack there (a 500). Real bodies are a few levels deep.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests arrays/objects deeper than `max` (iterative: never overflows itself). */
export function jsonDepthExceeds(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** Device routes: JSON or no content type; anything else is 415. */
export function requireJsonContentType(c: Context): void {
  checkJsonContentType(c.req.header('content-type'));
}

/** requireJsonContentType on the header's value, for transports without a Hono context. */
export function checkJsonContentType(type: string | undefined): void {
  if (type === undefined || type === '') return;
  if (!/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type.trim())) {
    throw new UnsupportedMediaTypeError(`content-type must be application/json, got ${type}`);
  }
}

/**
 * Body limits of the admin routes, fixed: BODY_LIMIT_BYTES bounds the device routes only (it is
 * sized for what a device sends; registering devices in bulk or commanding a listed fleet is
 * larger by nature). server/README.md (Conventions, Bodies) lists these.
 */
export const ADMIN_BODY_LIMITS = {
  /** Every admin JSON body not named below. */
  default: 256 * 1024,
  /** POST /devices/bulk: up to 10,000 devices at once. */
  bulkDevices: 4 * 1024 * 1024,
  /** POST /commands: a target listing up to 10,000 device ids. */
  commandFanOut: 1024 * 1024,
  /** POST /ota/images/:version/publish and /yank: two flags, or a reason. */
  release: 4096,
  /** POST /devices/:device_id/rotate-key: one flag. */
  rotateKey: 1024,
} as const;

/**
 * Admin routes: the body is parsed as JSON whatever the content type says, so
 * `curl -d '{"device_id":"x"}'` (which sends application/x-www-form-urlencoded) just works.
 */
export async function readAdminJson(c: Context, limit: number = ADMIN_BODY_LIMITS.default, options: { emptyAs?: unknown } = {}): Promise<unknown> {
  const bytes = await readBodyBytes(c, limit);
  if (bytes.length === 0 && 'emptyAs' in options) return options.emptyAs;
  return parseJson(bytes);
}
