/**
 * Opens the store the configuration asks for: the embedded one in DATA_DIR (the default), or
 * PostgreSQL when DATABASE_URL is set. This is the one place that knows the implementations.
 */
import type { RawConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { openEmbeddedStore } from './embedded/index.ts';
import { StartupError } from '../errors.ts';
import { describeDatabaseUrl } from './postgres/connect.ts';
import { openPostgresStore } from './postgres/index.ts';
import type { Store } from './types.ts';

export type * from './types.ts';

export interface OpenOptions {
  logger?: Logger;
  /** Epoch ms at open (tests pass a fake clock's). */
  now?: number;
  /** How long a configuration change waits for the one before it (default CONFIG_WRITE_WAIT_MS; tests shorten it). */
  configWriteWaitMs?: number;
}

export function openStore(config: RawConfig, options: OpenOptions = {}): Promise<Store> {
  if (config.DATABASE_URL) {
    const url = config.DATABASE_URL;
    return openPostgresStore(url, {
      ...options,
      poolSize: config.DATABASE_POOL_SIZE,
      queryTimeoutSeconds: config.DATABASE_QUERY_TIMEOUT_SECONDS,
      sharedMacWindowMs: config.SHARED_PSK_MAC_WINDOW_SECONDS * 1000,
      diagnosticsRetentionDays: config.DIAGNOSTICS_RETENTION_DAYS,
      eventsRetentionDays: config.EVENTS_RETENTION_DAYS,
    }).catch((err: unknown) => {
      // Unreachable database, refused credentials, a failed migration: one line, exit 2.
      throw new StartupError(`cannot open the database at ${describeDatabaseUrl(url)}: ${(err as Error).message}`);
    });
  }
  return openEmbeddedStore(config.DATA_DIR, {
    fsync: config.DURABILITY === 'fsync',
    ...options,
    firmwareDir: config.FIRMWARE_DIR,
    sharedMacWindowMs: config.SHARED_PSK_MAC_WINDOW_SECONDS * 1000,
    diagnosticsRetentionDays: config.DIAGNOSTICS_RETENTION_DAYS,
    eventsRetentionDays: config.EVENTS_RETENTION_DAYS,
  });
}
