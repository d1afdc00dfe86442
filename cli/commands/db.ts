/**
 * `fleetgate db migrate|status|floors|import`: the PostgreSQL store's schema, the nonce floors
 * around a restore, and moving an embedded installation into PostgreSQL. The database comes from
 * --database-url, else $DATABASE_URL; nothing here prints its password. The gateway applies pending migrations itself at start (under an advisory
 * lock), so `migrate` is for running them ahead of a rolling upgrade, and `status` for checking.
 * The database module is loaded only when a db command runs.
 */
import { Option, type Command } from 'commander';
import { CliError, ExitCode, cliAction } from '../errors.ts';
import { examples, firmwareDir, firmwareDirOption, jsonOption, keysDir, keysDirOption } from '../options.ts';
import { show, table } from '../output.ts';
import { storeOptions, withStore, type StoreFlags } from '../store-access.ts';

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
  const db = program.command('db').description('the store: PostgreSQL schema migrations, nonce floors around backups, importing an embedded DATA_DIR');
  examples(db, [
    ['fleetgate db status', 'applied and pending migrations of $DATABASE_URL'],
    ['fleetgate db migrate --database-url postgres://fleet@127.0.0.1/fleet', 'apply what is missing'],
  ]);

  floorsCommands(db);
  importCommand(db);

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
          ...s.applied.map((m) => ({ version: pad(m.version), name: m.name, state: appliedState(s, m.version), at: m.applied_at })),
          ...s.pending.map((m) => ({ version: pad(m.version), name: m.name, state: 'pending', at: '-' })),
        ];
        show(opts, { database: where, ...s }, () =>
          [
            `${where}: ${s.applied.length} applied, ${s.pending.length} pending${s.ahead.length > 0 ? `, ${s.ahead.length} newer than this build` : ''}`,
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

/**
 * `db floors export|raise`: the anti-replay floors around a restore (server/store/floors.ts). On
 * either store; the embedded one only while no gateway holds its DATA_DIR.
 */
function floorsCommands(db: Command): void {
  const floors = db.command('floors').description('nonce floors: export them next to backups, raise them after a restore');
  examples(floors, [
    ['fleetgate db floors export --save-as /backup/floors.json', 'every device\'s last accepted nonce (take it often: it is small)'],
    ['fleetgate db floors raise /backup/floors.json', 'after restoring a backup, before starting the gateways'],
  ]);

  const exp = storeOptions(floors.command('export').description('write every device\'s last accepted nonce as a floors file'));
  exp.option('--save-as <file>', 'write here (atomically, mode 0600) instead of stdout');
  examples(exp, [
    ['fleetgate db floors export --save-as /backup/floors.json', 'from $DATABASE_URL, or the embedded store in $DATA_DIR (stopped)'],
    ['fleetgate db floors export --data-dir /var/lib/fleetgate > floors.json', 'an embedded store, to stdout'],
  ]);
  exp.action((opts: StoreFlags & { saveAs?: string }) =>
    cliAction(() =>
      withStore(opts, async (store) => {
        const { floorsDocument, serializeFloors } = await import('../../server/store/floors.ts');
        const doc = floorsDocument(await store.nonces.all(), store.location, new Date());
        const text = serializeFloors(doc);
        if (!opts.saveAs) return void process.stdout.write(text);
        const { writeFileAtomic } = await import('../../server/store/embedded/atomic-file.ts');
        await writeFileAtomic(opts.saveAs, text, 0o600);
        process.stderr.write(`${opts.saveAs}: floors of ${doc.floors.length} devices from ${store.location}\n`);
      }),
    ),
  );

  const raise = storeOptions(floors.command('raise').description('raise nonce floors from a floors file (never lowers one)').argument('<file>', 'a file from `db floors export`'));
  jsonOption(raise);
  examples(raise, [['fleetgate db floors raise /backup/floors.json --database-url postgres://fleet@db/fleet', 'after pg_restore, before the replicas start']]);
  raise.action((file: string, opts: StoreFlags & { json?: boolean }) =>
    cliAction(async () => {
      const { readFile } = await import('node:fs/promises');
      const { parseFloors, MAX_FLOORS } = await import('../../server/store/floors.ts');
      const { size } = await (await import('node:fs/promises')).stat(file);
      // ~100 bytes a device: refuse what no export of MAX_FLOORS devices would be before reading it.
      if (size > MAX_FLOORS * 200) throw new CliError(`${file}: ${size} bytes is not a floors file (too large)`, ExitCode.usage);
      const { doc, floors } = parseFloors(await readFile(file, 'utf8'));
      await withStore(opts, async (store) => {
        const raised = await store.nonces.raiseFloors(floors);
        const result = { store: store.location, exported_at: doc.exported_at, devices: floors.size, raised };
        show(opts, result, () => `${store.location}: raised ${raised} of ${floors.size} floors (export of ${doc.exported_at}); the others were already as high`);
      });
    }),
  );
}

interface ImportFlags extends DbFlags {
  dataDir?: string;
  force?: boolean;
  firmwareDir?: string;
  keysDir?: string;
}

/** Exit codes of the import's refusals: a missing or held DATA_DIR is I/O, a database away is remote, the rest is input. */
const REFUSAL_EXIT = { missing: ExitCode.io, in_use: ExitCode.io, not_a_store: ExitCode.usage, unreachable: ExitCode.remote, not_empty: ExitCode.usage } as const;

/**
 * `db import --data-dir <DATA_DIR>`: an embedded installation into PostgreSQL
 * (server/store/import). The DATA_DIR option is the one `db floors` takes for the embedded store
 * (the CLI spells every directory option --<what>-dir). `--from <DATA_DIR>`, the spelling issue 14
 * gave the command, is accepted too, as a hidden alias: elsewhere `--from` is a time. Progress of
 * the long kinds goes to stderr; what was copied, per kind, to stdout (JSON with --json).
 */
function importCommand(db: Command): void {
  const cmd = databaseOption(
    db
      .command('import')
      .description('copy an embedded installation (DATA_DIR and its FIRMWARE_DIR) into an empty PostgreSQL database')
      .option('--data-dir <dir>', 'the embedded store to copy, with no gateway running on it (default: $DATA_DIR or ./data)')
      .option('--force', 'import into a database that already holds fleet state: skips what is there, never lowers a nonce floor'),
  );
  const from = new Option('--from <dir>').hideHelp();
  cmd.addOption(from);
  cmd.on(`option:${from.name()}`, (value: string) => cmd.setOptionValueWithSource('dataDir', value, 'cli'));
  firmwareDirOption(cmd, "the installation's FIRMWARE_DIR, whose images are stored in the database");
  keysDirOption(cmd, 'with server_public_key.pem there, only images whose manifest signature checks out are imported');
  jsonOption(cmd);
  examples(cmd, [
    ['fleetgate db import --data-dir /var/lib/fleetgate/data --database-url postgres://fleet@db/fleet', 'stop the gateway first; then start replicas on the database'],
    ['fleetgate db import --data-dir data --firmware-dir firmware-images --force --json', 'again into $DATABASE_URL: copies only what is missing'],
  ]);
  cmd.action((opts: ImportFlags) =>
    cliAction(async () => {
      const url = databaseUrl(opts.databaseUrl);
      const { importEmbedded } = await import('../../server/store/import/index.ts');
      const { ImportRefusedError, ImportStoppedError } = await import('../../server/errors.ts');
      const { describeDatabaseUrl } = await import('../../server/store/postgres/connect.ts');
      const { parseConfig } = await import('../../server/config.ts');
      const config = parseConfig({ ...process.env, ...(opts.dataDir === undefined ? {} : { DATA_DIR: opts.dataDir }), DATABASE_URL: undefined });
      const report = await importEmbedded({
        dataDir: config.DATA_DIR,
        databaseUrl: url,
        firmwareDir: firmwareDir(opts.firmwareDir),
        keysDir: keysDir(opts.keysDir),
        force: opts.force === true,
        sharedMacWindowMs: config.SHARED_PSK_MAC_WINDOW_SECONDS * 1000,
        progress: (line) => process.stderr.write(`  ${line}\n`),
      }).catch((err: unknown) => {
        if (err instanceof ImportRefusedError) throw new CliError(err.message, REFUSAL_EXIT[err.reason]);
        if (err instanceof ImportStoppedError) {
          // A file of the DATA_DIR (it has an errno) or the database.
          const io = typeof (err.reason as NodeJS.ErrnoException)?.syscall === 'string';
          throw new CliError(`import into ${describeDatabaseUrl(url)} ${err.message}; what was copied stays: run it again with --force to finish (nothing is copied twice)`, io ? ExitCode.io : ExitCode.remote);
        }
        throw err;
      });
      show(opts, report, () => {
        const width = Math.max(...report.kinds.map((k) => k.kind.length));
        return [
          `${report.source} → ${report.database}${report.merged ? ' (merged into what was there: --force)' : ''}, ${(report.ms / 1000).toFixed(1)} s`,
          ...report.kinds.map((k) => `  ${k.kind.padEnd(width)}  ${k.text}`),
        ].join('\n');
      });
    }),
  );
}

function pad(v: number): string {
  return String(v).padStart(4, '0');
}

/** An applied migration as this build sees it: its own, changed since, or a newer build's. */
function appliedState(s: import('../../server/store/postgres/migrate.ts').MigrationStatus, version: number): string {
  if (s.mismatched.some((x) => x.version === version)) return 'CHANGED SINCE APPLIED';
  if (s.ahead.some((x) => x.version === version)) return 'applied (newer build)';
  return 'applied';
}
