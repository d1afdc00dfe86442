/**
 * Storage of operator-console sessions, as an interface every store implements (server/store/),
 * so a session opened on one gateway replica is honoured by every other. A session is stored
 * under the SHA-256 of its id (the id itself lives only in the browser's cookie: a copy of the
 * store signs in as nobody) with the SHA-256 of the admin token it was opened with, so it can be
 * ended the moment that token is revoked.
 */
import type { Role } from '../auth/roles.ts';

export interface ConsoleSession {
  /** Lowercase hex SHA-256 of the session id. */
  id_hash: string;
  /** Lowercase hex SHA-256 of the admin token the operator logged in with (as TokenRecord.hash). */
  token_hash: string;
  /** The token's name (`bootstrap` for the bootstrap token), shown in the console's header. */
  token_name: string;
  role: Role;
  /** Source address of the login (server/http/source-address.ts), for the audit trail. */
  source: string;
  /** Epoch ms. */
  created_at: number;
  /** Epoch ms: past it the session is refused and pruned. */
  expires_at: number;
}

export interface ConsoleSessionRepo {
  create(session: ConsoleSession): Promise<void>;
  get(idHash: string): Promise<ConsoleSession | undefined>;
  /** Ends one session; false if there was none. */
  delete(idHash: string): Promise<boolean>;
  /** Ends every session opened with this token; returns how many. */
  deleteByToken(tokenHash: string): Promise<number>;
  /** Forgets sessions that expired before `now`; returns how many. */
  prune(now: number): Promise<number>;
}
