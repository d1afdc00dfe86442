/**
 * The PostgreSQL connection pool (postgres.js) from DATABASE_URL, and what may be logged about it.
 * `postgres://user:pass@host:port/db`, or a unix socket with `?host=/run/socket/dir`. int8 values
 * are read as numbers (every one we store — epoch ms, nonces, counters — is far below 2^53).
 */
import postgres from 'postgres';

export type Sql = postgres.Sql<Record<string, never>>;
/** The connection a `sql.begin` transaction runs on. */
export type Tx = postgres.TransactionSql<Record<string, never>>;
/** Where a repository runs its statements: the pool, or a transaction it joins. */
export type Db = Sql | Tx;

/**
 * `work` in a transaction of its own on the pool, or as part of the transaction `db` already is:
 * no savepoint, since a failed statement aborts that whole transaction anyway (its owner rolls it
 * back), and a savepoint would cost two more round trips per write.
 */
export function transaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  if ('savepoint' in db) return work(db);
  return db.begin(work) as Promise<T>;
}

export interface PoolOptions {
  /** Connections in the pool. */
  max?: number;
  /** Called with NOTICE messages (migrations raise a few); default: dropped. */
  onNotice?: (message: string) => void;
  applicationName?: string;
  /**
   * The longest a query may wait for a connection and run, in seconds (0 or unset: no limit). Past
   * it postgres.js cancels it and rejects QUERY_TIMEOUT; a cancel the server does not answer within
   * 5 s closes the connection. The gateway's pool has one, so a silent database (a partition)
   * cannot hold requests forever; migrations and the CLI's long copies do not.
   */
  queryTimeoutSeconds?: number;
  /**
   * Keep connections however long they idle or live (default: closed after 30 s idle, replaced
   * after 30-60 min): for a connection whose session state matters, such as advisory locks.
   */
  keepSessions?: boolean;
}

export function connect(url: string, options: PoolOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 20,
    onnotice: (n) => options.onNotice?.(String(n.message)),
    connection: { application_name: options.applicationName ?? 'fleetgate' },
    types: {
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
    // Idle connections must not keep a CLI command (or a test) alive once it is done.
    idle_timeout: options.keepSessions ? 0 : 30,
    ...(options.keepSessions ? { max_lifetime: null } : {}),
    connect_timeout: 10,
    query_timeout: options.queryTimeoutSeconds ?? 0,
  }) as unknown as Sql;
}

/** The database's host (or socket directory), port and name, for logs: never the user's password. */
export function describeDatabaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'postgres (unparsable DATABASE_URL)';
  }
  const socket = u.searchParams.get('host');
  const host = socket ?? (u.hostname || 'localhost');
  const port = u.port || u.searchParams.get('port') || '5432';
  const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || u.username || 'postgres';
  return `postgres ${host}${socket ? ` (port ${port})` : `:${port}`}/${db}`;
}

/** Whether DATABASE_URL looks like a PostgreSQL URL at all (checked at start, one clear line if not). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}
