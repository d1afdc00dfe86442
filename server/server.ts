/**
 * Serving a gateway on a real socket with @hono/node-server, with graceful shutdown: stop
 * accepting, let in-flight requests finish, then flush and close the store — each step bounded,
 * since a database behind a network partition would otherwise keep a stopping process forever.
 */
import { getRequestListener, type ServerType } from '@hono/node-server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from './app.ts';
import { StartupError } from './errors.ts';

export interface ShutdownLimits {
  /** How long requests in flight may take; then their connections are closed. */
  drainMs: number;
  /** Then how long the store may take to close. */
  closeMs: number;
}

/** What a stop achieved: `drained` false = connections were cut; `closed` false = the store did not close in time (or failed: `error`). */
export interface ShutdownOutcome {
  drained: boolean;
  closed: boolean;
  error?: unknown;
}

export interface RunningServer {
  port: number;
  url: string;
  server: ServerType;
  stop(limits?: ShutdownLimits): Promise<ShutdownOutcome>;
}

const DEFAULT_LIMITS: ShutdownLimits = { drainMs: 5000, closeMs: 10_000 };

/** `work`'s outcome, or 'late' once `ms` have passed (the work itself goes on, unobserved). */
async function within(ms: number, work: Promise<void>): Promise<'done' | 'late' | { error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([work.then(() => 'done' as const, (error: unknown) => ({ error })), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function listen(gateway: Gateway, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    // What @hono/node-server's serve() does, with one step in front: requests the upload fast path
    // takes never reach Hono (see server/http/upload-fast-path.ts); everything else is served as usual.
    const hono = getRequestListener(gateway.app.fetch, { hostname: host });
    const fast = gateway.fastPath;
    const server = createServer(fast ? (req, res) => void (fast(req, res) || hono(req, res)) : hono);
    server.listen(port, host, () => {
      const info = server.address() as AddressInfo;
      const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({
        port: info.port,
        url: `http://${shownHost}:${info.port}`,
        server,
        stop: async (limits = DEFAULT_LIMITS) => {
          let drained = true;
          await new Promise<void>((done) => {
            const force = setTimeout(() => {
              drained = false;
              server.closeAllConnections();
            }, limits.drainMs);
            server.close(() => {
              clearTimeout(force);
              done();
            });
            server.closeIdleConnections();
          });
          const closing = await within(limits.closeMs, gateway.close());
          if (closing === 'done') return { drained, closed: true };
          return closing === 'late' ? { drained, closed: false } : { drained, closed: false, error: closing.error };
        },
      });
    });
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, host, port)));
  });
}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'the port is in use by another process (set PORT, or --port)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'not an address of this machine (set HOST)',
  ENOTFOUND: 'no such host (HOST must be an address or a name of this machine)',
  EAI_AGAIN: 'the host name could not be resolved now (HOST)',
};

/** Why the gateway cannot listen, naming the address: one line at start (exit 2). */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): StartupError {
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new StartupError(`cannot listen on ${where}: ${LISTEN_PROBLEMS[err.code ?? ''] ?? err.code ?? err.message}`);
}
