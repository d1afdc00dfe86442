/**
 * Gateway configuration from the environment (and an optional `.env` file, loaded by main.ts).
 * Parsed once at start with zod so a bad value fails fast with one clear line and exit code 2,
 * instead of surfacing later as a confusing runtime error.
 */
import { z } from 'zod';
import { ConfigError } from './errors.ts';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const seconds = (def: number) => z.coerce.number().int().min(0).max(10 * 365 * 86400).default(def);

const schema = z.object({
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(5001),
  DATA_DIR: z.string().min(1).default('data'),
  /** postgres://user:pass@host:port/db (or ?host=/socket/dir): keep all state in PostgreSQL, shared by replicas. Unset: the embedded store in DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Connections each gateway keeps to PostgreSQL. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(500).default(20),
  /**
   * The longest any one query of the gateway may take, waiting for a connection and running (0: no
   * limit). The backstop for a database that stops answering without refusing (a partition).
   */
  DATABASE_QUERY_TIMEOUT_SECONDS: z.coerce.number().int().min(0).max(86400).default(30),
  /** On SIGTERM: how long requests in flight may take to finish before their connections are closed. */
  SHUTDOWN_DRAIN_SECONDS: z.coerce.number().int().min(0).max(3600).default(5),
  /** Then how long the store may take to close (flush, release leases, end the pool) before the process exits anyway. */
  SHUTDOWN_CLOSE_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  KEYS_DIR: z.string().min(1).default('keys'),
  FIRMWARE_DIR: z.string().min(1).default('firmware-images'),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  HMAC_PSK: z
    .string()
    .regex(/^([0-9a-fA-F]{2}){16,64}$/, 'HMAC_PSK must be 16-64 bytes of hex')
    .transform((v) => v.toLowerCase())
    .optional(),
  /** Accept the raw HMAC_PSK from devices an admin listed as shared (field firmware that cannot change). */
  ALLOW_SHARED_PSK: bool.default(false),
  /** How long a raw fleet-key MAC stays bound to the device that used it first (cross-device replay guard). */
  SHARED_PSK_MAC_WINDOW_SECONDS: z.coerce.number().int().min(60).max(90 * 86400).default(86400),
  KEY_ROTATION_GRACE_SECONDS: seconds(24 * 3600),
  /** Failed device authentications allowed per source address / per device id in AUTH_FAILURE_WINDOW_SECONDS (then 429). */
  AUTH_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(60),
  AUTH_FAILURES_PER_DEVICE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86400).default(60),
  /** Behind a reverse proxy: take the client address from the last X-Forwarded-For entry. */
  TRUST_PROXY: bool.default(false),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
  MAX_UNPACKED_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
  METRICS_PUBLIC: bool.default(false),
  /** How long an operator-console login lasts (server/ui): the session ends then, or when its token is revoked. */
  CONSOLE_SESSION_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 86400).default(12 * 3600),
  /** fsync: every accepted nonce and sample survives power loss; write: survives a process crash. */
  DURABILITY: z.enum(['fsync', 'write']).default('fsync'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // --- Device control plane (server/control-plane): commands, remote config, diagnostics, events,
  // notifications, fault injection. See server/control-plane/README.md.
  /** A command delivered without a result is delivered again after this long. */
  COMMAND_ACK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86400).default(60),
  /** Deliveries without a result before a command is given up (expired, reason max_attempts). */
  COMMAND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  /** Open (pending or sent) commands a device may have queued at once. */
  COMMAND_QUEUE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Finished commands are kept this long, then dropped when the queue journal is compacted. */
  COMMAND_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Audit log day files older than this are deleted; 0 keeps them forever. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36500).default(365),
  DIAGNOSTICS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(120),
  /** Telemetry older than this (by day) is deleted hourly; 0 keeps it forever. */
  TELEMETRY_RETENTION_DAYS: z.coerce.number().int().min(0).max(36500).default(0),
  /** Cap on the serialized size of a diagnostics report's free-form `extra` object. */
  DIAGNOSTICS_EXTRA_MAX_BYTES: z.coerce.number().int().min(0).max(65536).default(2048),
  EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(36500).default(365),
  /** How often devices are checked for silence (offline events). */
  EVENTS_CHECK_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  /** A device is offline once silent for this many heartbeat intervals. */
  OFFLINE_HEARTBEAT_MULTIPLIER: z.coerce.number().int().min(2).max(100).default(3),
  NOTIFY_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  NOTIFY_FORMAT: z.enum(['json', 'telegram']).default('json'),
  /** Sent as `chat_id` with NOTIFY_FORMAT=telegram (the bot token lives in the webhook URL). */
  NOTIFY_TELEGRAM_CHAT_ID: z.string().min(1).max(64).optional(),
  /** After a notification for a device, further events for it within this window are batched into one digest. */
  NOTIFY_COOLDOWN_SECONDS: seconds(300),
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  /** First retry delay; doubles per attempt up to NOTIFY_BACKOFF_MAX_MS. */
  NOTIFY_BACKOFF_MS: z.coerce.number().int().min(1).max(600_000).default(1000),
  NOTIFY_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  /** Pending notifications kept in memory; beyond it the oldest are dropped (and counted). */
  NOTIFY_QUEUE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(1000),
  /** Enables POST /fault/inject and friends (test fleets only). */
  FAULTS_ENABLED: bool.default(false),
  /** Default delay of a network_timeout fault (past a typical 10-15 s device HTTP timeout). */
  FAULT_DELAY_MS: z.coerce.number().int().min(1).max(600_000).default(30_000),
  /** Upper bound for a network_timeout delay asked for in a request. */
  FAULT_MAX_DELAY_MS: z.coerce.number().int().min(1).max(600_000).default(120_000),

  // --- OTA serving (server/ota, see server/ota/README.md).
  /** An OTA download session idle longer than this is replaced when the device initiates again. */
  OTA_SESSION_IDLE_SECONDS: z.coerce.number().int().min(1).max(7 * 86400).default(300),
  /** An active OTA session without a request this long is closed as abandoned by the cleanup job (once per fleet). */
  OTA_SESSION_ABANDON_SECONDS: z.coerce.number().int().min(1).max(30 * 86400).default(3600),
  /** A rollout pauses itself when failures / results exceeds this (after ROLLOUT_MIN_RESULTS results). */
  ROLLOUT_FAILURE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.2),
  ROLLOUT_MIN_RESULTS: z.coerce.number().int().min(1).max(1_000_000).default(5),
  /** A device a rollout covers and that has not succeeded this long after it was first covered no longer holds up completion. */
  ROLLOUT_DEVICE_DEADLINE_SECONDS: z.coerce.number().int().min(60).max(365 * 86400).default(7 * 86400),
  /** How often the steering job advances, pauses and completes rollouts (one replica at a time). */
  ROLLOUT_STEER_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** Serve GET /ota/firmware/:version without credentials (images are encrypted and signed). */
  OTA_PUBLIC_DOWNLOADS: bool.default(false),
  /** Encrypted images kept in memory per process (shared by all downloads); larger images are streamed from their store (file or database rows). */
  OTA_CACHE_MAX_BYTES: z.coerce.number().int().min(0).max(16 * 1024 ** 3).default(256 * 1024 * 1024),
});

export type Config = z.infer<typeof schema> & {
  /** Set by main.ts after ADMIN_TOKEN is resolved (from env or KEYS_DIR/admin_token). */
  adminToken: string;
};

export type RawConfig = z.infer<typeof schema>;

/** Every variable the gateway reads (the documentation test checks each is documented). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

/** Parses env into a config; throws ConfigError naming the first bad variable. */
export function parseConfig(env: Record<string, string | undefined>): RawConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'config');
    throw new ConfigError(`invalid ${name}: ${issue.message}`);
  }
  const config = result.data;
  if (config.OTA_SESSION_ABANDON_SECONDS < config.OTA_SESSION_IDLE_SECONDS) {
    // A session the device could still resume must not be closed under it.
    throw new ConfigError('invalid OTA_SESSION_ABANDON_SECONDS: must not be below OTA_SESSION_IDLE_SECONDS');
  }
  if (config.ALLOW_SHARED_PSK && !config.HMAC_PSK) {
    throw new ConfigError('invalid ALLOW_SHARED_PSK: set HMAC_PSK (hex) to allow shared-key devices');
  }
  return config;
}
