/**
 * Admin tokens on PostgreSQL (table `admin_tokens`, 0004_tokens.sql). Looked up on every admin
 * request and never cached, so a token revoked on one replica is refused by every replica at once.
 */
import type { TokenRecord, TokenRepo } from '../../auth/tokens.ts';
import type { Role } from '../../auth/roles.ts';
import type { Sql } from './connect.ts';

interface Row {
  name: string;
  role: Role;
  hash: string;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
  revoked_by: string | null;
}

function toRecord(r: Row): TokenRecord {
  return {
    name: r.name,
    role: r.role,
    hash: r.hash,
    created_at: r.created_at.toISOString(),
    created_by: r.created_by,
    ...(r.revoked_at ? { revoked_at: r.revoked_at.toISOString() } : {}),
    ...(r.revoked_by ? { revoked_by: r.revoked_by } : {}),
  };
}

export class PgTokenRepo implements TokenRepo {
  constructor(private readonly sql: Sql) {}

  async create(t: TokenRecord): Promise<boolean> {
    const rows = await this.sql`
      INSERT INTO admin_tokens (name, role, hash, created_at, created_by) VALUES (${t.name}, ${t.role}, ${t.hash}, ${new Date(t.created_at)}, ${t.created_by})
      ON CONFLICT DO NOTHING RETURNING name`;
    return rows.length > 0;
  }

  async byHash(hash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.sql<Row[]>`SELECT * FROM admin_tokens WHERE hash = ${hash} AND revoked_at IS NULL`;
    return row ? toRecord(row) : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    return (await this.sql<Row[]>`SELECT * FROM admin_tokens ORDER BY name COLLATE "C"`).map(toRecord);
  }

  async revoke(name: string, now: number, by: string): Promise<{ outcome: 'revoked' | 'already'; record: TokenRecord } | undefined> {
    const [updated] = await this.sql<Row[]>`
      UPDATE admin_tokens SET revoked_at = ${new Date(now)}, revoked_by = ${by} WHERE name = ${name} AND revoked_at IS NULL RETURNING *`;
    if (updated) return { outcome: 'revoked', record: toRecord(updated) };
    const [existing] = await this.sql<Row[]>`SELECT * FROM admin_tokens WHERE name = ${name}`;
    return existing ? { outcome: 'already', record: toRecord(existing) } : undefined;
  }
}
