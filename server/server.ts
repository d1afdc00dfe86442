/**
 * Serving a gateway on a real socket with @hono/node-server, with graceful shutdown: stop
 * accepting, let in-flight requests finish (bounded), then flush and close the store.
 */
import { getRequestListener, type ServerType } from '@hono/node-server';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from './app.ts';

export interface RunningServer {
  port: number;
  url: string;
  server: ServerType;
  stop(): Promise<void>;
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
        stop: () =>
          new Promise<void>((done) => {
            const force = setTimeout(() => server.closeAllConnections(), 5000);
            server.close(() => {
              clearTimeout(force);
              void gateway.close().then(done, done);
            });
            server.closeIdleConnections();
          }),
      });
    });
    server.once('error', reject);
  });
}
