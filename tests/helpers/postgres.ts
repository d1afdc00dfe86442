/**
 * PostgreSQL for tests: a fresh database per call on the run's shared cluster
 * (FLEETGATE_TEST_PG_URL, started by scripts/run-tests.mjs), or — when a suite runs alone — on a
 * cluster of its own started here and removed when the process exits.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { startCluster } from '../../scripts/pg-cluster.mjs';

export { postgresBin } from '../../scripts/pg-cluster.mjs';

let adminUrl: Promise<string> | undefined;

function clusterUrl(): Promise<string> {
  adminUrl ??= (async () => {
    if (process.env.FLEETGATE_TEST_PG_URL) return process.env.FLEETGATE_TEST_PG_URL;
    const cluster = await startCluster();
    process.once('exit', () => cluster.stop());
    return cluster.url;
  })();
  return adminUrl;
}

/** Creates an empty database and returns its URL (postgres://fleetgate@127.0.0.1:<port>/<name>). */
export async function freshDatabase(prefix = 'fg'): Promise<string> {
  const url = await clusterUrl();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const sql = postgres(url, { onnotice: () => undefined, max: 1 });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
