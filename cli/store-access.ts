/**
 * Commands that work on a gateway's store directly rather than through its HTTP API (nonce
 * floors, imports): the store the gateway would open — PostgreSQL with --database-url or
 * $DATABASE_URL, else the embedded store in --data-dir or $DATA_DIR. The embedded store takes the
 * DATA_DIR lock, so these commands refuse to run beside a gateway on the same directory. The store
 * modules load only when such a command runs.
 */
import type { Command } from 'commander';
import type { Store } from '../server/store/types.ts';
import { CliError, ExitCode } from './errors.ts';

export interface StoreFlags {
  databaseUrl?: string;
  dataDir?: string;
}

export function storeOptions(cmd: Command): Command {
  return cmd
    .option('--database-url <url>', 'postgres://user:pass@host:port/db (default: $DATABASE_URL)')
    .option('--data-dir <dir>', 'the embedded store, when no database is given (default: $DATA_DIR or ./data)');
}

export async function withStore<T>(flags: StoreFlags, run: (store: Store) => Promise<T>): Promise<T> {
  const { parseConfig } = await import('../server/config.ts');
  const { openStore } = await import('../server/store/index.ts');
  const { StartupError } = await import('../server/errors.ts');
  const env = { ...process.env };
  if (flags.databaseUrl !== undefined) env.DATABASE_URL = flags.databaseUrl;
  if (flags.dataDir !== undefined) {
    if (flags.databaseUrl !== undefined) throw new CliError('give --database-url or --data-dir, not both', ExitCode.usage);
    env.DATA_DIR = flags.dataDir;
    delete env.DATABASE_URL;
  }
  const config = parseConfig(env);
  let lock: { release(): Promise<void> } | undefined;
  let store: Store;
  try {
    if (!config.DATABASE_URL) {
      const { lockDataDir } = await import('../server/store/embedded/data-dir.ts');
      lock = await lockDataDir(config.DATA_DIR);
    }
    store = await openStore(config);
  } catch (err) {
    await lock?.release();
    // An unreachable database, a DATA_DIR another gateway holds: one line each.
    if (err instanceof StartupError) throw new CliError(err.message, config.DATABASE_URL ? ExitCode.remote : ExitCode.io);
    throw err;
  }
  try {
    return await run(store);
  } finally {
    await store.close();
    await lock?.release();
  }
}
