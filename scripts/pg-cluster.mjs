/**
 * A throwaway PostgreSQL cluster for the tests and the benchmarks: Debian's server binaries
 * (installed by scripts/setup-postgres.sh when missing), a fresh `initdb` in a temp directory,
 * listening on 127.0.0.1 on a free port and on a unix socket in that directory, with trust
 * authentication for the `fleetgate` superuser. PostgreSQL refuses to run as root, so under root
 * it runs as the package's `postgres` user. `stop()` kills it and removes the directory.
 *
 * `scripts/run-tests.mjs` starts one per test run (shared by every suite that needs it, each
 * working in a database of its own) and passes its URL as FLEETGATE_TEST_PG_URL; the benchmarks
 * start one with durability on (`{ durable: true }`: fsync and synchronous_commit as shipped).
 * Plain JavaScript so the test runner can import it without a TypeScript loader.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SETUP = fileURLToPath(new URL('./setup-postgres.sh', import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pg-cluster: ${what} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * @param {{ durable?: boolean, maxConnections?: number }} [options]
 * @returns {Promise<{ url: string, socketUrl: string, port: number, dir: string, bin: string, stop(): void }>}
 */
/** The PostgreSQL binaries' directory (initdb, pg_ctl, pg_dump, …), installing them when missing. */
export function postgresBin() {
  return execFileSync('bash', [SETUP], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
}

export async function startCluster(options = {}) {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'fleetgate-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  const as = root ? ['runuser', '-u', 'postgres', '--'] : [];
  if (root) {
    const uid = Number(run('id', ['-u', 'postgres'], 'id -u postgres').trim());
    const gid = Number(run('id', ['-g', 'postgres'], 'id -g postgres').trim());
    chownSync(dir, uid, gid);
  }
  const exec = (tool, args, what) => (as.length ? run(as[0], [...as.slice(1), join(bin, tool), ...args], what) : run(join(bin, tool), args, what));
  try {
    exec('initdb', ['-D', data, '-U', 'fleetgate', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], 'initdb');
    const port = await freePort();
    const durable = options.durable === true;
    const conf = [
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      `max_connections = ${options.maxConnections ?? 300}`,
      `shared_buffers = '128MB'`,
      // Tests crash gateways, never the database: its own durability only costs them time.
      `fsync = ${durable ? 'on' : 'off'}`,
      `synchronous_commit = ${durable ? 'on' : 'off'}`,
      `full_page_writes = ${durable ? 'on' : 'off'}`,
      // The benchmarks report how long each WAL flush takes (pg_stat_wal.wal_sync_time).
      ...(durable ? ['track_wal_io_timing = on'] : []),
      `log_min_messages = 'warning'`,
    ];
    appendFileSync(join(data, 'postgresql.conf'), '\n' + conf.join('\n') + '\n');
    exec('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start'], 'pg_ctl start');
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      try {
        exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], 'pg_ctl stop');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    };
    return {
      url: `postgres://fleetgate@127.0.0.1:${port}/postgres`,
      socketUrl: `postgres://fleetgate@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
      port,
      dir,
      bin,
      stop,
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
