/**
 * Device id rules: 1–64 chars of [A-Za-z0-9_.-], not "." or ".." (ids become directory names), and
 * not "__proto__" (ids are keys of JSON documents, where that name would set a prototype).
 */
import { ValidationError } from '../errors.ts';

const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function isValidDeviceId(id: unknown): id is string {
  return typeof id === 'string' && DEVICE_ID.test(id) && !/^\.+$/.test(id) && id !== '__proto__';
}

export function assertDeviceId(id: unknown, field = 'device_id'): string {
  if (!isValidDeviceId(id)) {
    throw new ValidationError(`${field} must be 1-64 characters of A-Z a-z 0-9 _ . - (not only dots, not __proto__)`, 'invalid_device_id', {
      field,
    });
  }
  return id;
}
