/**
 * The storage contract of the gateway: the Store, the core repositories (devices, nonces,
 * telemetry) defined here, and the feature repositories each feature defines beside its code
 * (commands/repo.ts, remote-config/repo.ts, …). Routes and domain modules only see these
 * interfaces. Rule for every method: one call is one atomic read-modify-write, so each maps to one
 * SQL statement or transaction — callers never read, decide and write back in separate steps.
 * The one exception is a configuration change checked against the whole fleet (`Store.configWrite`):
 * it reads, decides and writes inside one step the store provides.
 */

import type { AuditRepo } from '../audit/log.ts';
import type { CommandRepo } from '../commands/repo.ts';
import type { DiagnosticsRepo } from '../diagnostics/repo.ts';
import type { EventRepo } from '../events/repo.ts';
import type { FirmwareImageRepo } from '../ota/image-store.ts';
import type { NotifyCooldownRepo } from '../notify/cooldowns.ts';
import type { ReleaseRepo } from '../ota/releases-repo.ts';
import type { RolloutRepo } from '../ota/rollouts-repo.ts';
import type { OtaStateRepo } from '../ota/state.ts';
import type { ConfigRepo } from '../remote-config/repo.ts';
import type { SecurityStatsRepo } from '../security/stats.ts';
import type { TokenRepo } from '../auth/tokens.ts';
import type { ConsoleSessionRepo } from '../ui/sessions-repo.ts';
import type { FleetActivityRepo } from '../fleet/activity-repo.ts';

export type KeyMode = 'derived' | 'shared';

export interface DeviceRecord {
  device_id: string;
  created_at: string;
  /**
   * derived: key = HMAC(master, id, version) (server/devices/keys.ts).
   * shared: a legacy device listed by an admin; it signs with the fleet-wide HMAC_PSK itself
   * (raw, field firmware) or with HMAC(HMAC_PSK, id) (re-flashed firmware, the id bound).
   */
  key_mode: KeyMode;
  key_version: number;
  /** The key before the last rotation, still accepted until `previous_key_expires_at`. */
  previous_key_version?: number;
  /** Mode of that previous key (a shared device rotated to its own key keeps the fleet key for the grace period). */
  previous_key_mode?: KeyMode;
  previous_key_expires_at?: string;
  rotated_at?: string;
  revoked_at?: string;
  reinstated_at?: string;
  /**
   * Shared devices: when the device first signed with its id-bound key HMAC(HMAC_PSK, id). From
   * then on the raw fleet key is refused for it, so replays of other devices' raw traffic and a
   * downgrade to the raw key cannot touch it.
   */
  psk_bound_at?: string;
  /** Device groups (server/devices/tags.ts): sorted, unique. Absent = none. */
  tags?: string[];
}

export type RotateOutcome = { outcome: 'rotated'; device: DeviceRecord } | { outcome: 'unknown' } | { outcome: 'revoked' };
export type ReinstateOutcome = { outcome: 'reinstated'; device: DeviceRecord } | { outcome: 'unknown' } | { outcome: 'not_revoked'; device: DeviceRecord };

export interface DeviceRepo {
  get(deviceId: string): Promise<DeviceRecord | undefined>;
  /** Every device, ordered by id. */
  list(): Promise<DeviceRecord[]>;
  /** Inserts; resolves false (nothing written) if the id exists. */
  create(record: DeviceRecord): Promise<boolean>;
  /** Those of `ids` that are registered (revoked ones too), in the order given. */
  existing(ids: readonly string[]): Promise<string[]>;
  /** Inserts all or none: resolves with the ids that already exist (then nothing was written). */
  createMany(records: readonly DeviceRecord[]): Promise<string[]>;
  /**
   * Gives the device its next derived key version (a shared device becomes derived). The old key
   * stays valid for `graceMs` (0: dead at once).
   */
  rotateKey(deviceId: string, now: number, graceMs: number): Promise<RotateOutcome>;
  /** Marks revoked; undefined if unknown. Idempotent. */
  revoke(deviceId: string, now: number): Promise<DeviceRecord | undefined>;
  /** A revoked device back in service with a new derived key version and no previous key. */
  reinstate(deviceId: string, now: number): Promise<ReinstateOutcome>;
  /** Notes that a shared device signs with its id-bound key (see DeviceRecord.psk_bound_at). Idempotent. */
  markPskBound(deviceId: string, now: number): Promise<void>;
  /**
   * Replaces a device's tags (already validated, sorted and unique); undefined if unknown. If that
   * adds or removes a tag with a config layer, the device gets a new config membership version in
   * the same step, under the config lock (remote-config/repo.ts, MembershipStamps).
   */
  setTags(deviceId: string, tags: readonly string[], now: number): Promise<TagChange | undefined>;
}

/** What DeviceRepo.setTags did. */
export interface TagChange {
  record: DeviceRecord;
  /** The tags the device had before. */
  previous: string[];
  /** The config version the change stamped on the device (it changed which tag layers apply), else null. */
  config_version: number | null;
}

/**
 * Fleet-wide memory of messages signed with the raw fleet key (HMAC_PSK): that MAC does not cover
 * the device id, so the same message could be re-posted as any other shared device. Each
 * fingerprint belongs to the first device that used it, for a window.
 */
export interface SharedMacRegistry {
  /** Binds `fingerprint` to `deviceId` unless already bound; resolves with its owner. */
  bind(fingerprint: string, deviceId: string, now: number): Promise<string>;
}

/** A reply kept with the nonce so an exact retransmission is answered again, not re-executed. */
export interface StoredReply {
  status: number;
  /** Response body bytes, base64. */
  body: string;
  headers?: Record<string, string>;
  /**
   * A streamed download (server/http/device-request.ts): `body` is empty and `headers` hold the
   * ETag and the extent (Content-Range or Content-Length) the route serves again.
   */
  streamed?: boolean;
}

export interface NonceState {
  nonce: number;
  /** Lowercase hex MAC/signature of the accepted message: a retransmission repeats it exactly. */
  mac: string;
  /** Epoch ms when the message was accepted: the device's last-seen time. */
  seen_at: number;
  reply?: StoredReply;
}

export type Claim =
  | {
      outcome: 'fresh';
      /** Makes the nonce durable (with the reply to repeat for a retransmission). */
      commit(reply?: StoredReply): Promise<void>;
      /** Gives the nonce back (the request failed before any effect). */
      abort(): void;
    }
  | { outcome: 'duplicate'; reply?: StoredReply }
  | { outcome: 'replay'; lastNonce: number };

/** What views need of a device's nonce state: its last accepted nonce and when (last seen). */
export interface NonceSummary {
  nonce: number;
  seen_at: number;
}

export type UploadOutcome = { outcome: 'accepted' } | { outcome: 'duplicate' } | { outcome: 'replay'; lastNonce: number };

export interface NonceLedger {
  /**
   * The anti-replay check-and-set: fresh if `nonce` is above the device's last accepted nonce;
   * duplicate if it equals it with the same MAC; otherwise replay.
   */
  claim(deviceId: string, nonce: number, mac: string, now: number): Promise<Claim>;
  get(deviceId: string): Promise<NonceSummary | undefined>;
  /** Every device with nonce state (never the stored replies: this is a fleet-wide read). */
  all(): Promise<ReadonlyMap<string, NonceSummary>>;
  /**
   * An upload: the check-and-set and the telemetry batch in one atomic step — after a crash both
   * are stored or neither (SQL: one transaction; a store may group many uploads in one commit).
   */
  acceptUpload(deviceId: string, nonce: number, mac: string, now: number, batch: TelemetryBatch): Promise<UploadOutcome>;
  /** Forgets nonce state for one device or all; returns how many devices were reset. */
  reset(deviceId?: string): Promise<number>;
  /**
   * Raises anti-replay floors, never lowers one: each device's last accepted nonce becomes
   * max(current, given). A raised device keeps its last-seen time if it has one (else takes the
   * floor's), and neither a MAC nor a reply: no message is a duplicate of a floor. For restoring
   * a backup (nonces the backup missed must not become acceptable again) and importing; resolves
   * with how many devices were raised.
   */
  raiseFloors(floors: ReadonlyMap<string, NonceSummary>): Promise<number>;
}

export interface TelemetrySample {
  /** The device's timestamp, as sent. */
  timestamp: number;
  /** Epoch ms when the gateway accepted the batch. */
  received_at: number;
  /** Nonce of the batch: lets readers drop a batch stored twice after a crash between writes. */
  nonce: number;
  /** Packing method name, or "plain" for aggregated_data. */
  method: string;
  values: Record<string, number>;
}

/** One sample as a device sends it: its numeric fields, plus the device's "timestamp". */
export type SampleRecord = Readonly<Record<string, number>> & { readonly timestamp: number };

/** One accepted upload: its samples share the receive time, nonce and packing method. */
export interface TelemetryBatch {
  received_at: number;
  nonce: number;
  method: string;
  samples: readonly SampleRecord[];
  /**
   * `samples` as compact single-line JSON, when the caller already holds that text (a plain
   * upload's own `aggregated_data`): stored as is rather than serialised again. It must parse to
   * exactly `samples`; re-serialising numbers was the largest part of storing an upload.
   */
  samplesJson?: string;
}

export interface TelemetryQuery {
  fromMs?: number;
  toMs?: number;
  limit: number;
}

/** A fleet-wide aggregation of one field, bucketed on the samples' own timestamps. */
export interface TelemetryBucketQuery {
  field: string;
  /** Bounds on the samples' own timestamps (epoch ms; device times below 1e12 are seconds). */
  fromMs: number;
  toMs: number;
  bucketSeconds: number;
  /** Only these devices; all when absent. */
  devices?: string[];
}

export interface TelemetryBucket {
  /** Start of the bucket, epoch seconds. */
  t: number;
  min: number;
  avg: number;
  max: number;
  count: number;
}

export interface TelemetryLog {
  /** Appends one accepted batch; resolves once durable. */
  append(deviceId: string, batch: TelemetryBatch): Promise<void>;
  /** Samples with received_at in [from, to], oldest first, at most `limit`. */
  query(deviceId: string, query: TelemetryQuery): Promise<TelemetrySample[]>;
  /** `field` across the fleet (or `devices`) in buckets, oldest first; empty buckets are left out. */
  buckets(query: TelemetryBucketQuery): Promise<TelemetryBucket[]>;
  /** Retention: forgets what is older than `beforeMs` (whole days/partitions); returns how many went. */
  prune(beforeMs: number): Promise<number>;
}

/** The repositories a configuration change reads and writes (Store.configWrite, Store.configSnapshot). */
export interface ConfigScope {
  readonly config: ConfigRepo;
  readonly devices: DeviceRepo;
}

/**
 * Everything the gateway keeps, one repository per kind of state. Domain modules see only these
 * interfaces; server/store/embedded (DATA_DIR files) and server/store/postgres implement them, and
 * tests/store/contract runs one suite against both.
 */
export interface Store {
  /** Which implementation this is, for logs and /health/ready (never a credential). */
  readonly backend: 'embedded' | 'postgres';
  /** Where it keeps its state, for logs: a directory, or the database's host/name (no password). */
  readonly location: string;
  readonly devices: DeviceRepo;
  readonly nonces: NonceLedger;
  readonly sharedMacs: SharedMacRegistry;
  readonly telemetry: TelemetryLog;
  readonly commands: CommandRepo;
  readonly config: ConfigRepo;
  readonly diagnostics: DiagnosticsRepo;
  readonly events: EventRepo;
  readonly audit: AuditRepo;
  readonly otaState: OtaStateRepo;
  readonly rollouts: RolloutRepo;
  /** Firmware release records: which build of a version is a draft, published or yanked. */
  readonly releases: ReleaseRepo;
  /** Packaged firmware images (the embedded store: FIRMWARE_DIR; PostgreSQL: shared by every replica). */
  readonly firmware: FirmwareImageRepo;
  readonly securityStats: SecurityStatsRepo;
  readonly tokens: TokenRepo;
  readonly consoleSessions: ConsoleSessionRepo;
  readonly fleetActivity: FleetActivityRepo;
  /** Webhook cooldowns per device, the fleet's (server/notify/cooldowns.ts). */
  readonly notifyCooldowns: NotifyCooldownRepo;
  /**
   * Runs `job` only where it should run once per fleet (offline sweep, retention, …): always for
   * a store one gateway owns; for a shared store, only in the gateway holding the job's lease.
   * Resolves undefined when another gateway holds it.
   */
  exclusive<T>(job: string, run: () => Promise<T>): Promise<T | undefined>;
  /**
   * The store's own housekeeping, run hourly with retention (once per fleet): for PostgreSQL the
   * coming days' telemetry partitions and expired shared-MAC bindings; nothing for the embedded one.
   */
  maintain(now: number): Promise<void>;
  /**
   * Runs `work` as the fleet's one configuration writer: no other `configWrite` — in this gateway
   * or, on a shared store, in any other — runs until it is done, and what it reads through `scope`
   * includes every write an earlier one made. So a change checked against the fleet (every change
   * of a config layer or of a device's tags: remote-config/fleet-check.ts) is checked against the
   * changes made before it, never beside them. On PostgreSQL one transaction holding the config
   * lock (`scope` is bound to it; a throw rolls back every write made through it); on the embedded
   * store a turn in this process. Waiting longer than the store's bound for the turn throws
   * ConfigBusyError, with nothing written. Writes that need no check (key rotation, revocation,
   * uploads) never wait for it.
   */
  configWrite<T>(work: (scope: ConfigScope) => Promise<T>): Promise<T>;
  /**
   * Runs `read` over one consistent state of the configuration and the devices (a fleet-wide view
   * computed from several reads): on PostgreSQL one REPEATABLE READ, READ ONLY transaction, on the
   * embedded store a turn between configuration writes. `read` only reads.
   */
  configSnapshot<T>(read: (scope: ConfigScope) => Promise<T>): Promise<T>;
  /** Whether the store can serve requests now (GET /health/ready): the database answers, no migration is pending. */
  ready(): Promise<{ ok: boolean; reason?: string }>;
  close(): Promise<void>;
}
