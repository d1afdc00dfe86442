/**
 * Checks values against the schemas of the served OpenAPI document with Ajv (JSON Schema draft
 * 2020-12, OpenAPI 3.1's dialect) in strict mode, so a schema that is not valid 2020-12 fails to
 * compile. References to components (#/components/schemas/Error) are resolved by registering each
 * component under its own id.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its default export arrives as the module object under tsx.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

export type Json = Record<string, unknown>;
const BASE = 'https://fleetgate.invalid/components/';

export class DocumentSchemas {
  private readonly ajv = new Ajv2020({ strict: true, allErrors: true });
  private readonly compiled = new Map<unknown, ValidateFunction>();

  constructor(readonly document: Json) {
    addFormats(this.ajv);
    const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
    for (const [name, schema] of Object.entries(schemas)) this.ajv.addSchema({ ...(retarget(schema) as Json), $id: BASE + name });
  }

  /** The compiled validator of one schema object of the document (compiled once). */
  validator(schema: unknown): ValidateFunction {
    let v = this.compiled.get(schema);
    if (!v) {
      v = this.ajv.compile(retarget(schema) as Json);
      this.compiled.set(schema, v);
    }
    return v;
  }

  /** undefined when `value` matches, else Ajv's errors as text. */
  check(schema: unknown, value: unknown): string | undefined {
    const v = this.validator(schema);
    return v(value) ? undefined : this.ajv.errorsText(v.errors, { separator: '; ' });
  }
}

/** A copy with "#/components/schemas/X" references pointing at the registered component ids. */
function retarget(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(retarget);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/') ? BASE + v.slice('#/components/schemas/'.length) : retarget(v)]),
  );
}

function contentSchemas(value: unknown): Json[] {
  if (Array.isArray(value)) return value.flatMap(contentSchemas);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'contentSchema' ? [v as Json, ...contentSchemas(v)] : contentSchemas(v)));
}

/** Every schema object the document uses (parameters, bodies, answers, headers), with where it is. */
export function schemasOf(document: Json): { where: string; schema: Json }[] {
  const out: { where: string; schema: Json }[] = [];
  const components = (document.components ?? {}) as Json;
  const add = (where: string, holder: unknown) => {
    const s = (holder as { schema?: Json } | undefined)?.schema;
    if (!s) return;
    out.push({ where, schema: s });
    // A contentSchema is an annotation to Ajv (never compiled with its parent): compile it on its own.
    for (const [i, inner] of contentSchemas(s).entries()) out.push({ where: `${where} contentSchema ${i}`, schema: inner });
  };
  for (const [name, p] of Object.entries((components.parameters ?? {}) as Json)) add(`components.parameters.${name}`, p);
  for (const [name, h] of Object.entries((components.headers ?? {}) as Json)) add(`components.headers.${name}`, h);
  for (const [path, item] of Object.entries(document.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      const o = op as Json;
      const at = `${method.toUpperCase()} ${path}`;
      for (const p of (o.parameters ?? []) as Json[]) add(`${at} parameter ${String(p.name ?? p.$ref)}`, p);
      const body = o.requestBody as Json | undefined;
      for (const [type, media] of Object.entries((body?.content ?? {}) as Json)) add(`${at} request ${type}`, media);
      for (const [status, r] of Object.entries(o.responses as Json)) {
        for (const [type, media] of Object.entries(((r as Json).content ?? {}) as Json)) add(`${at} ${status} ${type}`, media);
        for (const [name, h] of Object.entries(((r as Json).headers ?? {}) as Json)) add(`${at} ${status} header ${name}`, h);
      }
    }
  }
  return out;
}
