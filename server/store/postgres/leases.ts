/**
 * Background jobs that must run once per fleet (offline sweep, retention, stale-session cleanup,
 * rollout steering) take a lease: a session advisory lock on a connection this gateway opens for
 * the purpose, kept however long it idles. The gateway that holds a job's lock keeps it, and runs
 * the job every time; the others skip it. If that gateway dies its connection closes, the lock is
 * released, and the next gateway to try takes the job over.
 *
 * How a lease is kept from outliving its holder's claim to it:
 * - The lease connection is lost and postgres.js quietly opens a new one: the new session holds
 *   none of the locks. Every check names the session (backend pid and start time); another one
 *   means every lease is gone, and they are taken anew if free. Checks run one at a time, so one
 *   job's check never reads another's half-updated view of the session.
 * - A check fails, or gets no answer in time (the session's statement_timeout, the driver's query
 *   limit, and a limit of our own above both, since postgres.js misses its own in one state): the
 *   client is closed, not returned to a pool, so a session that is still there ends and drops its
 *   locks (a pooled connection would have kept them while this gateway believed it held nothing).
 *   A statement still running when its client goes would keep the session until it ends: the
 *   session checks for a closed client every second while it runs (PostgreSQL 14+).
 * - The holder is cut off by a network partition: its FIN never arrives. PostgreSQL would keep the
 *   session until the system's TCP keepalive gave up (~2 h by default), or, with an answer unacknowledged,
 *   until TCP retransmissions did (~15 min). The lease session asks the server for keepalives and
 *   a user timeout of its own (SESSION_SETTINGS): a silent holder's locks go after ~25 s, and another
 *   gateway takes the jobs over. (Over a unix socket there is no partition to bound.)
 */
import { connect, type Sql } from './connect.ts';

/** Namespace of job leases among advisory locks (0001_core uses 7001 for nonce locks). */
const LEASE_NAMESPACE = 7002;

/** The longest a lease check may take before the lease connection is given up (seconds). */
export const LEASE_CHECK_TIMEOUT_SECONDS = 5;

/**
 * Set on each new lease session, by SQL rather than in the startup packet (a connection pooler
 * such as PgBouncer refuses startup parameters it does not know). Keepalives: the first probe
 * after 10 s of silence, then every 5 s, the session dropped after 3 unanswered — short enough
 * that the fleet's jobs (every 15-60 s) barely miss a run, long enough that a busy network never
 * trips it. A check's statement ends within the check's limit whatever the client does.
 */
export const LEASE_SESSION = {
  tcp_keepalives_idle: 10,
  tcp_keepalives_interval: 5,
  tcp_keepalives_count: 3,
  statement_timeout: LEASE_CHECK_TIMEOUT_SECONDS * 1000,
} as const;

/**
 * LEASE_SESSION, and where the server knows them: data unacknowledged for 25 s ends the session
 * (PostgreSQL 12+), and a statement notices a closed client within a second (14+).
 */
const SESSION_SETTINGS = [
  ...Object.entries(LEASE_SESSION).map(([name, value]) => `SELECT set_config('${name}', '${value}', false)`),
  "SELECT set_config('tcp_user_timeout', '25000', false) WHERE current_setting('server_version_num')::int >= 120000",
  "SELECT set_config('client_connection_check_interval', '1000', false) WHERE current_setting('server_version_num')::int >= 140000",
].join(';\n');

/** The lease connection's client: one connection, kept while idle, a query limit. */
export function openLeaseConnection(url: string, checkTimeoutSeconds = LEASE_CHECK_TIMEOUT_SECONDS): Sql {
  return connect(url, { max: 1, applicationName: 'fleetgate-leases', queryTimeoutSeconds: checkTimeoutSeconds, keepSessions: true });
}

/** Job names go into the check's text (it has no parameters: see check()); ours are simple. */
const JOB_NAME = /^[a-z0-9][a-z0-9-]*$/;

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
  /** Checks run one after another (see the header). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The check of each job queued or running. */
  private readonly pending = new Map<string, Promise<boolean>>();

  /**
   * `open` makes the lease connection's client (openLeaseConnection), again after each one given
   * up; `limitMs` bounds a check whatever the driver does (a little above its own query limit).
   */
  constructor(
    private readonly open: () => Sql,
    private readonly limitMs = (LEASE_CHECK_TIMEOUT_SECONDS + 1) * 1000,
  ) {}

  /**
   * Whether this gateway holds (or has just taken) the lease of `job`. A job's check already
   * waiting is shared, so callers that keep asking while the database is slow (a timer) never
   * queue more than one check per job.
   */
  hold(job: string): Promise<boolean> {
    if (!JOB_NAME.test(job)) return Promise.reject(new Error(`job lease name ${JSON.stringify(job)}: lowercase letters, digits and dashes only`));
    const waiting = this.pending.get(job);
    if (waiting) return waiting;
    const run = this.queue.then(() => this.holdNow(job));
    this.queue = run.catch(() => undefined);
    const shared = run.finally(() => this.pending.delete(job));
    this.pending.set(job, shared);
    return shared;
  }

  private async holdNow(job: string): Promise<boolean> {
    if (this.closed) return false;
    const client = (this.client ??= this.open());
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`lease check of ${job}: no answer within ${this.limitMs} ms`), { code: 'LEASE_CHECK_TIMEOUT' })), this.limitMs);
    });
    try {
      return await Promise.race([this.check(client, job), giveUp]);
    } catch (err) {
      this.drop(client);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async check(client: Sql, job: string): Promise<boolean> {
    for (;;) {
      const mine = this.held.has(job);
      // Re-taking a lock this session holds would only count it twice: ask who we are instead.
      // No parameters: a statement with some waits for its description first, a state in which
      // postgres.js 4.2 never applies its query limit.
      // The session's start from the statistics function, not the pg_stat_activity view: the view
      // reads pg_database and pg_authid, and a check must not wait on locks of those.
      const [row] = await client.unsafe<Session[]>(`
        SELECT s.pid, s.backend_start::text AS started,
               ${mine ? 'NULL::boolean' : `pg_try_advisory_lock(${LEASE_NAMESPACE}, hashtext('${job}'))`} AS ok
        FROM pg_stat_get_activity(pg_backend_pid()) AS s`);
      // Given up meanwhile (our limit, or close()): whatever this answer says is no longer ours.
      if (this.closed || this.client !== client) return false;
      const session = `${row!.pid}@${row!.started}`;
      if (session !== this.session) {
        // A new session (the first check, or postgres.js reconnected): it holds nothing it did not just take.
        this.held.clear();
        if (row!.ok) this.held.add(job);
        await client.unsafe(SESSION_SETTINGS);
        if (this.closed || this.client !== client) return false;
        this.session = session;
        if (mine) continue;
        return row!.ok === true;
      }
      if (mine) return true;
      if (row!.ok) this.held.add(job);
      return row!.ok === true;
    }
  }

  /** Leases this gateway holds (for logs and tests). */
  jobs(): string[] {
    return [...this.held].sort();
  }

  /** Forgets every lease and closes the lease connection, so its session cannot keep them. */
  private drop(client: Sql): void {
    if (this.client !== client) return;
    this.held.clear();
    this.session = undefined;
    this.client = undefined;
    void client.end({ timeout: 0 }).catch(() => undefined);
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
