/**
 * multipart/form-data (RFC 7578, the framing of RFC 2046 §5.1) read as a stream and written as
 * one: the firmware upload (`PUT /ota/images/:version`) carries a manifest, a hash table and an
 * encrypted image of up to 16 MiB, and neither the gateway nor the CLI ever holds the image whole.
 * The reader yields parts in order; a part's body is an async iterable of pieces that must be
 * consumed (or skipped with `drain`) before the next part is asked for. Part headers are bounded
 * (MAX_HEADER_BYTES); `readPart` collects a small part with a byte limit. The writer (CLI, tests)
 * produces the same framing with a known total length, so the request carries Content-Length.
 */
import { randomBytes } from 'node:crypto';
import { PayloadTooLargeError, ValidationError } from '../errors.ts';

const CRLF = Buffer.from('\r\n');
const MAX_HEADER_BYTES = 8 * 1024;

export interface Part {
  /** The `name` of its Content-Disposition. */
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
  body: AsyncIterable<Buffer>;
}

/** The boundary of a multipart/form-data Content-Type, or a 415-worthy undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType.trim())) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/** Pulls bytes from a stream with look-ahead, one delimiter search at a time. */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array>;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>, prefix: Buffer) {
    this.it = source[Symbol.asyncIterator]();
    this.buf = prefix;
  }

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const { value, done } = await this.it.next();
    if (done) {
      this.ended = true;
      return false;
    }
    this.buf = this.buf.length === 0 ? Buffer.from(value) : Buffer.concat([this.buf, value]);
    return true;
  }

  /** Pieces up to (not including) `delim`, which is consumed; an end before it is a 400. */
  async *until(delim: Buffer, what: string): AsyncGenerator<Buffer> {
    for (;;) {
      const at = this.buf.indexOf(delim);
      if (at >= 0) {
        if (at > 0) yield this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at + delim.length);
        return;
      }
      // Keep what could be the start of the delimiter; hand on the rest.
      const keep = Math.min(this.buf.length, delim.length - 1);
      if (this.buf.length > keep) {
        const piece = this.buf.subarray(0, this.buf.length - keep);
        this.buf = this.buf.subarray(this.buf.length - keep);
        yield piece;
      }
      if (!(await this.more())) throw new ValidationError(`multipart body ends inside ${what}`, 'invalid_multipart');
    }
  }

  /** Exactly n bytes (the end of the stream before them is a 400). */
  async take(n: number, what: string): Promise<Buffer> {
    while (this.buf.length < n) if (!(await this.more())) throw new ValidationError(`multipart body ends inside ${what}`, 'invalid_multipart');
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

/** Collects pieces up to `limit` bytes (413 past it). */
export async function collect(pieces: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const p of pieces) {
    size += p.length;
    if (size > limit) throw new PayloadTooLargeError(`${what} is larger than ${limit} bytes`);
    parts.push(Buffer.from(p));
  }
  return Buffer.concat(parts, size);
}

function parseHeaders(text: string): { name: string; filename: string | undefined; contentType: string | undefined } {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') disposition = value;
    else if (key === 'content-type') contentType = value;
  }
  const name = disposition && /^form-data\b/i.test(disposition) ? /;\s*name="([^"]*)"/i.exec(disposition)?.[1] : undefined;
  if (name === undefined) throw new ValidationError('a multipart part has no Content-Disposition: form-data; name="…"', 'invalid_multipart');
  return { name, filename: /;\s*filename="([^"]*)"/i.exec(disposition!)?.[1], contentType };
}

/**
 * The parts of a multipart/form-data body, in order. Each part's body must be consumed before the
 * next part is asked for (the generator checks).
 */
export async function* readMultipart(body: AsyncIterable<Uint8Array>, boundary: string): AsyncGenerator<Part> {
  // A leading CRLF makes the first delimiter look like every other one: CRLF "--" boundary.
  const reader = new Reader(body, Buffer.from(CRLF));
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  for await (const _preamble of reader.until(delimiter, 'the preamble'));
  for (;;) {
    const after = await reader.take(2, 'a delimiter');
    if (after.toString('latin1') === '--') return; // the close delimiter; an epilogue is ignored
    // Transport padding (RFC 2046: optional whitespace) before the CRLF that starts the headers.
    let pad = after;
    while (!pad.subarray(-2).equals(CRLF)) {
      if (pad.length > 64 || !/^[ \t]*\r?$/.test(pad.toString('latin1'))) throw new ValidationError('malformed multipart delimiter', 'invalid_multipart');
      pad = Buffer.concat([pad, await reader.take(1, 'a delimiter')]);
    }
    const headerText = (await collect(reader.until(Buffer.from('\r\n\r\n'), 'part headers'), MAX_HEADER_BYTES, 'a part header block')).toString('utf8');
    let consumed = false;
    const content = reader.until(delimiter, 'a part');
    const tracked = (async function* () {
      try {
        yield* content;
      } finally {
        consumed = true;
      }
    })();
    yield { ...parseHeaders(headerText), body: tracked };
    if (!consumed) throw new Error('readMultipart: a part was not consumed before the next was asked for');
  }
}

/** Reads and drops a part's body. */
export async function drain(part: Part): Promise<void> {
  for await (const _piece of part.body);
}

export interface PartSource {
  name: string;
  filename?: string;
  contentType?: string;
  /** Its bytes and their exact length (a file stream and its size, or a buffer). */
  length: number;
  body: AsyncIterable<Uint8Array> | Uint8Array;
}

/** A multipart/form-data body: its Content-Type, its exact length, and its bytes as a stream. */
export function writeMultipart(parts: readonly PartSource[], boundary = `fleetgate-${randomBytes(12).toString('hex')}`) {
  const heads = parts.map((p, i) =>
    Buffer.from(
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename.replace(/["\r\n]/g, '_')}"` : ''}\r\n` +
        `Content-Type: ${p.contentType ?? 'application/octet-stream'}\r\n\r\n`,
    ),
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = heads.reduce((n, h, i) => n + h.length + parts[i]!.length, tail.length);
  async function* bytes(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < parts.length; i++) {
      yield heads[i]!;
      const body = parts[i]!.body;
      if (body instanceof Uint8Array) yield body;
      else yield* body;
    }
    yield tail;
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, length, bytes };
}
