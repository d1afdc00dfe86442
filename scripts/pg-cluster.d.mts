/** Types of scripts/pg-cluster.mjs (plain JavaScript, shared with the test runner). */
export interface Cluster {
  /** postgres://fleetgate@127.0.0.1:<port>/postgres (trust authentication). */
  url: string;
  /** The same cluster through its unix socket: postgres://fleetgate@/postgres?host=<dir>&port=<port>. */
  socketUrl: string;
  port: number;
  dir: string;
  bin: string;
  stop(): void;
}

export function startCluster(options?: { durable?: boolean; maxConnections?: number }): Promise<Cluster>;
export function postgresBin(): string;
