/**
 * A device's diagnostics report (`POST /diagnostics/:device_id`). Identity of the boot
 * (`boot_id`, `reset_reason`, `uptime_seconds`) and `firmware_version` are required — event
 * derivation depends on them; the rest is optional. Unknown top-level fields are refused; anything
 * device-specific goes in `extra`, whose serialized size is capped (DIAGNOSTICS_EXTRA_MAX_BYTES).
 */
import { z } from 'zod';

export const RESET_REASONS = ['poweron', 'brownout', 'watchdog', 'panic', 'software', 'deepsleep', 'external', 'unknown'] as const;
export type ResetReason = (typeof RESET_REASONS)[number];

const intRange = (min: number, max: number, what = 'an integer') =>
  z.number({ error: `must be ${what} ${min}..${max}` }).int(`must be ${what} ${min}..${max}`).min(min, `must be ${min}..${max}`).max(max, `must be ${min}..${max}`);

export const diagnosticsSchema = z.strictObject({
  firmware_version: z.string({ error: 'must be a string' }).regex(/^[\x21-\x7e]{1,64}$/, 'must be 1-64 printable characters without spaces'),
  uptime_seconds: intRange(0, 10 * 365 * 86_400),
  /** Changes on every boot (a random u32 or a string); a new value means the device restarted. */
  boot_id: z
    .union([z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -'), intRange(0, Number.MAX_SAFE_INTEGER)], {
      error: 'must be a string or a non-negative integer',
    })
    .transform((v) => String(v)),
  reset_reason: z.enum(RESET_REASONS, { error: `must be one of ${RESET_REASONS.join(', ')}` }),
  free_heap: intRange(0, 0xffffffff, 'a byte count').optional(),
  wifi_rssi: intRange(-127, 0, 'dBm').optional(),
  /** Percent of the device's sample buffer in use. */
  buffer_usage: z.number({ error: 'must be a percentage 0..100' }).min(0, 'must be 0..100').max(100, 'must be 0..100').optional(),
  last_upload_status: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_.:\- ]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : - space').optional(),
  /** The config version the device has applied. */
  config_version: intRange(0, Number.MAX_SAFE_INTEGER).optional(),
  extra: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }).optional(),
});

export type DiagnosticsReport = z.infer<typeof diagnosticsSchema>;

/** What is stored: the report plus when it arrived and under which nonce. */
export type DiagnosticsRecord = DiagnosticsReport & { at: string; nonce: number };
