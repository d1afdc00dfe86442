/**
 * Own-property access for the JSON documents that are keyed by device id. A device id may legally
 * be `__proto__` or `constructor`; plain `obj[id]` would then read or replace the prototype.
 * These helpers only ever touch the object's own properties (JSON.parse creates them the same way).
 */
export function getOwn<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

export function setOwn<T>(obj: Record<string, T>, key: string, value: T): T {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}
