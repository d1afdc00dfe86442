/**
 * Opens the embedded store in DATA_DIR: lowdb documents for records, JSONL for time series and
 * the nonce journal. This is the one place that knows the concrete implementation.
 */
import { mkdir, stat } from 'node:fs/promises';
import type { Logger } from '../logger.ts';
import { AppendWriter, PRIVATE_DIR_MODE } from './append-writer.ts';
import { LowdbDeviceRepo } from './device-repo.ts';
import { FileNonceLedger } from './nonce-ledger.ts';
import { FileSharedMacRegistry } from './shared-mac-registry.ts';
import { JsonlTelemetryLog, type TelemetryLogOptions } from './telemetry-log.ts';
import type { Store } from './types.ts';

export type * from './types.ts';

export interface StoreOptions {
  fsync: boolean;
  logger?: Logger;
  /** How long a raw fleet-key MAC stays bound to the shared device that used it first. */
  sharedMacWindowMs?: number;
  now?: number;
  /** Flush and checkpoint timing of the telemetry log (tests pin them to decide what is on disk). */
  telemetry?: Pick<TelemetryLogOptions, 'flushMs' | 'maxStagedBytes' | 'checkpointBytes' | 'checkpointMs'>;
}

export interface EmbeddedStore extends Store {
  /** Shared group-commit appender for feature modules that keep their own JSONL files. */
  readonly writer: AppendWriter;
  readonly telemetry: JsonlTelemetryLog;
}

export async function openStore(dataDir: string, options: StoreOptions): Promise<EmbeddedStore> {
  await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = await stat(dataDir);
  if ((mode & 0o077) !== 0) {
    options.logger?.warn(
      { data_dir: dataDir, mode: (mode & 0o777).toString(8) },
      'DATA_DIR is readable by group or others (device ids, telemetry, nonce state): chmod 700 it',
    );
  }
  const writer = new AppendWriter({ fsync: options.fsync });
  const [devices, nonces, sharedMacs] = await Promise.all([
    LowdbDeviceRepo.open(dataDir),
    FileNonceLedger.open(dataDir, writer),
    FileSharedMacRegistry.open(dataDir, writer, options.sharedMacWindowMs ?? 86_400_000, options.now ?? Date.now()),
  ]);
  // After the ledger: recovering the WAL hands the nonce states it carries to the ledger.
  const telemetry = await JsonlTelemetryLog.open(dataDir, {
    ...options.telemetry,
    fsync: options.fsync,
    logger: options.logger,
    nonceSink: nonces,
  });
  nonces.carryNoncesIn(telemetry);
  return {
    dataDir,
    writer,
    devices,
    nonces,
    sharedMacs,
    telemetry,
    close: async () => {
      await telemetry.close();
      await writer.close();
    },
  };
}
