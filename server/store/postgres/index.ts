/**
 * The PostgreSQL store: every repository on one database that any number of gateway replicas
 * share (DATABASE_URL). Opening it applies pending migrations (under an advisory lock, so replicas
 * starting together do not race), makes sure the coming days' telemetry partitions exist, and
 * starts listening for the changes other replicas make to what this one caches (devices, offline
 * devices, rollouts, firmware images, releases).
 * Background jobs run in the replica holding their lease (leases.ts).
 */
import type { Logger } from '../../logger.ts';
import type { Store } from '../types.ts';
import { PgAuditRepo } from './audit.ts';
import { PgCommandRepo } from './commands.ts';
import { CONFIG_WRITE_WAIT_MS } from '../../remote-config/repo.ts';
import { PgConfigRepo, configSnapshot, configWriter } from './config.ts';
import { connect, describeDatabaseUrl, type Sql } from './connect.ts';
import { PgDeviceRepo } from './devices.ts';
import { PgDiagnosticsRepo } from './diagnostics.ts';
import { PgEventRepo } from './events.ts';
import { PgFirmwareImages } from './firmware-images.ts';
import { Leases, openLeaseConnection } from './leases.ts';
import { migrate, migrationStatus } from './migrate.ts';
import { PgNonceLedger } from './nonces.ts';
import { NotificationWatch, openHeartbeatConnection } from './notification-watch.ts';
import { PgNotifyCooldowns } from './notify-cooldowns.ts';
import { PgOtaStateRepo } from './ota-state.ts';
import { PgReleaseRepo } from './releases.ts';
import { PgRolloutRepo } from './rollouts.ts';
import { PgSecurityStatsRepo } from './security-stats.ts';
import { PgSharedMacRegistry } from './shared-macs.ts';
import { PgTelemetryLog } from './telemetry.ts';
import { PgTokenRepo } from './tokens.ts';
import { PgConsoleSessionRepo } from './console-sessions.ts';
import { PgFleetActivityRepo } from './fleet-activity.ts';

export interface PostgresStoreOptions {
  logger?: Logger;
  now?: number;
  /** Connections in this replica's pool. */
  poolSize?: number;
  sharedMacWindowMs?: number;
  diagnosticsRetentionDays?: number;
  eventsRetentionDays?: number;
  /** How long a configuration change waits for the config lock (default CONFIG_WRITE_WAIT_MS). */
  configWriteWaitMs?: number;
  /** DATABASE_QUERY_TIMEOUT_SECONDS (connect.ts); unset: no limit. */
  queryTimeoutSeconds?: number;
  /** Apply pending migrations at open (the gateway does; `fleetgate db status` does not). */
  migrate?: boolean;
}

export interface PostgresStore extends Store {
  readonly backend: 'postgres';
  readonly sql: Sql;
  readonly nonces: PgNonceLedger;
  readonly telemetry: PgTelemetryLog;
  readonly leases: Leases;
  /** Whether the database answers and no migration is pending (GET /health/ready). */
  ready(): Promise<{ ok: boolean; reason?: string }>;
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const logger = options.logger;
  const sql = connect(url, {
    max: options.poolSize ?? 20,
    onNotice: (m) => logger?.debug({ notice: m }, 'postgres notice'),
    ...(options.queryTimeoutSeconds ? { queryTimeoutSeconds: options.queryTimeoutSeconds } : {}),
  });
  // Caches filled from the database are used only while notifications reach this replica; the
  // heartbeats that tell go on a connection of their own.
  const heard = new NotificationWatch(sql, openHeartbeatConnection(url));
  try {
    if (options.migrate !== false) {
      // On a connection of their own: a migration may rightly take longer than any query limit.
      const migrator = connect(url, { max: 1, onNotice: (m) => logger?.debug({ notice: m }, 'postgres notice') });
      try {
        const applied = await migrate(migrator);
        if (applied.length > 0) logger?.info({ migrations: applied }, 'database migrations applied');
        const { ahead } = await migrationStatus(migrator);
        // A rolling upgrade in progress: a newer replica migrated the schema (additively); say so.
        if (ahead.length > 0) logger?.warn({ migrations: ahead.map((m) => m.version) }, 'the database has migrations newer than this build (applied by a newer version); running on it');
      } finally {
        await migrator.end({ timeout: 5 });
      }
    }
    const devices = new PgDeviceRepo(sql, heard.channel());
    await devices.listen();
    const rollouts = new PgRolloutRepo(sql, heard);
    await rollouts.listen();
    const releases = new PgReleaseRepo(sql, heard);
    await releases.listen();
    const otaState = new PgOtaStateRepo(sql, logger);
    const firmware = new PgFirmwareImages(sql, describeDatabaseUrl(url), heard.channel());
    await firmware.listen();
    await heard.start();
    const events = new PgEventRepo(sql, options.eventsRetentionDays ?? 365, heard.channel());
    await events.listen();
    const config = new PgConfigRepo(sql);
    await config.init(options.now ?? Date.now());
    const telemetry = new PgTelemetryLog(sql);
    await telemetry.ensurePartitions(options.now ?? Date.now());
    // On a connection of its own, closed (not pooled) when in doubt: see leases.ts.
    const leases = new Leases(() => openLeaseConnection(url));
    const sharedMacs = new PgSharedMacRegistry(sql, options.sharedMacWindowMs ?? 86_400_000);
    const store: PostgresStore = {
      backend: 'postgres',
      location: describeDatabaseUrl(url),
      sql,
      devices,
      nonces: new PgNonceLedger(sql),
      sharedMacs,
      telemetry,
      leases,
      otaState,
      rollouts,
      releases,
      firmware,
      tokens: new PgTokenRepo(sql),
      consoleSessions: new PgConsoleSessionRepo(sql),
      fleetActivity: new PgFleetActivityRepo(sql),
      commands: new PgCommandRepo(sql),
      config,
      diagnostics: new PgDiagnosticsRepo(sql, options.diagnosticsRetentionDays ?? 120),
      events,
      audit: new PgAuditRepo(sql),
      securityStats: new PgSecurityStatsRepo(sql),
      notifyCooldowns: new PgNotifyCooldowns(sql),
      exclusive: async (job, run) => ((await leases.hold(job)) ? run() : undefined),
      configWrite: configWriter(sql, devices, options.configWriteWaitMs ?? CONFIG_WRITE_WAIT_MS),
      configSnapshot: (read) => configSnapshot(sql, devices, read),
      maintain: async (now) => {
        await telemetry.ensurePartitions(now);
        await sharedMacs.prune(now);
      },
      ready: async () => {
        try {
          const status = await migrationStatus(sql);
          if (status.pending.length > 0) return { ok: false, reason: `migrations pending: ${status.pending.map((m) => m.version).join(', ')}` };
          return { ok: true };
        } catch (err) {
          return { ok: false, reason: `database unreachable: ${(err as Error).message}` };
        }
      },
      close: async () => {
        await otaState.close().catch((err: unknown) => logger?.error({ err }, 'OTA progress lost at close'));
        await leases.close();
        await rollouts.close();
        await releases.close();
        await firmware.close();
        await devices.close();
        await events.close();
        await heard.close();
        await sql.end({ timeout: 5 });
      },
    };
    return store;
  } catch (err) {
    await heard.close();
    await sql.end({ timeout: 1 }).catch(() => undefined);
    throw err;
  }
}
