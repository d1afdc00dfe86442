/**
 * Background jobs that must run once per fleet (offline sweep, retention, stale-session cleanup,
 * rollout steering) take a lease: a session advisory lock on a connection this gateway opens for
 * the purpose. The gateway that holds a job's lock keeps it, and runs the job every time; the
 * others skip it. If that gateway dies its connection closes, the lock is released, and the next
 * gateway to try takes the job over.
 *
 * Three ways a lease could outlive its holder's claim to it, and what closes each:
 * - The lease connection is lost and postgres.js quietly opens a new one: the new session holds
 *   none of the locks. Every check names the session (backend pid and start time); another one
 *   means every lease is gone, and they are taken anew if free.
 * - A check fails or times out on a database that is slow or unreachable: the client is closed,
 *   not returned to a pool, so a session that is still there ends and drops its locks (a pooled
 *   connection would have kept them, idle, while this gateway believed it held nothing).
 * - The holder is cut off by a network partition: its FIN never arrives, and PostgreSQL would keep
 *   the session until the system's TCP keepalive gave up (~2 h by default). The lease session asks
 *   the server for keepalives of its own (LEASE_KEEPALIVE): a silent holder's locks go after ~25 s,
 *   and another gateway takes the jobs over. (Over a unix socket there is no partition to bound.)
 */
import { connect, type Sql } from './connect.ts';

/** Namespace of job leases among advisory locks (0001_core uses 7001 for nonce locks). */
const LEASE_NAMESPACE = 7002;

/**
 * Server-side TCP keepalive of the lease session (PostgreSQL's tcp_keepalives_* settings, sent at
 * connection start): first probe after 10 s of silence, then every 5 s, the session dropped after
 * 3 unanswered. Short enough that the fleet's jobs (every 15-60 s) barely miss a run, long enough
 * that a busy network never trips it.
 */
export const LEASE_KEEPALIVE = { tcp_keepalives_idle: 10, tcp_keepalives_interval: 5, tcp_keepalives_count: 3 } as const;

/** The longest a lease check may take before the lease connection is given up (seconds). */
export const LEASE_CHECK_TIMEOUT_SECONDS = 5;

/** The lease connection's client: one connection, LEASE_KEEPALIVE, a short query limit. */
export function openLeaseConnection(url: string, checkTimeoutSeconds = LEASE_CHECK_TIMEOUT_SECONDS): Sql {
  return connect(url, { max: 1, applicationName: 'fleetgate-leases', queryTimeoutSeconds: checkTimeoutSeconds, settings: LEASE_KEEPALIVE });
}

/** A job name as an SQL string literal. */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

interface Session {
  pid: number;
  started: string;
  ok: boolean | null;
}

export class Leases {
  private client: Sql | undefined;
  /** The session that took the locks in `held` ("pid@backend start"). */
  private session: string | undefined;
  private readonly held = new Set<string>();
  private closed = false;

  /**
   * `open` makes the lease connection's client (openLeaseConnection), again after each one given
   * up; `limitMs` bounds a check whatever the driver does (a little above its own query limit).
   */
  constructor(
    private readonly open: () => Sql,
    private readonly limitMs = (LEASE_CHECK_TIMEOUT_SECONDS + 1) * 1000,
  ) {}

  /** Whether this gateway holds (or has just taken) the lease of `job`. */
  async hold(job: string): Promise<boolean> {
    if (this.closed) return false;
    const client = (this.client ??= this.open());
    let timer: NodeJS.Timeout | undefined;
    // postgres.js misses its own query limit in one state (a statement waiting for its
    // description: see the PostgreSQL README); this limit is ours and closes the client.
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`lease check of ${job}: no answer within ${this.limitMs} ms`), { code: 'LEASE_CHECK_TIMEOUT' })), this.limitMs);
    });
    try {
      return await Promise.race([this.check(client, job), giveUp]);
    } catch (err) {
      this.drop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async check(client: Sql, job: string): Promise<boolean> {
    for (;;) {
      const mine = this.held.has(job);
      // Re-taking a lock this session holds would only count it twice: ask who we are instead.
      // No parameters (job names are the gateway's own): nothing for postgres.js to describe.
      const [row] = await client.unsafe<Session[]>(`
        SELECT pg_backend_pid() AS pid, backend_start::text AS started,
               ${mine ? 'NULL::boolean' : `pg_try_advisory_lock(${LEASE_NAMESPACE}, hashtext(${literal(job)}))`} AS ok
        FROM pg_stat_activity WHERE pid = pg_backend_pid()`);
      const session = `${row!.pid}@${row!.started}`;
      if (session !== this.session) {
        // A new session (the first check, or postgres.js reconnected): it holds nothing it did not just take.
        this.held.clear();
        this.session = session;
        if (mine) continue;
      }
      if (mine) return true;
      if (row!.ok) this.held.add(job);
      return row!.ok === true;
    }
  }

  /** Leases this gateway holds (for /health/ready and logs). */
  jobs(): string[] {
    return [...this.held].sort();
  }

  /** Forgets every lease and closes the lease connection, so the session cannot keep them. */
  private drop(): void {
    this.held.clear();
    this.session = undefined;
    const client = this.client;
    this.client = undefined;
    void client?.end({ timeout: 0 }).catch(() => undefined);
  }

  /** Releases every lease (SIGTERM: another gateway takes the jobs over at once). */
  async close(): Promise<void> {
    this.closed = true;
    this.held.clear();
    const client = this.client;
    this.client = undefined;
    // Ending the session releases its locks; a database that does not answer gets one second.
    await client?.end({ timeout: 1 }).catch(() => undefined);
  }
}
