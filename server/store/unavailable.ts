/**
 * Whether an error says the store could not be reached or did not answer: not a bug and not the
 * client's doing, so the answer is 503 and a retry (server/http/error-handler.ts). Nothing was
 * half-done: every store write is atomic, journaled or one transaction.
 */

/** postgres.js's own codes for a connection lost, refused, timed out or given up on. */
const DRIVER_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'QUERY_TIMEOUT',
  'QUEUE_TIMEOUT',
  'CANCEL_UNANSWERED',
]);

/**
 * PostgreSQL's: connection exceptions (class 08, but not 08P01, a protocol violation: a bug a
 * retry would repeat), the server shutting down or still starting (57P01-57P03), out of
 * connections, disk or memory (53300, 53100, 53200), read-only after a failover (25006), and a
 * statement canceled (57014: our query limit).
 */
const SQLSTATE = /^(08(?!P01)[0-9A-Z]{3}|57P0[1-3]|53[123]00|25006|57014)$/;

/** The code to show for an unavailable store (`ENOSPC`, `CONNECTION_CLOSED`, `08006`, …), or undefined. */
export function unavailableCode(err: Error): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== 'string') return undefined;
  // A failed system call (ENOSPC, EIO, ECONNREFUSED, EAI_AGAIN, …) as Node reports it: an errno
  // code and a syscall — or, for a host name with several addresses, an AggregateError of them.
  if (/^E(?!RR_)[A-Z0-9_]+$/.test(e.code) && (typeof e.syscall === 'string' || err instanceof AggregateError)) return e.code;
  if (DRIVER_CODES.has(e.code)) return e.code;
  if (err.name === 'PostgresError' && SQLSTATE.test(e.code)) return e.code;
  return undefined;
}
