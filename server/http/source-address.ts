/**
 * The address a request came from, for the failed-authentication limits: the socket's peer, or
 * with TRUST_PROXY the last X-Forwarded-For entry (the one our own proxy appended; earlier ones
 * are whatever the client claimed). In-process requests (tests' `app.request`) have no socket.
 */
import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';

export function sourceAddress(req: Pick<IncomingMessage, 'headers' | 'socket'> | undefined, trustProxy: boolean): string {
  if (!req) return 'local';
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const list = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    const last = list[list.length - 1]?.trim();
    if (last) return last;
  }
  return req.socket?.remoteAddress ?? 'unknown';
}

/** sourceAddress for a Hono request served by @hono/node-server. */
export function requestSource(c: Context, trustProxy: boolean): string {
  return sourceAddress((c.env as { incoming?: IncomingMessage } | undefined)?.incoming, trustProxy);
}
