/**
 * zod schemas at the HTTP edge: a failed parse becomes a 400 that names the offending value and
 * where it was sent, e.g. `parameters.power: must be "0%".."100%"` (a body field), `query parameter
 * version: required`, `path parameter version: must be a semantic version`, so a curl user sees
 * exactly what to fix. A union's failure is reported from the alternative the value's type chose
 * (a list of ids with a bad id names that id), not as zod's bare "Invalid input".
 */
import type { z } from 'zod';
import { ValidationError } from '../errors.ts';

/**
 * What the parsed value is: the whole JSON body (the default), one field of it parsed alone, or a
 * query or path parameter by name.
 */
export type Source = { body: string } | { query: string } | { path: string };

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, code = 'invalid_request', source?: Source): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = chosenIssue(result.error.issues[0]!);
  const path = issue.path.map(String);
  const field = [...(source ? [nameOf(source)] : []), ...path].join('.');
  const label = !source || 'body' in source ? field || '(body)' : `${'query' in source ? 'query' : 'path'} parameter ${field}`;
  const missing = issue.message.startsWith('Invalid input') && at(value, path) === undefined;
  throw new ValidationError(`${label}: ${missing ? 'required' : issue.message}`, code, { field: field || '(body)' });
}

function nameOf(source: Source): string {
  return 'body' in source ? source.body : 'query' in source ? source.query : source.path;
}

type Issue = z.core.$ZodIssue;

/**
 * For a union: the first issue of the one alternative that accepted the value's type (its issues
 * are not a wrong type or value of the whole), its path under the union's; otherwise the union's.
 */
function chosenIssue(issue: Issue): Issue {
  if (issue.code !== 'invalid_union') return issue;
  const typed = issue.errors.filter((branch) => !branch.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
  const first = typed.length === 1 ? typed[0]![0] : undefined;
  if (!first) return issue;
  const inner = chosenIssue(first);
  return { ...inner, path: [...issue.path, ...inner.path] } as Issue;
}

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}
