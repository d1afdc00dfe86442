/**
 * The storage contract of the gateway. Routes and domain modules only see these interfaces; the
 * embedded implementation (lowdb documents + JSONL files in DATA_DIR) lives beside them, and a
 * PostgreSQL one can replace it for multi-instance deployments. Rule for every method: one call is
 * one atomic read-modify-write, so each maps to one SQL statement or transaction — callers never
 * read, decide and write back in separate steps.
 */

export type KeyMode = 'derived' | 'shared';

export interface DeviceRecord {
  device_id: string;
  created_at: string;
  /** derived: key = HMAC(master, id, version); shared: the fleet-wide legacy HMAC_PSK. */
  key_mode: KeyMode;
  key_version: number;
  /** The key version before the last rotation, still accepted until `previous_key_expires_at`. */
  previous_key_version?: number;
  previous_key_expires_at?: string;
  rotated_at?: string;
  revoked_at?: string;
}

export interface DeviceRepo {
  get(deviceId: string): DeviceRecord | undefined;
  list(): DeviceRecord[];
  /** Inserts; resolves false (nothing written) if the id exists. */
  create(record: DeviceRecord): Promise<boolean>;
  /** Bumps the key version, keeping the old one valid for `graceMs`. Undefined if unknown/revoked. */
  rotateKey(deviceId: string, now: number, graceMs: number): Promise<DeviceRecord | undefined>;
  /** Marks revoked; undefined if unknown. Idempotent. */
  revoke(deviceId: string, now: number): Promise<DeviceRecord | undefined>;
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
      /**
       * Appends the device's telemetry batch and makes the nonce durable in the same atomic write:
       * after a crash both are there or neither (SQL: the INSERT and the UPDATE in one
       * transaction). An upload costs one durable write, not two in a row.
       */
      commitWithTelemetry(batch: TelemetryBatch): Promise<void>;
      /** Gives the nonce back (the request failed before any effect). */
      abort(): void;
    }
  | { outcome: 'duplicate'; reply?: StoredReply }
  | { outcome: 'replay'; lastNonce: number };

export interface NonceLedger {
  /**
   * The anti-replay check-and-set: fresh if `nonce` is above the device's last accepted nonce;
   * duplicate if it equals it with the same MAC; otherwise replay.
   */
  claim(deviceId: string, nonce: number, mac: string, now: number): Promise<Claim>;
  get(deviceId: string): NonceState | undefined;
  all(): ReadonlyMap<string, NonceState>;
  /** Forgets nonce state for one device or all; returns how many devices were reset. */
  reset(deviceId?: string): Promise<number>;
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

export interface TelemetryLog {
  /** Appends one accepted batch; resolves once durable. */
  append(deviceId: string, batch: TelemetryBatch): Promise<void>;
  /** Samples with received_at in [from, to], oldest first, at most `limit`. */
  query(deviceId: string, query: TelemetryQuery): Promise<TelemetrySample[]>;
}

export interface Store {
  readonly devices: DeviceRepo;
  readonly nonces: NonceLedger;
  readonly telemetry: TelemetryLog;
  /** Low-level pieces later features build their own repositories from. */
  readonly dataDir: string;
  close(): Promise<void>;
}
