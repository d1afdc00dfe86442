/**
 * Schema migrations: the numbered SQL files in ./migrations (`0001_core.sql`, …), applied in
 * order, each in its own transaction, recorded in `fleetgate_migrations` with a checksum. The
 * whole run holds a session advisory lock, so replicas starting together do not race: the first
 * applies what is missing, the others wait for it and find nothing left to do. A released file
 * must never change; a changed checksum stops the gateway (status says which one).
 *
 * During a rolling upgrade the database runs ahead of the older replicas: the new version applied
 * migrations the old build has no file for. Those are `ahead`, not broken — migrations are
 * additive (README.md next to them), so an old replica starts and serves on that schema. Only an
 * applied version at or below this build's newest that it has no file for (or a different one)
 * means a broken install.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './connect.ts';

/** Arbitrary but fixed: the advisory lock key of a migration run. */
const MIGRATION_LOCK = 7_000_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: { version: number; name: string; applied_at: string }[];
  pending: { version: number; name: string }[];
  /**
   * Applied migrations whose file changed since, or that this build should have and has not (a
   * version at or below its newest): a broken install.
   */
  mismatched: { version: number; name: string }[];
  /** Applied migrations above this build's newest: applied by a newer version of the gateway. */
  ahead: { version: number; name: string }[];
}

/**
 * The migrations directory. The gateway runs from the sources (tests, CLI) or from the bundle in
 * .build/: walk up from this module until server/store/postgres/migrations is found.
 */
export function migrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const own = join(dir, 'migrations');
    if (existsSync(join(dir, 'migrate.ts')) && existsSync(own)) return own;
    const fromRoot = join(dir, 'server', 'store', 'postgres', 'migrations');
    if (existsSync(fromRoot)) return fromRoot;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find server/store/postgres/migrations');
    dir = parent;
  }
}

export function loadMigrations(dir = migrationsDir()): Migration[] {
  return readdirSync(dir)
    .map((file) => /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const sql = readFileSync(join(dir, m[0]), 'utf8');
      return { version: Number(m[1]), name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
}

async function ensureTable(sql: Sql): Promise<void> {
  await sql`
    CREATE TABLE IF NOT EXISTS fleetgate_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`;
}

export async function migrationStatus(sql: Sql, migrations = loadMigrations()): Promise<MigrationStatus> {
  const exists = await sql<{ t: string | null }[]>`SELECT to_regclass('fleetgate_migrations')::text AS t`;
  const rows = exists[0]?.t
    ? await sql<{ version: number; name: string; checksum: string; applied_at: Date }[]>`SELECT version, name, checksum, applied_at FROM fleetgate_migrations ORDER BY version`
    : [];
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  const newest = migrations.at(-1)?.version ?? 0;
  const done = new Set(rows.map((r) => r.version));
  const known = rows.filter((r) => r.version <= newest);
  return {
    applied: rows.map((r) => ({ version: r.version, name: r.name, applied_at: r.applied_at.toISOString() })),
    pending: migrations.filter((m) => !done.has(m.version)).map((m) => ({ version: m.version, name: m.name })),
    mismatched: known.filter((r) => byVersion.get(r.version)?.checksum !== r.checksum).map((r) => ({ version: r.version, name: r.name })),
    ahead: rows.filter((r) => r.version > newest).map((r) => ({ version: r.version, name: r.name })),
  };
}

/** Applies every pending migration (under the lock); returns the versions it applied. */
export async function migrate(sql: Sql, migrations = loadMigrations()): Promise<number[]> {
  const applied: number[] = [];
  const conn = await sql.reserve();
  try {
    await conn`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    try {
      await ensureTable(conn as unknown as Sql);
      const status = await migrationStatus(conn as unknown as Sql, migrations);
      if (status.mismatched.length > 0) {
        throw new Error(`applied migrations changed since: ${status.mismatched.map((m) => `${m.version}_${m.name}`).join(', ')}`);
      }
      for (const p of status.pending) {
        const m = migrations.find((x) => x.version === p.version)!;
        await conn.unsafe('BEGIN');
        try {
          await conn.unsafe(m.sql);
          await conn`INSERT INTO fleetgate_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`;
          await conn.unsafe('COMMIT');
        } catch (err) {
          await conn.unsafe('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(m.version);
      }
    } finally {
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => undefined);
    }
  } finally {
    conn.release();
  }
  return applied;
}
