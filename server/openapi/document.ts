/**
 * Assembles the OpenAPI 3.1 document served at GET /openapi.json from every feature's route docs
 * (server/<feature>/openapi.ts, listed in AREAS): security schemes for the admin token and the
 * device signature headers, the error shape with each operation's codes per status
 * (errors.ts), and the schemas of bodies, parameters and answers. The document describes the
 * routes this gateway has mounted — fault injection only where FAULTS_ENABLED is on — with this
 * gateway's limits (BODY_LIMIT_BYTES, MAX_UNPACKED_BYTES, FAULT_MAX_DELAY_MS, …).
 */
import packageJson from '../../package.json' with { type: 'json' };
import { requiredRole } from '../auth/roles.ts';
import type { Config } from '../config.ts';
import { HEADER_DEVICE_ID, HEADER_NONCE, HEADER_SIGNATURE } from '../protocol/device-request.ts';
import { deviceIdParam } from './common.ts';
import { requestSchema, responseSchema, type AreaDocs, type Auth, type JsonSchema, type ParamDoc, type RouteDoc } from './describe.ts';
import { errorCodes, errorResponseSchema, errorSchema, STATUS_TEXT } from './errors.ts';
import { AREAS } from './areas.ts';
import { SESSION_COOKIE } from '../ui/sessions.ts';

export interface DescribedRoute {
  method: string;
  /** As the router has it: /devices/:device_id. */
  path: string;
  tag: string;
  doc: RouteDoc;
}

export interface Area {
  tag: string;
  description: string;
  docs: AreaDocs;
}

/** Every route doc for this configuration, keyed "METHOD /path"; a key described twice is an error. */
export function describedRoutes(config: Config, areas: readonly Area[] = AREAS): Map<string, DescribedRoute> {
  const out = new Map<string, DescribedRoute>();
  for (const area of areas) {
    const docs = typeof area.docs === 'function' ? area.docs(config) : area.docs;
    for (const [key, doc] of Object.entries(docs)) {
      const [method, path] = splitKey(key);
      if (out.has(key)) throw new Error(`${key} is described twice (areas ${out.get(key)!.tag} and ${area.tag})`);
      out.set(key, { method, path, tag: area.tag, doc });
    }
  }
  return out;
}

export function splitKey(key: string): [string, string] {
  const match = /^([A-Z]+) (\/\S*)$/.exec(key);
  if (!match) throw new Error(`route doc key "${key}" is not "METHOD /path"`);
  return [match[1]!, match[2]!];
}

/** "/devices/:device_id" → "/devices/{device_id}" (a Hono regex constraint such as :id{[0-9]+} dropped). */
export function openApiPath(routePath: string): string {
  return routePath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');
}

export interface BuiltDocument {
  document: JsonSchema;
  /** Mounted routes without a description (listed for the log; tests/openapi/ fails on any). */
  undescribed: string[];
}

/**
 * The document for the routes mounted on a gateway (`app.routes`; `ALL` middleware entries are
 * skipped). Described routes that are not mounted are left out.
 */
export function buildDocument(config: Config, mounted: readonly { method: string; path: string }[], areas: readonly Area[] = AREAS): BuiltDocument {
  const described = describedRoutes(config, areas);
  const keys = [...new Set(mounted.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
  const undescribed = keys.filter((k) => !described.has(k));
  const routes = keys.flatMap((k) => described.get(k) ?? []);
  const names = templateNames(routes.map((r) => r.path));
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const template = names.template(route.path);
    const item = (paths[template] ??= {});
    item[route.method.toLowerCase()] = operation(route, names.rename(route.path));
    if (route.doc.head !== undefined) item.head = operation({ ...route, method: 'HEAD', doc: { ...route.doc, summary: route.doc.head } }, names.rename(route.path));
  }
  const usedTags = new Set(routes.map((r) => r.tag));
  return {
    undescribed,
    document: {
      openapi: '3.1.1',
      jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
      info: {
        title: 'fleetgate',
        version: packageJson.version,
        summary: 'Secure device gateway for fleets of ESP32 power meters and inverters.',
        description: INFO,
      },
      servers: [{ url: '/', description: 'this gateway' }],
      tags: areas.filter((a) => usedTags.has(a.tag)).map((a) => ({ name: a.tag, description: a.description })),
      paths,
      components: {
        securitySchemes: SECURITY_SCHEMES,
        parameters: DEVICE_PARAMETERS,
        headers: {
          XSignature: {
            description: `${HEADER_SIGNATURE}: lowercase hex HMAC-SHA256(device key, request nonce as 4 bytes big-endian ‖ response body). Present on every answer to an identified device (a streamed firmware download is signed over "<ETag> <Content-Range|Content-Length>" instead).`,
            schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          },
          RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^\\d+$' } },
        },
        schemas: { Error: errorSchema },
      },
    },
  };
}

const INFO = [
  'Every route of this gateway. Admin routes take `Authorization: Bearer <token>`; the least role each needs is in `x-required-role` (viewer reads, operator steers, admin changes the fleet: server/auth/roles.ts).',
  'Devices sign each request (`X-Device-Id`, `X-Nonce`, `X-Signature`; uploads carry the MAC in their envelope) and every answer to an identified device carries `X-Signature` (server/protocol/SPEC.md).',
  'Errors are `{"success": false, "error": {"code", "message", ...}}`; each operation lists its codes per status. A path no route serves answers 404 `not_found`.',
].join('\n\n');

const SECURITY_SCHEMES = {
  consoleSession: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The operator console (/ui/): a signed session cookie set by POST /ui/login for an admin token of any role (server/ui/README.md).',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'An admin token: the bootstrap token (ADMIN_TOKEN or KEYS_DIR/admin_token) or one made with POST /tokens. Its role must allow the route (x-required-role).',
  },
  deviceId: { type: 'apiKey', in: 'header', name: HEADER_DEVICE_ID, description: 'Signed device request: the device id (with X-Nonce and X-Signature).' },
  deviceNonce: { type: 'apiKey', in: 'header', name: HEADER_NONCE, description: "Signed device request: the nonce, a decimal u32 above the device's last accepted one (shared with uploads)." },
  deviceSignature: {
    type: 'apiKey',
    in: 'header',
    name: HEADER_SIGNATURE,
    description: 'Signed device request: lowercase hex HMAC-SHA256(device key, nonce as 4 bytes big-endian ‖ METHOD ‖ " " ‖ path-with-query as sent ‖ "\\n" ‖ raw body). server/protocol/SPEC.md.',
  },
};

const DEVICE_PARAMETERS = {
  XDeviceId: { name: HEADER_DEVICE_ID, in: 'header', required: true, description: 'The signing device (equal to the path\'s device id where there is one: 400 device_mismatch).', schema: { ...deviceIdParam.schema } },
  XNonce: { name: HEADER_NONCE, in: 'header', required: true, description: 'Decimal unsigned 32-bit nonce (400 invalid_nonce otherwise).', schema: { type: 'string', pattern: '^\\d{1,10}$', description: 'At most 4294967295.' } },
  XSignature: { name: HEADER_SIGNATURE, in: 'header', required: true, description: 'The request MAC, hex (upper case accepted).', schema: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' } },
};

const SECURITY: Record<Auth, Record<string, never[]>> = {
  admin: { adminToken: [] },
  device: { deviceId: [], deviceNonce: [], deviceSignature: [] },
  envelope: {},
  open: {},
  session: { consoleSession: [] },
};

function operation(route: DescribedRoute, rename: (name: string) => string): JsonSchema {
  const { method, path, doc, tag } = route;
  const kinds = typeof doc.auth === 'string' ? [doc.auth] : [...doc.auth];
  const signed = kinds.includes('device') || kinds.includes('envelope');
  const adminRole = kinds.includes('admin') ? requiredRole(method, path) : undefined;
  const parameters: unknown[] = [];
  for (const name of [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!)) {
    const p = doc.params?.[name] ?? (name === 'device_id' ? deviceIdParam : { schema: { type: 'string' }, description: `(undescribed path parameter ${name})` });
    parameters.push(param(rename(name), 'path', { ...p, required: true }));
  }
  for (const [name, p] of Object.entries(doc.query ?? {})) parameters.push(param(name, 'query', p));
  for (const [name, p] of Object.entries(doc.headers ?? {})) parameters.push(param(name, 'header', p));
  if (kinds.includes('device')) parameters.push(...['XDeviceId', 'XNonce', 'XSignature'].map((p) => ({ $ref: `#/components/parameters/${p}` })));

  const signature = signed ? { [HEADER_SIGNATURE]: { $ref: '#/components/headers/XSignature' } } : {};
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    const headers = { ...signature, ...Object.fromEntries(Object.entries(r.headers ?? {}).map(([n, h]) => [n, { description: h.description, schema: responseSchema(h.schema) }])) };
    responses[status] = {
      description: r.description,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(r.schema
        ? {
            content: {
              [r.contentType ?? 'application/json']: { schema: responseSchema(r.schema) },
              ...Object.fromEntries(Object.entries(r.also ?? {}).map(([type, schema]) => [type, { schema: responseSchema(schema) }])),
            },
          }
        : {}),
    };
  }
  for (const [status, codes] of errorCodes(method, path, doc)) {
    if (responses[String(status)]) continue; // the route's own answer for that status (e.g. /health/ready's 503)
    const retry = status === 429 || status === 503 ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {};
    const headers = { ...(signed && status !== 429 ? signature : {}), ...retry };
    responses[String(status)] = {
      description: `${STATUS_TEXT[status]} Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: { 'application/json': { schema: errorResponseSchema(codes) } },
    };
  }
  // HEAD answers carry the GET's status and headers, never a body.
  if (method === 'HEAD') for (const r of Object.values(responses)) delete (r as { content?: unknown }).content;
  const roleNote = adminRole ? `Admin token role: ${adminRole} or above.` : undefined;
  return {
    tags: [tag],
    summary: doc.summary,
    ...(doc.description || roleNote ? { description: [doc.description, roleNote].filter(Boolean).join('\n\n') } : {}),
    operationId: operationId(method, path),
    security: kinds.map((k) => SECURITY[k]),
    ...(adminRole ? { 'x-required-role': adminRole } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: doc.body.required ?? true,
            ...(doc.body.description ? { description: doc.body.description } : {}),
            content: { [doc.body.contentType ?? 'application/json']: { schema: requestSchema(doc.body.schema) } },
          },
        }
      : {}),
    responses,
  };
}

function param(name: string, where: 'path' | 'query' | 'header', p: ParamDoc) {
  return { name, in: where, required: p.required ?? where === 'path', description: p.description, schema: requestSchema(p.schema) };
}

/** getDevicesByDeviceIdEvents, postOtaRolloutsByIdPause, … */
export function operationId(method: string, path: string): string {
  const pascal = (s: string) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const parts = path.split('/').filter(Boolean).map((s) => (s.startsWith(':') ? `By${pascal(s.slice(1))}` : pascal(s)));
  // "/ui/" and "/ui" are two routes (a page, and the redirect to it): the slash makes it the index.
  return method.toLowerCase() + parts.join('') + (path.length > 1 && path.endsWith('/') ? 'Index' : '');
}

/**
 * OpenAPI forbids two templates that differ only in their parameter names (/commands/{device_id}
 * and /commands/{command_id} are "identical"), while the router has routes like that on different
 * methods. Such positions get one joined name (`device_id_or_command_id`) in the document.
 */
function templateNames(routePaths: readonly string[]) {
  const shape = (p: string) => p.replace(/:[A-Za-z0-9_]+(\{[^}]*\})?/g, ':');
  const byShape = new Map<string, string[][]>();
  for (const p of routePaths) {
    const names = [...p.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    byShape.set(shape(p), [...(byShape.get(shape(p)) ?? []), names]);
  }
  const joined = (p: string): string[] => {
    const all = byShape.get(shape(p)) ?? [];
    const own = [...p.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    return own.map((_, i) => [...new Set(all.map((n) => n[i]!))].join('_or_'));
  };
  return {
    template(p: string): string {
      const names = joined(p);
      let i = 0;
      return openApiPath(p).replace(/\{[A-Za-z0-9_]+\}/g, () => `{${names[i++]}}`);
    },
    rename(p: string): (name: string) => string {
      const own = [...p.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
      const names = joined(p);
      return (name) => names[own.indexOf(name)] ?? name;
    },
  };
}
