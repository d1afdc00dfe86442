/**
 * Opens the embedded store in DATA_DIR: lowdb documents for small records, snapshots with journals
 * for the large tables (devices, commands, OTA state), JSONL for time series and the nonce journal,
 * group-committed by one AppendWriter. One gateway process owns a DATA_DIR, so
 * every background job runs here (`exclusive` just runs it).
 */
import { stat } from 'node:fs/promises';
import { makeDir } from '../../make-dir.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import type { Store } from '../types.ts';
import { AppendWriter, PRIVATE_DIR_MODE } from './append-writer.ts';
import { FileAuditRepo } from './audit-repo.ts';
import { JournalCommandRepo } from './command-repo.ts';
import { LowdbConfigRepo } from './config-repo.ts';
import { JournalDeviceRepo } from './device-repo.ts';
import { FileDiagnosticsRepo } from './diagnostics-repo.ts';
import { FileEventRepo } from './event-repo.ts';
import { FirmwareDir } from './firmware-images.ts';
import { FileNonceLedger } from './nonce-ledger.ts';
import { JournalOtaStateRepo } from './ota-state-repo.ts';
import { LowdbReleaseRepo } from './release-repo.ts';
import { LowdbRolloutRepo } from './rollout-repo.ts';
import { FileSecurityStatsRepo } from './security-stats-repo.ts';
import { FileSharedMacRegistry } from './shared-mac-registry.ts';
import { LowdbTokenRepo } from './token-repo.ts';
import { LowdbConsoleSessionRepo } from './console-session-repo.ts';
import { LowdbFleetActivityRepo } from './fleet-activity-repo.ts';
import type { JournaledTablesOptions } from './journaled-tables.ts';
import { JsonlTelemetryLog, type TelemetryLogOptions } from './telemetry-log.ts';
import { MemoryNotifyCooldowns } from './notify-cooldowns.ts';
import { Turns } from '../turns.ts';
import { CONFIG_WRITE_WAIT_MS, configBusy } from '../../remote-config/repo.ts';

export interface EmbeddedStoreOptions {
  fsync: boolean;
  logger?: Logger;
  /** Epoch ms at open (tests pass a fake clock's). */
  now?: number;
  /** How long a raw fleet-key MAC stays bound to the shared device that used it first. */
  sharedMacWindowMs?: number;
  diagnosticsRetentionDays?: number;
  eventsRetentionDays?: number;
  /** FIRMWARE_DIR: where the packager puts images and the gateway reads them (default "firmware-images"). */
  firmwareDir?: string;
  /** How long a configuration change waits for its turn (default CONFIG_WRITE_WAIT_MS). */
  configWriteWaitMs?: number;
  /** Flush and checkpoint timing of the telemetry log (tests pin them to decide what is on disk). */
  telemetry?: Pick<TelemetryLogOptions, 'flushMs' | 'maxStagedBytes' | 'checkpointBytes' | 'checkpointMs'>;
  /** Compaction of the device registry's journal (crash tests compact often and stop at each step). */
  devicesJournal?: Omit<JournaledTablesOptions, 'logger'>;
}

export interface EmbeddedStore extends Store {
  readonly backend: 'embedded';
  readonly dataDir: string;
  /** The group-commit appender every JSONL file here goes through. */
  readonly writer: AppendWriter;
  readonly devices: JournalDeviceRepo;
  readonly nonces: FileNonceLedger;
  readonly telemetry: JsonlTelemetryLog;
  readonly sharedMacs: FileSharedMacRegistry;
  readonly commands: JournalCommandRepo;
  readonly diagnostics: FileDiagnosticsRepo;
  readonly events: FileEventRepo;
  readonly audit: FileAuditRepo;
  readonly firmware: FirmwareDir;
  readonly consoleSessions: LowdbConsoleSessionRepo;
  readonly releases: LowdbReleaseRepo;
  readonly rollouts: LowdbRolloutRepo;
}

export async function openEmbeddedStore(dataDir: string, options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const now = options.now ?? Date.now();
  const logger = options.logger;
  await makeDir(dataDir, PRIVATE_DIR_MODE);
  const { mode } = await stat(dataDir);
  if ((mode & 0o077) !== 0) {
    logger?.warn(
      { data_dir: dataDir, mode: (mode & 0o777).toString(8) },
      'DATA_DIR is readable by group or others (device ids, telemetry, nonce state): chmod 700 it',
    );
  }
  const writer = new AppendWriter({ fsync: options.fsync });
  // Each needs the other: the device repository stamps config versions on tag changes, the
  // config repository reads a device's tags with its layers.
  let deviceTags: (deviceId: string) => readonly string[] = () => [];
  const config = await LowdbConfigRepo.open(dataDir, now, (id) => deviceTags(id));
  const [devices, nonces, sharedMacs] = await Promise.all([
    JournalDeviceRepo.open(dataDir, writer, config, { ...options.devicesJournal, logger }),
    FileNonceLedger.open(dataDir, writer),
    FileSharedMacRegistry.open(dataDir, writer, options.sharedMacWindowMs ?? 86_400_000, now),
  ]);
  deviceTags = (id) => devices.peek(id)?.tags ?? [];
  // After the ledger: recovering the WAL hands the nonce states it carries to the ledger.
  const telemetry = await JsonlTelemetryLog.open(dataDir, { ...options.telemetry, fsync: options.fsync, logger, nonceSink: nonces });
  nonces.carryNoncesIn(telemetry);
  const [commands, diagnostics, events, otaState, rollouts, releases, securityStats, tokens, consoleSessions, fleetActivity] = await Promise.all([
    JournalCommandRepo.open(dataDir, writer),
    FileDiagnosticsRepo.open(dataDir, writer, options.diagnosticsRetentionDays ?? 120, now),
    FileEventRepo.open(dataDir, writer, options.eventsRetentionDays ?? 365),
    JournalOtaStateRepo.open(dataDir, writer, logger ?? silentLogger()),
    LowdbRolloutRepo.open(dataDir, writer),
    LowdbReleaseRepo.open(dataDir),
    FileSecurityStatsRepo.open(dataDir),
    LowdbTokenRepo.open(dataDir),
    LowdbConsoleSessionRepo.open(dataDir),
    LowdbFleetActivityRepo.open(dataDir),
  ]);
  // Configuration changes checked against the fleet, one at a time (Store.configWrite). The
  // repositories' own reads and writes are synchronous steps over memory, so while one change
  // holds its turn no other checked change can move what it read. Snapshots take a turn too.
  const waitMs = options.configWriteWaitMs ?? CONFIG_WRITE_WAIT_MS;
  const configTurns = new Turns(waitMs, () => configBusy(waitMs));
  const configScope = { config, devices };
  return {
    backend: 'embedded',
    location: dataDir,
    dataDir,
    writer,
    devices,
    nonces,
    sharedMacs,
    telemetry,
    commands,
    config,
    diagnostics,
    events,
    audit: new FileAuditRepo(dataDir, writer),
    otaState,
    rollouts,
    releases,
    firmware: new FirmwareDir(options.firmwareDir ?? 'firmware-images'),
    securityStats,
    tokens,
    consoleSessions,
    fleetActivity,
    notifyCooldowns: new MemoryNotifyCooldowns(),
    exclusive: async (_job, run) => run(),
    configWrite: (work) => configTurns.run(() => work(configScope)),
    configSnapshot: (read) => configTurns.run(() => read(configScope)),
    ready: async () => ({ ok: true }),
    maintain: async () => undefined,
    close: () =>
      closeAll([
        () => devices.close(),
        () => otaState.close(),
        () => commands.close(),
        () => rollouts.close(),
        () => diagnostics.close(),
        () => telemetry.close(),
        () => writer.close(),
      ]),
  };
}

/**
 * Closes each part in turn, every one even when an earlier one fails (a failed device journal
 * write at shutdown must not leave the OTA state uncompacted or the telemetry unflushed); then
 * throws the first failure.
 */
export async function closeAll(parts: (() => Promise<void>)[]): Promise<void> {
  let failure: { err: unknown } | undefined;
  for (const close of parts) {
    try {
      await close();
    } catch (err) {
      failure ??= { err };
    }
  }
  if (failure) throw failure.err;
}
