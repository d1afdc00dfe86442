/**
 * A man in the middle for plain-HTTP tests, the attacker of the threat model: forwards each
 * request to the target as it came (method, path, headers, body) and the answer back as it came
 * (status, headers, body), logs both, and lets the test act first — answer with forged bytes
 * instead of forwarding, or do something (e.g. an admin call) before the request goes on.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path with query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ForgedAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  status: number;
  forged: boolean;
  /** The answer's X-Signature ("" when none). */
  signature: string;
}

/** Forge an answer (return it), or let the request through (return undefined), after any await. */
export type Interceptor = (req: ProxiedRequest) => Promise<ForgedAnswer | undefined> | ForgedAnswer | undefined;

export interface HttpProxy {
  url: string;
  log: ProxyLogEntry[];
  intercept: Interceptor | undefined;
  close(): Promise<void>;
}

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
};

/** Headers that describe one hop's framing, not the message: the proxy frames anew. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

function forward(target: URL, req: ProxiedRequest): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k) && k !== 'host') headers[k] = v;
    headers['content-length'] = String(req.body.length);
    const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.path, headers }, (res) => {
      readAll(res).then((body) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body }), reject);
    });
    out.on('error', reject);
    out.end(req.body);
  });
}

function reply(res: ServerResponse, status: number, headers: IncomingHttpHeaders | Record<string, string>, body: Buffer): void {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP.has(k.toLowerCase())) out[k] = v;
  out['content-length'] = String(body.length);
  out.connection = 'close';
  res.writeHead(status, out);
  res.end(body);
}

export async function startProxy(targetUrl: string): Promise<HttpProxy> {
  const target = new URL(targetUrl);
  const proxy: HttpProxy = { url: '', log: [], intercept: undefined, close: async () => {} };
  const server = createServer((inc, res) => {
    void (async () => {
      const req: ProxiedRequest = { method: inc.method ?? 'GET', path: inc.url ?? '/', headers: inc.headers, body: await readAll(inc) };
      const forged = await proxy.intercept?.(req);
      if (forged) {
        const headers: Record<string, string> = { 'content-type': 'application/json', ...forged.headers };
        proxy.log.push({ method: req.method, path: req.path, status: forged.status, forged: true, signature: headers['x-signature'] ?? '' });
        reply(res, forged.status, headers, Buffer.from(forged.body));
        return;
      }
      const answer = await forward(target, req);
      const signature = answer.headers['x-signature'];
      proxy.log.push({ method: req.method, path: req.path, status: answer.status, forged: false, signature: typeof signature === 'string' ? signature : '' });
      reply(res, answer.status, answer.headers, answer.body);
    })().catch((err: unknown) => {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
