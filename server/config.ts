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
  KEYS_DIR: z.string().min(1).default('keys'),
  FIRMWARE_DIR: z.string().min(1).default('firmware-images'),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  HMAC_PSK: z
    .string()
    .regex(/^([0-9a-fA-F]{2}){16,64}$/, 'HMAC_PSK must be 16-64 bytes of hex')
    .transform((v) => v.toLowerCase())
    .optional(),
  ALLOW_SHARED_PSK: bool.default(false),
  KEY_ROTATION_GRACE_SECONDS: seconds(24 * 3600),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
  MAX_UNPACKED_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
  METRICS_PUBLIC: bool.default(false),
  /** fsync: every accepted nonce and sample survives power loss; write: survives a process crash. */
  DURABILITY: z.enum(['fsync', 'write']).default('fsync'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof schema> & {
  /** Set by main.ts after ADMIN_TOKEN is resolved (from env or KEYS_DIR/admin_token). */
  adminToken: string;
};

export type RawConfig = z.infer<typeof schema>;

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
  if (config.ALLOW_SHARED_PSK && !config.HMAC_PSK) {
    throw new ConfigError('invalid ALLOW_SHARED_PSK: set HMAC_PSK (hex) to allow shared-key devices');
  }
  return config;
}
