/** Device id rules: 1–64 chars of [A-Za-z0-9_.-], and not "." or ".." (ids become directory names). */
import { ValidationError } from '../errors.ts';

const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function isValidDeviceId(id: unknown): id is string {
  return typeof id === 'string' && DEVICE_ID.test(id) && !/^\.+$/.test(id);
}

export function assertDeviceId(id: unknown, field = 'device_id'): string {
  if (!isValidDeviceId(id)) {
    throw new ValidationError(`${field} must be 1-64 characters of A-Z a-z 0-9 _ . - (and not only dots)`, 'invalid_device_id', {
      field,
    });
  }
  return id;
}
