/**
 * Operator-console sessions on PostgreSQL (table `console_sessions`, 0006_console_sessions.sql):
 * read on every console request and never cached, so a logout or an ended session on one replica
 * is refused by every replica at once.
 */
import type { Role } from '../../auth/roles.ts';
import type { ConsoleSession, ConsoleSessionRepo } from '../../ui/sessions-repo.ts';
import type { Sql } from './connect.ts';

interface Row {
  id_hash: string;
  token_hash: string;
  token_name: string;
  role: Role;
  source: string;
  created_at: Date;
  expires_at: Date;
}

const toSession = (r: Row): ConsoleSession => ({ ...r, created_at: r.created_at.getTime(), expires_at: r.expires_at.getTime() });

export class PgConsoleSessionRepo implements ConsoleSessionRepo {
  constructor(private readonly sql: Sql) {}

  async create(s: ConsoleSession): Promise<void> {
    await this.sql`
      INSERT INTO console_sessions (id_hash, token_hash, token_name, role, source, created_at, expires_at)
      VALUES (${s.id_hash}, ${s.token_hash}, ${s.token_name}, ${s.role}, ${s.source}, ${new Date(s.created_at)}, ${new Date(s.expires_at)})`;
  }

  async get(idHash: string): Promise<ConsoleSession | undefined> {
    const [row] = await this.sql<Row[]>`SELECT * FROM console_sessions WHERE id_hash = ${idHash}`;
    return row ? toSession(row) : undefined;
  }

  async delete(idHash: string): Promise<boolean> {
    return (await this.sql`DELETE FROM console_sessions WHERE id_hash = ${idHash}`).count > 0;
  }

  async deleteByToken(tokenHash: string): Promise<number> {
    return (await this.sql`DELETE FROM console_sessions WHERE token_hash = ${tokenHash}`).count;
  }

  async prune(now: number): Promise<number> {
    return (await this.sql`DELETE FROM console_sessions WHERE expires_at <= ${new Date(now)}`).count;
  }
}
