/**
 * `fleetgate db import`: moves an embedded installation (a DATA_DIR and its FIRMWARE_DIR) into a
 * PostgreSQL database. This is the one place that knows both stores: it opens the DATA_DIR as the
 * gateway would (taking its lock, so no gateway runs on it meanwhile, and replaying whatever a
 * crash left in the telemetry WAL), opens the database as a replica would (applying pending
 * migrations), refuses a database that already holds fleet state unless forced, then runs one
 * importer per Store repository, in the order of IMPORTERS.
 *
 * Adding a repository to the Store means adding its importer to IMPORTERS (a module beside this
 * one, see importer.ts); tests/store/import/coverage.test.ts names any repository without one.
 * Nonce state is copied right after the devices, so a database holding the devices never holds
 * them without their replay floors.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../logger.ts';
import { DataDirInUseError, ImportRefusedError, ImportStoppedError } from '../../errors.ts';
import { loadPublicKeys, type PublicKeys } from '../../ota/keys.ts';
import { lockDataDir, STORE_ENTRIES } from '../embedded/data-dir.ts';
import { FirmwareDir } from '../embedded/firmware-images.ts';
import { openEmbeddedStore } from '../embedded/index.ts';
import { connect, describeDatabaseUrl, type Sql } from '../postgres/connect.ts';
import { openPostgresStore } from '../postgres/index.ts';
import { auditImporter } from './audit.ts';
import { commandsImporter } from './commands.ts';
import { configImporter } from './config.ts';
import { consoleSessionsImporter } from './console-sessions.ts';
import { devicesImporter } from './devices.ts';
import { diagnosticsImporter } from './diagnostics.ts';
import { eventsImporter } from './events.ts';
import { firmwareImporter } from './firmware.ts';
import { fleetActivityImporter } from './fleet-activity.ts';
import { count, COUNT_CAP, n, type Importer, type RepositoryKey } from './importer.ts';
import { noncesImporter } from './nonces.ts';
import { notifyCooldownsImporter } from './notify-cooldowns.ts';
import { otaStateImporter } from './ota-state.ts';
import { releasesImporter } from './releases.ts';
import { rolloutsImporter } from './rollouts.ts';
import { securityStatsImporter } from './security-stats.ts';
import { sharedMacsImporter } from './shared-macs.ts';
import { telemetryImporter } from './telemetry.ts';
import { tokensImporter } from './tokens.ts';

export type { RepositoryKey } from './importer.ts';

/** One importer per Store repository, in the order they run. */
export const IMPORTERS: readonly Importer[] = [
  devicesImporter,
  noncesImporter,
  sharedMacsImporter,
  tokensImporter,
  configImporter,
  commandsImporter,
  telemetryImporter,
  diagnosticsImporter,
  eventsImporter,
  auditImporter,
  otaStateImporter,
  rolloutsImporter,
  // Records before the builds: a replica running meanwhile finds each build recorded as it was.
  releasesImporter,
  firmwareImporter,
  securityStatsImporter,
  fleetActivityImporter,
  consoleSessionsImporter,
  notifyCooldownsImporter,
];

export interface ImportOptions {
  dataDir: string;
  databaseUrl: string;
  /** The embedded installation's FIRMWARE_DIR. */
  firmwareDir: string;
  /** KEYS_DIR: with its public key there, images are imported only when their manifest signature checks out. */
  keysDir?: string;
  /** Import into a database that already holds fleet state (skipping what is there, never lowering a floor). */
  force: boolean;
  /** SHARED_PSK_MAC_WINDOW_SECONDS of the installation, in ms. */
  sharedMacWindowMs: number;
  progress?: (line: string) => void;
  logger?: Logger;
  now?: number;
}

export interface KindReport {
  kind: string;
  repository: RepositoryKey;
  counts: Record<string, number>;
  text: string;
  skipped?: boolean;
  ms: number;
}

export interface ImportReport {
  source: string;
  database: string;
  /** The database held fleet state before (--force). */
  merged: boolean;
  kinds: KindReport[];
  ms: number;
}

/** Refuses a missing DATA_DIR, one that is not a directory, and one holding nothing the embedded store writes. */
async function checkSource(dataDir: string): Promise<void> {
  try {
    if (!(await stat(dataDir)).isDirectory()) throw new ImportRefusedError('not_a_store', `${dataDir} is not a directory`);
  } catch (err) {
    if (err instanceof ImportRefusedError) throw err;
    throw new ImportRefusedError('missing', `DATA_DIR ${dataDir} does not exist (${(err as NodeJS.ErrnoException).code})`);
  }
  for (const entry of STORE_ENTRIES) if (await stat(join(dataDir, entry)).catch(() => undefined)) return;
  throw new ImportRefusedError('not_a_store', `${dataDir} is not a fleetgate DATA_DIR (none of ${STORE_ENTRIES.slice(0, 3).join(', ')}, … in it)`);
}

/** Refuses a database holding tables that are not fleetgate's (a wrong URL must not get our schema added). */
async function checkForeign(url: string, where: string): Promise<void> {
  const sql = connect(url, { max: 1, applicationName: 'fleetgate db import' });
  try {
    const [row] = await sql<{ tables: number; ours: boolean }[]>`
      SELECT count(*)::int AS tables, to_regclass('fleetgate_migrations') IS NOT NULL AS ours FROM pg_tables WHERE schemaname = current_schema()`;
    if (row!.tables > 0 && !row!.ours) {
      throw new ImportRefusedError('not_empty', `the database at ${where} holds ${count(row!.tables, 'table')} and no fleetgate schema: point --database-url at an empty database`);
    }
  } catch (err) {
    if (err instanceof ImportRefusedError) throw err;
    throw new ImportRefusedError('unreachable', `cannot reach the database at ${where}: ${(err as Error).message}`);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** What the database holds already, per kind with anything (counts capped at COUNT_CAP). */
export async function presentKinds(sql: Sql): Promise<{ kind: string; rows: number }[]> {
  const out: { kind: string; rows: number }[] = [];
  for (const imp of IMPORTERS) {
    const rows = await imp.present(sql);
    if (rows > 0) out.push({ kind: imp.kind, rows });
  }
  return out;
}

export async function importEmbedded(o: ImportOptions): Promise<ImportReport> {
  const started = Date.now();
  const now = o.now ?? started;
  const where = describeDatabaseUrl(o.databaseUrl);
  await checkSource(o.dataDir);
  let lock;
  try {
    lock = await lockDataDir(o.dataDir);
  } catch (err) {
    throw new ImportRefusedError(err instanceof DataDirInUseError ? 'in_use' : 'missing', (err as Error).message);
  }
  try {
    await checkForeign(o.databaseUrl, where);
    const target = await openPostgresStore(o.databaseUrl, { poolSize: 4, now, ...(o.logger ? { logger: o.logger } : {}) }).catch((err: Error) => {
      throw new ImportRefusedError('unreachable', `cannot open the database at ${where}: ${err.message}`);
    });
    try {
      const present = await presentKinds(target.sql);
      if (present.length > 0 && !o.force) {
        const what = present.map((p) => `${p.kind} ${p.rows > COUNT_CAP ? `${n(COUNT_CAP)}+` : n(p.rows)}`).join(', ');
        throw new ImportRefusedError('not_empty', `the database at ${where} is not empty (${what}); give --force to import into it anyway (nothing there is lowered, duplicated or replaced)`);
      }
      const source = await openEmbeddedStore(o.dataDir, {
        fsync: true,
        now,
        sharedMacWindowMs: o.sharedMacWindowMs,
        // Opening must not apply the installation's retention: every stored report and event moves.
        diagnosticsRetentionDays: 36_500,
        eventsRetentionDays: 36_500,
        firmwareDir: o.firmwareDir,
        ...(o.logger ? { logger: o.logger } : {}),
      });
      try {
        const verifyKeys = o.keysDir ? await loadPublicKeys(o.keysDir).catch((): PublicKeys | undefined => undefined) : undefined;
        const ctx = { source, target, fresh: present.length === 0, now, firmware: { dir: new FirmwareDir(o.firmwareDir), verifyKeys }, progress: o.progress ?? (() => undefined) };
        const kinds: KindReport[] = [];
        for (const imp of IMPORTERS) {
          const t = Date.now();
          const result = await imp.copy(ctx).catch((err: unknown) => {
            throw new ImportStoppedError(imp.kind, err);
          });
          kinds.push({ kind: imp.kind, repository: imp.repository, ...result, ms: Date.now() - t });
        }
        return { source: o.dataDir, database: where, merged: present.length > 0, kinds, ms: Date.now() - started };
      } finally {
        await source.close();
      }
    } finally {
      await target.close();
    }
  } finally {
    await lock.release();
  }
}
