/**
 * How a route is described for the OpenAPI document (GET /openapi.json): each feature folder has
 * an `openapi.ts` beside its `routes.ts` exporting a `RouteDocs` table keyed exactly like the
 * router knows the route ("GET /devices/:device_id"), and server/openapi/document.ts assembles
 * them. Schemas are the zod schemas the routes validate with (converted by zod's own
 * `z.toJSONSchema`), or JSON Schema written from the same constants where a route checks its input
 * by hand (uploads, query strings). tests/openapi/ checks that every route has an entry and that
 * live answers match the described ones.
 */
import { z } from 'zod';
import type { Config } from '../config.ts';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1). */
export type JsonSchema = { [keyword: string]: unknown };

/** What a doc may give as a schema: a zod schema (converted) or JSON Schema as is. */
export type Schema = z.ZodType | JsonSchema;

/**
 * Who may call a route, one entry per accepted way (OpenAPI security alternatives):
 * - `admin`: `Authorization: Bearer <token>` whose role allows the route (server/auth/roles.ts);
 * - `device`: a signed device request (X-Device-Id, X-Nonce, X-Signature; answers signed);
 * - `envelope`: the upload envelope, authenticated by the MAC in its body (answers signed);
 * - `open`: no credentials;
 * - `session`: the operator console's session cookie (server/ui/sessions.ts), from its login form.
 */
export type Auth = 'admin' | 'device' | 'envelope' | 'open' | 'session';

/** Statuses a GatewayError can have (server/errors.ts), plus 500 for a bug. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 416 | 429 | 503;

export interface ParamDoc {
  schema: Schema;
  description: string;
  required?: boolean;
}

export interface ResponseDoc {
  description: string;
  /** JSON answer (application/json) unless `contentType` says otherwise. */
  schema?: Schema;
  contentType?: string;
  /** Other media types the same status may answer with (e.g. text/csv), each with its schema. */
  also?: Record<string, Schema>;
  /** Response headers (name → description and schema). */
  headers?: Record<string, ParamDoc>;
}

export interface RouteDoc {
  summary: string;
  description?: string;
  auth: Auth | readonly Auth[];
  /** Path parameters; `device_id` is described by default. */
  params?: Record<string, ParamDoc>;
  query?: Record<string, ParamDoc>;
  /** Request headers other than the authentication ones. */
  headers?: Record<string, ParamDoc>;
  body?: { schema: Schema; description?: string; required?: boolean; contentType?: string };
  /** Successful (and other non-error) answers by status. */
  responses: Record<number, ResponseDoc>;
  /**
   * Error codes this route answers beyond those its kind of authentication and body already
   * imply (server/openapi/errors.ts adds those), by status.
   */
  errors?: Partial<Record<ErrorStatus, readonly string[]>>;
  /** Also describe HEAD (Hono answers HEAD with the GET handler, body dropped). */
  head?: string;
}

/** Keyed "METHOD /path" exactly as in the router (`app.routes`), e.g. "GET /config/:device_id". */
export type RouteDocs = Record<string, RouteDoc>;

/** A feature's docs; a function when they depend on the gateway's configuration (limits, switches). */
export type AreaDocs = RouteDocs | ((config: Config) => RouteDocs);

/** Request bodies: the input side of a zod schema (defaults make fields optional). */
export function requestSchema(schema: Schema): JsonSchema {
  return isZod(schema) ? strip(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema) : schema;
}

/** Answers: the output side (unknown members of a z.object are not sent: additionalProperties false). */
export function responseSchema(schema: Schema): JsonSchema {
  return isZod(schema) ? strip(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema) : schema;
}

function isZod(schema: Schema): schema is z.ZodType {
  return schema instanceof z.ZodType;
}

/** The document declares the dialect once (jsonSchemaDialect); each schema need not. */
function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/**
 * Compile-time agreement of a response schema with the type the code builds: true when each is
 * assignable to the other, so a field added to a view but not to its schema (or the reverse) is
 * a type error. Use as `agrees<Agree<typeof schema, Built>>()`.
 */
export type Agree<S extends z.ZodType, Built> = [z.output<S>] extends [Built] ? ([Built] extends [z.output<S>] ? true : false) : false;
export function agrees<_T extends true>(): void {}
