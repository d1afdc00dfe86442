/**
 * Device groups: tags on devices (`site:lyon`, `canary`), and targets that name devices by them.
 * A tag is 1-64 characters of [a-z0-9_.:-], at most 32 per device, kept sorted and unique. A
 * target is `"all"` (every active device), `"tag:<tag>"` (the active devices with that tag) or a
 * list of device ids; rollouts, config layers and commands take one in a `target` field.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import type { DeviceRecord } from '../store/types.ts';
import { deviceIdSchema } from './id-schema.ts';

export const TAG_PATTERN = /^[a-z0-9_.:-]{1,64}$/;
export const MAX_TAGS = 32;

export const tagSchema = z.string().regex(TAG_PATTERN, 'a tag is 1-64 characters of a-z 0-9 _ . : -');

export const tagsSchema = z
  .array(tagSchema)
  .max(MAX_TAGS, `at most ${MAX_TAGS} tags per device`)
  .transform((tags) => [...new Set(tags)].sort());

export type Target = 'all' | `tag:${string}` | string[];

/** At most this many ids in a target list (a bulk operation, not a fleet dump). */
export const MAX_TARGET_IDS = 10_000;

export const targetSchema = z.union([
  z.literal('all'),
  z.string().regex(/^tag:[a-z0-9_.:-]{1,64}$/, 'a target is "all", "tag:<tag>" or a list of device ids') as z.ZodType<`tag:${string}`>,
  z
    .array(deviceIdSchema('must be a device id'))
    .min(1, 'must name at least one device')
    .max(MAX_TARGET_IDS)
    .transform((ids) => [...new Set(ids)]),
], { error: 'must be "all", "tag:<tag>" or a list of device ids' });

export function describeTarget(t: Target): string {
  return Array.isArray(t) ? `${t.length} listed device${t.length === 1 ? '' : 's'}` : t;
}

/** Whether an active device is in the target. */
export function inTarget(t: Target, device: DeviceRecord): boolean {
  if (device.revoked_at) return false;
  if (t === 'all') return true;
  if (Array.isArray(t)) return t.includes(device.device_id);
  return (device.tags ?? []).includes(t.slice(4));
}

/** The active devices a target names, in id order; listed ids that are unknown or revoked are an error. */
export function resolveTarget(t: Target, devices: readonly DeviceRecord[]): string[] {
  if (!Array.isArray(t)) return devices.filter((d) => inTarget(t, d)).map((d) => d.device_id);
  const active = new Set(devices.filter((d) => !d.revoked_at).map((d) => d.device_id));
  const missing = t.filter((id) => !active.has(id));
  if (missing.length > 0) {
    throw new ValidationError(`target: unknown or revoked device ${missing[0]}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`, 'unknown_device', {
      field: 'target',
    });
  }
  return [...t].sort();
}
