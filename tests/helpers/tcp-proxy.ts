/**
 * A TCP proxy in front of a server (the test's PostgreSQL), for database outages on demand:
 * `down()` is a database that went away (every connection reset, new ones refused), `freeze()` a
 * network partition (connections stay open, nothing arrives, new ones hang), `up()` the way back
 * (dropping what a partition held), `thaw()` a short partition healing (connections carry on,
 * what was sent meanwhile arrives, a connection closed meanwhile closes on the other side).
 * The port stays the same throughout, as a database's address does across a restart.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  down(): Promise<void>;
  freeze(): void;
  thaw(): void;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  /** Each client connection and its upstream one (none yet if accepted while frozen). */
  const pairs = new Map<Socket, Socket | undefined>();
  let frozen = false;
  let server: Server | undefined;
  let port = 0;

  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const join = (client: Socket, upstream: Socket) => {
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    upstream.resume();
  };
  const onConnection = (client: Socket) => {
    track(client);
    client.once('close', () => pairs.delete(client));
    if (frozen) {
      client.pause(); // accepted, never answered: a partition as the client sees it
      pairs.set(client, undefined);
      return;
    }
    const upstream = connect(targetPort, targetHost);
    track(upstream);
    pairs.set(client, upstream);
    join(client, upstream);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  await listen();
  return {
    get port() {
      return port;
    },
    via(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async down() {
      frozen = false;
      const closing = stopListening();
      for (const s of sockets) s.resetAndDestroy();
      await closing;
    },
    freeze() {
      frozen = true;
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const [client, upstream] of [...pairs]) {
        if (upstream) join(client, upstream);
        else {
          pairs.delete(client);
          onConnection(client);
        }
      }
    },
    async up() {
      // A frozen partition heals by dropping what it held (the peers' TCP would time out anyway).
      for (const s of sockets) s.destroy();
      frozen = false;
      if (!server) await listen();
    },
    async close() {
      const closing = stopListening();
      for (const s of sockets) s.destroy();
      await closing;
    },
  };
}
