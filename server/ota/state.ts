/**
 * What the OTA feature remembers, as a repository interface: per device (the version it runs, the
 * highest security counter it reported or completed — the anti-rollback floor), its download
 * session (sessions.ts), and per-version counters. Every read-modify-write is one method, so a SQL
 * store can make each one statement or transaction, and the decisions themselves are the pure
 * functions at the end of this file, which every store applies (server/store/embedded/
 * ota-state-repo.ts, server/store/postgres/ota-state.ts), so both decide identically. Chunk and
 * range accounting (`recordChunk`, `recordDownload`) happen per request on the hot path and may be
 * written behind (the lowdb store flushes them within a second and at shutdown): they are progress
 * hints and statistics, not decisions. Everything that decides something — a session's creation,
 * replacement or end, a device's counter floor, a result — is durable before the route answers.
 */
import { decideOpen, finishSession, newSession, type OtaSession, type SessionImage } from './sessions.ts';

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
  /**
   * The device's latest results, newest first, at most OTA_HISTORY_LIMIT (a repeated report is not
   * a new one). Absent in records written before it was kept.
   */
  history?: DeviceOtaResult[];
  successes: number;
  failures: number;
}

/**
 * Results kept per device: enough to see a pattern (failed, failed, rolled back). The whole list is
 * in every write of the device's record (the embedded store journals whole records, ~1 kB each with
 * ten results) and in the embedded snapshot, ~7 MB of its ~15 MB at 10,000 devices.
 */
export const OTA_HISTORY_LIMIT = 10;

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

  /**
   * The cleanup job (once per fleet): closes every active session without a request since
   * `silentSince` as abandoned (sessions.ts abandonIfSilent); resolves with those it closed.
   */
  abandonSilent(silentSince: number, now: number): Promise<OtaSession[]>;

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
    history: [],
    successes: 0,
    failures: 0,
  };
}

/** The anti-rollback floor: never offer an image whose security_counter is below it. */
export function counterFloor(state: DeviceOtaState | undefined): number {
  return state ? Math.max(state.reported_counter, state.completed_counter) : 0;
}

/** Counter increments for one version, as a store adds them. */
export interface CounterBump {
  version: string;
  delta: Partial<VersionCounters>;
}

/** The device's state after /ota/check reported `report`. */
export function afterCheck(prev: DeviceOtaState | undefined, deviceId: string, report: { version: string; counter: number | null }, now: number): DeviceOtaState {
  const base = prev ?? emptyDeviceState(deviceId);
  return { ...base, current_version: report.version, reported_counter: Math.max(base.reported_counter, report.counter ?? 0), last_check_at: now };
}

export interface OpenResult {
  session: OtaSession;
  outcome: OpenOutcome;
  replaced: OtaSession | null;
}

/**
 * What initiating `image` does given the device's current session (throws decideOpen's 409): the
 * session to store as the device's current one, and the counters to bump.
 */
export function openResult(
  existing: OtaSession | undefined,
  deviceId: string,
  image: SessionImage,
  rolloutId: string | null,
  now: number,
  idleMs: number,
  newId: () => string,
): OpenResult & { bumps: CounterBump[] } {
  const decision = decideOpen(existing, image, now, idleMs);
  const bumps: CounterBump[] = [];
  if (decision.action === 'resume') {
    bumps.push({ version: image.version, delta: { sessions_resumed: 1 } });
    return { session: { ...existing!, last_activity_at: now }, outcome: 'resumed', replaced: null, bumps };
  }
  const session = newSession(newId(), deviceId, image, rolloutId, now);
  let replaced: OtaSession | null = null;
  if (decision.action === 'replace') {
    replaced = { ...existing!, status: 'replaced', finished_at: now };
    bumps.push({ version: existing!.version, delta: { sessions_replaced: 1 } });
  }
  bumps.push({ version: image.version, delta: { sessions_started: 1 } });
  return { session, outcome: replaced ? 'replaced' : 'created', replaced, bumps };
}

/**
 * What a result report does: closes the device's active session for that version, records the
 * result, raises the completed counter on success. `counted` is false for a device repeating its
 * last report (new nonce, same words: no session to close, same version and outcome as the last
 * result) — it must not skew success rates, whichever gateway the repeat reaches.
 */
export function completionResult(
  prev: DeviceOtaState | undefined,
  deviceId: string,
  active: OtaSession | undefined,
  report: CompletionReport,
  now: number,
): { counted: boolean; session: OtaSession | null; device: DeviceOtaState; bumps: CounterBump[] } {
  const base = prev ?? emptyDeviceState(deviceId);
  const closes = active !== undefined && active.status === 'active' && active.version === report.version;
  const last = base.last_result;
  const counted = closes || !(last && last.version === report.version && last.success === report.success);
  const session = closes ? finishSession(active, report.success, report.error, now) : null;
  const result: DeviceOtaResult = { version: report.version, success: report.success, error: report.error, at: now };
  const device: DeviceOtaState = {
    ...base,
    last_result: result,
    // A repeat (not counted) moves the time of the entry it repeats, as it moves last_result's.
    history: counted ? [result, ...(base.history ?? [])].slice(0, OTA_HISTORY_LIMIT) : repeated(base.history ?? [], result),
    successes: base.successes + (counted && report.success ? 1 : 0),
    failures: base.failures + (counted && !report.success ? 1 : 0),
  };
  if (report.success) {
    device.current_version = report.version;
    device.completed_counter = Math.max(base.completed_counter, report.counter ?? 0);
  }
  const bumps: CounterBump[] = counted ? [{ version: report.version, delta: report.success ? { successes: 1 } : { failures: 1 } }] : [];
  return { counted, session, device, bumps };
}

/** The history with its newest entry's time moved to a repeat's, if the repeat is of that entry. */
function repeated(history: DeviceOtaResult[], result: DeviceOtaResult): DeviceOtaResult[] {
  const [newest, ...rest] = history;
  return newest && newest.version === result.version && newest.success === result.success ? [result, ...rest] : history;
}

/** `base` plus `delta`, field by field. */
export function addCounters(base: VersionCounters, delta: Partial<VersionCounters>): VersionCounters {
  const out = { ...base };
  for (const k of Object.keys(delta) as (keyof VersionCounters)[]) out[k] += delta[k] ?? 0;
  return out;
}
