/**
 * One HTTP(S) request with node:http, for the admin client. Not `fetch`: its first call loads
 * undici (~10 ms more of every command's start-up on this machine), and a CLI makes a handful of
 * requests. No keep-alive agent: an idle pooled socket would hold the process open after the last
 * answer.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

/** A body sent as it is read (a firmware image): its exact length and its bytes. */
export interface StreamedBody {
  length: number;
  bytes: () => AsyncIterable<Uint8Array>;
}

export async function httpRequest(
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: string | StreamedBody; timeoutMs: number },
): Promise<HttpAnswer> {
  const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: options.method, headers: options.headers, agent: false, timeout: options.timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', (err) => reject(new HttpFailure(err.message, (err as NodeJS.ErrnoException).code ?? err.message)));
    });
    req.on('timeout', () => req.destroy(new HttpFailure('timeout', `no answer within ${options.timeoutMs / 1000} s`)));
    req.on('error', (err) => reject(err instanceof HttpFailure ? err : new HttpFailure(err.message, (err as NodeJS.ErrnoException).code ?? err.message)));
    const body = options.body;
    if (body === undefined || typeof body === 'string') return void req.end(body);
    req.setHeader('content-length', String(body.length));
    void (async () => {
      // Written as read, waiting for the socket to drain: never the whole image in memory.
      for await (const piece of body.bytes()) {
        if (!req.write(piece)) await new Promise<void>((ok) => req.once('drain', ok));
      }
      req.end();
    })().catch((err: unknown) => req.destroy(err as Error));
  });
}
