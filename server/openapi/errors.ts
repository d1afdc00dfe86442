/**
 * The error answers of the OpenAPI document. Every error is `{"success": false, "error": {"code",
 * "message", ...details}}` (server/http/error-handler.ts, the one mapping); each operation lists,
 * per status, the codes it can answer: those its route doc names plus those implied by how it is
 * authenticated and whether it reads a body — the same middleware answers them on every route of
 * a kind, so they are listed here once instead of in every doc.
 */
import { requiredRole, ROLES } from '../auth/roles.ts';
import { CODEC_ERROR_CODES } from '../protocol/limits.ts';
import type { Auth, ErrorStatus, JsonSchema, RouteDoc } from './describe.ts';

export const STATUS_TEXT: Record<ErrorStatus | 500, string> = {
  400: 'The request is malformed or fails validation; `error.field` names the offending field where there is one.',
  401: 'Not authenticated.',
  403: 'The admin token is valid but its role does not allow this route; `error.required_role` names the role needed.',
  404: 'Not found.',
  409: 'Conflicts with the current state.',
  410: 'Withdrawn on purpose (a yanked firmware release): not served again.',
  413: 'The body is over the limit (checked on Content-Length before reading).',
  415: 'A device body must be JSON (`Content-Type: application/json` or none).',
  416: 'The requested range, chunk or page is outside the image.',
  429: 'Too many failed device authentications from this address or for this device; retry after `Retry-After` seconds.',
  503: 'Storage failed or is not ready (`unavailable`), or a configuration change waited too long for the one before it (`config_busy`); nothing was half done, retry (a device with the same nonce). `Retry-After` may be set.',
  500: 'A bug: logged with its stack on the gateway, answered without details.',
};

/** The error body (components/schemas/Error); `details` members appear where the table says. */
export const errorSchema: JsonSchema = {
  type: 'object',
  description: 'Every error answer. Codes are part of the API: never renamed or reused.',
  required: ['success', 'error'],
  additionalProperties: false,
  properties: {
    success: { const: false },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', description: 'Stable, machine-readable.' },
        message: { type: 'string', description: 'For people: what was wrong and, where it helps, what to do.' },
        field: { type: 'string', description: 'The offending field (400s), e.g. `parameters.power` or `limit`.' },
        retry_after: { type: 'integer', minimum: 0, description: '429: seconds until a retry may succeed (also sent as Retry-After).' },
        required_role: { enum: [...ROLES], description: '403: the least role the route needs.' },
        last_nonce: { type: 'integer', minimum: 0, maximum: 0xffffffff, description: '401 replay (signed): the last nonce the gateway accepted from the device.' },
      },
      additionalProperties: true,
    },
  },
};

const auths = (doc: RouteDoc): readonly Auth[] => (typeof doc.auth === 'string' ? [doc.auth] : doc.auth);

/** The codes an operation can answer, by status: its own plus those its kind implies. */
export function errorCodes(method: string, routePath: string, doc: RouteDoc): Map<ErrorStatus, string[]> {
  const out = new Map<ErrorStatus, Set<string>>();
  const add = (status: ErrorStatus, ...codes: readonly string[]) => {
    const set = out.get(status) ?? new Set<string>();
    for (const c of codes) set.add(c);
    out.set(status, set);
  };
  const kinds = auths(doc);
  if (kinds.includes('admin')) {
    add(401, 'unauthorized');
    if (requiredRole(method, routePath) !== 'viewer') add(403, 'forbidden');
    // Admin bodies are parsed as JSON whatever the content type (server/http/body.ts).
    if (doc.body) {
      add(400, 'invalid_json');
      add(413, 'payload_too_large');
    }
  }
  if (kinds.includes('device')) {
    add(400, 'missing_signature_headers', 'invalid_device_id', 'invalid_nonce');
    if (routePath.includes(':device_id')) add(400, 'device_mismatch');
    add(401, 'bad_signature', 'replay');
    add(413, 'payload_too_large');
    add(429, 'rate_limited');
    if (doc.body) {
      add(400, 'invalid_json');
      add(415, 'unsupported_media_type');
    }
  }
  if (kinds.includes('envelope')) {
    add(400, 'invalid_json', 'invalid_envelope', 'device_mismatch', 'invalid_payload', ...CODEC_ERROR_CODES);
    add(401, 'bad_signature', 'replay');
    add(413, 'payload_too_large');
    add(415, 'unsupported_media_type');
    add(429, 'rate_limited');
  }
  for (const [status, codes] of Object.entries(doc.errors ?? {}) as [string, readonly string[]][]) add(Number(status) as ErrorStatus, ...codes);
  // Any route: the disk or the database failed (error-handler.ts maps system errors to 503).
  add(503, 'unavailable');
  return new Map([...out].sort(([a], [b]) => a - b).map(([s, codes]) => [s, [...codes].sort()]));
}

/** One status's error answer: the Error shape with `code` narrowed to the listed ones. */
export function errorResponseSchema(codes: readonly string[]): JsonSchema {
  return {
    allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: [...codes] } } } } }],
  };
}
