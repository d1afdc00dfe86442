/**
 * How a device record changes on key rotation and reinstatement: pure functions every store
 * implementation applies inside its own atomic read-modify-write, so both backends agree.
 */
import type { DeviceRecord } from './types.ts';

/**
 * The record after a key rotation: the next derived version (a shared device becomes a derived
 * one), the old key kept for `graceMs` (none when 0).
 */
export function rotated(current: DeviceRecord, now: number, graceMs: number): DeviceRecord {
  const { previous_key_version: _v, previous_key_mode: _m, previous_key_expires_at: _e, psk_bound_at: _b, ...rest } = current;
  return {
    ...rest,
    key_mode: 'derived',
    key_version: current.key_version + 1,
    rotated_at: new Date(now).toISOString(),
    ...(graceMs > 0
      ? {
          previous_key_version: current.key_version,
          previous_key_mode: current.key_mode,
          previous_key_expires_at: new Date(now + graceMs).toISOString(),
          ...(current.psk_bound_at ? { psk_bound_at: current.psk_bound_at } : {}),
        }
      : {}),
  };
}

/** The record of a revoked device put back in service: a new derived key version, nothing older valid. */
export function reinstated(current: DeviceRecord, now: number): DeviceRecord {
  const { revoked_at: _r, previous_key_version: _v, previous_key_mode: _m, previous_key_expires_at: _e, psk_bound_at: _b, ...rest } = current;
  return { ...rest, key_mode: 'derived', key_version: current.key_version + 1, reinstated_at: new Date(now).toISOString() };
}
