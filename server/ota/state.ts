/**
 * What the OTA feature remembers, as a repository interface: per device (the version it runs, the
 * highest security counter it reported or completed — the anti-rollback floor), its download
 * session (sessions.ts), and per-version counters. Every read-modify-write is one method, so a SQL
 * store can make each one statement; state-lowdb.ts is the embedded implementation. Chunk and
 * range accounting (`recordChunk`, `recordDownload`) happen per request on the hot path and may be
 * written behind (the lowdb store flushes them within a second and at shutdown): they are progress
 * hints and statistics, not decisions. Everything that decides something — a session's creation,
 * replacement or end, a device's counter floor, a result — is durable before the route answers.
 */
import type { OtaSession, SessionImage } from './sessions.ts';

export interface DeviceOtaResult {
  version: string;
  success: boolean;
  error: string | null;
  at: number;
}

export interface DeviceOtaState {
  device_id: string;
  /** Last version the device reported on /ota/check, or completed successfully. */
  current_version: string | null;
  /** Highest security_counter the device reported on /ota/check. */
  reported_counter: number;
  /** Highest security_counter of an image the device reported as installed. */
  completed_counter: number;
  last_check_at: number | null;
  last_result: DeviceOtaResult | null;
  successes: number;
  failures: number;
}

export interface VersionCounters {
  sessions_started: number;
  sessions_resumed: number;
  sessions_replaced: number;
  successes: number;
  failures: number;
  chunks_served: number;
  chunk_bytes: number;
  /** Requests answered with image bytes by GET /ota/firmware/:version (200 or 206). */
  downloads: number;
  download_bytes: number;
}

export const ZERO_COUNTERS: Readonly<VersionCounters> = Object.freeze({
  sessions_started: 0,
  sessions_resumed: 0,
  sessions_replaced: 0,
  successes: 0,
  failures: 0,
  chunks_served: 0,
  chunk_bytes: 0,
  downloads: 0,
  download_bytes: 0,
});

export type OpenOutcome = 'created' | 'resumed' | 'replaced';

export interface CompletionReport {
  version: string;
  success: boolean;
  error: string | null;
  /** security_counter of the reported version when the catalog still has it. */
  counter: number | null;
}

export interface CompletionOutcome {
  /** False for a repeated report (no session, same result as the last one): not counted again. */
  counted: boolean;
  /** The session this report closed, if any. */
  session: OtaSession | null;
  device: DeviceOtaState;
  /** Rollout of the closed session (null: decide by coverage, or none). */
  rollout_id: string | null;
}

export interface OtaStateRepo {
  device(deviceId: string): Promise<DeviceOtaState | undefined>;
  devices(): Promise<DeviceOtaState[]>;
  session(deviceId: string): Promise<OtaSession | undefined>;
  sessions(): Promise<OtaSession[]>;
  /** Per-version counters, keyed by version (a null-prototype object). */
  versionCounters(): Promise<Record<string, VersionCounters>>;

  /** /ota/check: remember the running version, raise the reported counter floor. */
  noteCheck(deviceId: string, report: { version: string; counter: number | null }, now: number): Promise<DeviceOtaState>;
  /** /ota/initiate: create, resume or replace the device's session (sessions.ts decideOpen; throws its 409). */
  openSession(
    deviceId: string,
    image: SessionImage,
    rolloutId: string | null,
    now: number,
    idleMs: number,
    newId: () => string,
  ): Promise<{ session: OtaSession; outcome: OpenOutcome; replaced: OtaSession | null }>;
  /** /ota/chunk: check the session (throws its 409) and account one served chunk. May be written behind. */
  recordChunk(deviceId: string, version: string, chunkRoot: string, index: number, bytes: number, now: number): Promise<OtaSession>;
  /** /ota/firmware: account one answer with image bytes. May be written behind (never fails the answer). */
  recordDownload(version: string, bytes: number): void;
  /** /ota/complete: close the session, record the result, raise the completed counter on success. */
  complete(deviceId: string, report: CompletionReport, now: number): Promise<CompletionOutcome>;

  /** Persist anything written behind. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function emptyDeviceState(deviceId: string): DeviceOtaState {
  return {
    device_id: deviceId,
    current_version: null,
    reported_counter: 0,
    completed_counter: 0,
    last_check_at: null,
    last_result: null,
    successes: 0,
    failures: 0,
  };
}

/** The anti-rollback floor: never offer an image whose security_counter is below it. */
export function counterFloor(state: DeviceOtaState | undefined): number {
  return state ? Math.max(state.reported_counter, state.completed_counter) : 0;
}
