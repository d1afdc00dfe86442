/**
 * Checks real answers against the served OpenAPI document: the operation is found by method and
 * path (a literal segment wins over a template, as in the router), then the status must be one the
 * operation declares, the content type one it declares for that status, the JSON body must match
 * that schema (error codes included: each status has its enum), and declared headers that are
 * present must match theirs. Problems are collected, with what was asked, for one assertion.
 */
import type { Json } from './validator.ts';
import { DocumentSchemas } from './validator.ts';

interface Template {
  path: string;
  regex: RegExp;
  literals: number;
}

export class AnswerChecker {
  readonly schemas: DocumentSchemas;
  readonly problems: string[] = [];
  /** "GET /devices/{device_id}" → statuses seen. */
  readonly seen = new Map<string, Set<string>>();
  private readonly templates: Template[];

  constructor(readonly document: Json) {
    this.schemas = new DocumentSchemas(document);
    this.templates = Object.keys(document.paths as Json).map((path) => ({
      path,
      regex: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
      literals: path.split('/').filter((s) => s && !s.startsWith('{')).length,
    }));
  }

  private operation(method: string, path: string): { key: string; op: Json } | undefined {
    const candidates = this.templates.filter((t) => t.regex.test(path) && (this.document.paths as Record<string, Json>)[t.path]![method.toLowerCase()]);
    const best = candidates.sort((a, b) => b.literals - a.literals)[0];
    if (!best) return undefined;
    return { key: `${method} ${best.path}`, op: (this.document.paths as Record<string, Record<string, Json>>)[best.path]![method.toLowerCase()]! };
  }

  /**
   * A JSON body the gateway accepted (a 2xx) must match the operation's request schema: the
   * document may not refuse what the gateway takes.
   */
  checkAcceptedBody(method: string, target: string, status: number, body: string): void {
    if (status < 200 || status > 299) return;
    const found = this.operation(method, target.split('?')[0]!);
    const media = ((found?.op.requestBody as Json | undefined)?.content as Record<string, { schema: Json }> | undefined)?.['application/json'];
    if (!media) return void this.problems.push(`${method} ${target} → ${status}: a body was accepted where the document declares none`);
    const error = this.schemas.check(media.schema, JSON.parse(body));
    if (error) this.problems.push(`${method} ${target} → ${status}: the accepted body does not match the request schema: ${error}\n    ${body.slice(0, 300)}`);
  }

  /** Checks one answer (reads a clone: the caller keeps the response). */
  async check(method: string, target: string, res: Response): Promise<void> {
    const path = target.split('?')[0]!;
    const where = `${method} ${target} → ${res.status}`;
    const found = this.operation(method, path);
    if (!found) return void this.problems.push(`${where}: no operation in the document`);
    const { key, op } = found;
    const status = String(res.status);
    (this.seen.get(key) ?? this.seen.set(key, new Set()).get(key)!).add(status);
    const response = (op.responses as Record<string, Json>)[status];
    if (!response) return void this.problems.push(`${where}: status ${status} is not declared for ${key}`);
    const text = method === 'HEAD' || res.status === 304 ? '' : await res.clone().text();
    const content = response.content as Record<string, { schema: Json }> | undefined;
    const type = res.headers.get('content-type');
    if (content && method !== 'HEAD') {
      const base = (t: string) => t.split(';')[0]!.trim().toLowerCase();
      const media = Object.keys(content).find((k) => type !== null && base(k) === base(type));
      if (!media) return void this.problems.push(`${where}: content-type ${type} is not one of ${Object.keys(content).join(', ')}`);
      if (base(media) === 'application/json') {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return void this.problems.push(`${where}: not JSON: ${text.slice(0, 100)}`);
        }
        const error = this.schemas.check(content[media]!.schema, body);
        if (error) this.problems.push(`${where}: body does not match ${key} ${status}: ${error}\n    ${text.slice(0, 300)}`);
      }
    } else if (text.length > 0 && method !== 'HEAD') {
      this.problems.push(`${where}: a body where the document declares none`);
    }
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
      const value = res.headers.get(name);
      if (value === null) continue;
      const schema = ('$ref' in header ? this.component(header.$ref as string) : header).schema;
      const error = this.schemas.check(schema, value);
      if (error) this.problems.push(`${where}: header ${name}: ${value}: ${error}`);
    }
  }

  private component(ref: string): Json {
    const [, , kind, name] = ref.split('/');
    return ((this.document.components as Record<string, Record<string, Json>>)[kind!]!)[name!]!;
  }

  /** Operations of the document never answered, and those never answered with a success. */
  coverage(): { unanswered: string[]; withoutSuccess: string[]; pairs: number; declared: number } {
    const unanswered: string[] = [];
    const withoutSuccess: string[] = [];
    let pairs = 0;
    let declared = 0;
    for (const [path, item] of Object.entries(this.document.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item)) {
        const key = `${method.toUpperCase()} ${path}`;
        const seen = this.seen.get(key);
        declared += Object.keys(op.responses as Json).length;
        if (!seen) unanswered.push(key);
        else if (![...seen].some((s) => s < '400')) withoutSuccess.push(key);
        pairs += seen?.size ?? 0;
      }
    }
    return { unanswered, withoutSuccess, pairs, declared };
  }
}
