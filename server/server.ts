/**
 * Serving a gateway on a real socket with @hono/node-server, with graceful shutdown: stop
 * accepting, let in-flight requests finish (bounded), then flush and close the store.
 */
import { serve, type ServerType } from '@hono/node-server';
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
    const server = serve({ fetch: gateway.app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({
        port: info.port,
        url: `http://${shownHost}:${info.port}`,
        server,
        stop: () =>
          new Promise<void>((done) => {
            const force = setTimeout(() => (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.(), 5000);
            server.close(() => {
              clearTimeout(force);
              void gateway.close().then(done, done);
            });
            (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}
