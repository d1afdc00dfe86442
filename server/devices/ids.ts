/**
 * Device id rules: 1–64 chars of [A-Za-z0-9_.-], not "." or ".." (ids become directory names), and
 * not "__proto__" (ids are keys of JSON documents, where that name would set a prototype). Ids
 * such as `constructor` or `toString` are valid: every id-keyed table is a Map or a
 * null-prototype object. Ids equal to a fixed path segment where a route takes a device id
 * (`/config/defaults`, `/diagnostics/summary`, …) are reserved: such a device could not be
 * addressed on those routes (`reservedDeviceIds` finds them from the router).
 */
import { ValidationError } from '../errors.ts';

const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
export const DEVICE_ID_RULE = '1-64 characters of A-Z a-z 0-9 _ . - (not only dots, not __proto__)';

/** The same rule as JSON Schema, for the OpenAPI document (server/openapi/). */
export const DEVICE_ID_JSON_SCHEMA = {
  type: 'string',
  pattern: DEVICE_ID.source,
  not: { anyOf: [{ pattern: '^\\.+$' }, { const: '__proto__' }] },
  description: `A device id: ${DEVICE_ID_RULE}.`,
} as const;

export function isValidDeviceId(id: unknown): id is string {
  return typeof id === 'string' && DEVICE_ID.test(id) && !/^\.+$/.test(id) && id !== '__proto__';
}

export function assertDeviceId(id: unknown, field = 'device_id'): string {
  if (!isValidDeviceId(id)) throw new ValidationError(`${field} must be ${DEVICE_ID_RULE}`, 'invalid_device_id', { field });
  return id;
}

/** Why a new device may not take this id, or undefined if it may. */
export function deviceIdProblem(id: unknown, reserved: ReadonlySet<string>): string | undefined {
  if (!isValidDeviceId(id)) return `must be ${DEVICE_ID_RULE}`;
  if (reserved.has(id)) return `"${id}" is reserved: it is a fixed path segment where routes take a device id`;
  return undefined;
}

/** The route pattern a request would be dispatched to, or undefined. */
export type RouteResolver = (method: string, path: string) => string | undefined;

/**
 * Every static path segment that, used as a device id on a route taking `:device_id`, would be
 * dispatched to another route — e.g. `defaults`, since `GET /config/defaults` wins over `GET
 * /config/:device_id`. Candidates are the static segments other routes have at that position;
 * the router itself decides, so this follows the route table as it changes.
 */
export function reservedDeviceIds(routes: readonly { method: string; path: string }[], resolve: RouteResolver): Set<string> {
  const out = new Set<string>();
  const split = (p: string) => p.split('/').filter((s) => s !== '');
  for (const r of routes) {
    const segs = split(r.path);
    const at = segs.indexOf(':device_id');
    if (at < 0 || r.method === 'ALL') continue;
    for (const other of routes) {
      const candidate = split(other.path)[at];
      if (candidate === undefined || candidate.startsWith(':') || candidate === '*' || out.has(candidate)) continue;
      const path = '/' + segs.map((s, i) => (i === at ? candidate : s.startsWith(':') ? 'x' : s)).join('/');
      if (resolve(r.method, path) !== r.path) out.add(candidate);
    }
  }
  return out;
}
