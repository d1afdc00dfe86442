/**
 * `fleetgate db migrate|status|import`: the PostgreSQL store's schema and moving an embedded
 * installation into it. The database comes from --database-url, else $DATABASE_URL; nothing here
 * prints its password. The gateway applies pending migrations itself at start (under an advisory
 * lock), so `migrate` is for running them ahead of a rolling upgrade, and `status` for checking.
 * The database module is loaded only when a db command runs.
 */
import type { Command } from 'commander';
import { CliError, ExitCode, cliAction } from '../errors.ts';
import { examples, jsonOption } from '../options.ts';
import { show, table } from '../output.ts';

interface DbFlags {
  databaseUrl?: string;
  json?: boolean;
}

function databaseUrl(flag: string | undefined): string {
  const url = flag ?? process.env.DATABASE_URL;
  if (!url) throw new CliError('no database: pass --database-url or set DATABASE_URL (postgres://user:pass@host:port/db)', ExitCode.usage);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new CliError('the database URL must start with postgres:// or postgresql://', ExitCode.usage);
  return url;
}

/** Opens a pool for one command, reporting an unreachable database as one line (exit 4). */
async function withDatabase<T>(flag: string | undefined, run: (sql: import('../../server/store/postgres/connect.ts').Sql, where: string) => Promise<T>): Promise<T> {
  const url = databaseUrl(flag);
  const { connect, describeDatabaseUrl } = await import('../../server/store/postgres/connect.ts');
  const where = describeDatabaseUrl(url);
  const sql = connect(url, { max: 2 });
  try {
    await sql`SELECT 1`.catch((err: Error) => {
      throw new CliError(`cannot reach the database at ${where}: ${err.message}`, ExitCode.remote);
    });
    return await run(sql, where);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

function databaseOption(cmd: Command): Command {
  return cmd.option('--database-url <url>', 'postgres://user:pass@host:port/db (default: $DATABASE_URL)');
}

export function dbCommand(program: Command): void {
  const db = program.command('db').description('the PostgreSQL store: schema migrations and importing an embedded DATA_DIR');
  examples(db, [
    ['fleetgate db status', 'applied and pending migrations of $DATABASE_URL'],
    ['fleetgate db migrate --database-url postgres://fleet@127.0.0.1/fleet', 'apply what is missing'],
  ]);

  const migrate = databaseOption(db.command('migrate').description('apply pending schema migrations (the gateway also does at start)'));
  jsonOption(migrate);
  examples(migrate, [['DATABASE_URL=postgres://fleet@db/fleet fleetgate db migrate', 'before starting upgraded replicas']]);
  migrate.action((opts: DbFlags) =>
    cliAction(() =>
      withDatabase(opts.databaseUrl, async (sql, where) => {
        const { migrate: run } = await import('../../server/store/postgres/migrate.ts');
        const applied = await run(sql);
        show(opts, { database: where, applied }, () => (applied.length === 0 ? `${where}: up to date` : `${where}: applied ${applied.map(pad).join(', ')}`));
      }),
    ),
  );

  const status = databaseOption(db.command('status').description('list applied and pending migrations'));
  jsonOption(status);
  examples(status, [['fleetgate db status --database-url postgres://fleet@127.0.0.1/fleet', 'a database given explicitly']]);
  status.action((opts: DbFlags) =>
    cliAction(() =>
      withDatabase(opts.databaseUrl, async (sql, where) => {
        const { migrationStatus } = await import('../../server/store/postgres/migrate.ts');
        const s = await migrationStatus(sql);
        const rows = [
          ...s.applied.map((m) => ({ version: pad(m.version), name: m.name, state: s.mismatched.some((x) => x.version === m.version) ? 'CHANGED SINCE APPLIED' : 'applied', at: m.applied_at })),
          ...s.pending.map((m) => ({ version: pad(m.version), name: m.name, state: 'pending', at: '-' })),
        ];
        show(opts, { database: where, ...s }, () =>
          [
            `${where}: ${s.applied.length} applied, ${s.pending.length} pending`,
            table(rows, [
              { header: 'VERSION', value: (r) => r.version },
              { header: 'NAME', value: (r) => r.name },
              { header: 'STATE', value: (r) => r.state },
              { header: 'APPLIED', value: (r) => r.at },
            ]),
          ].join('\n'),
        );
        if (s.mismatched.length > 0) process.exitCode = ExitCode.verificationFailed;
      }),
    ),
  );
}

function pad(v: number): string {
  return String(v).padStart(4, '0');
}
