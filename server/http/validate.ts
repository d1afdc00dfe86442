/**
 * zod schemas at the HTTP edge: a failed parse becomes a 400 that names the offending field, e.g.
 * `parameters.power: must be "0%".."100%"`, so a curl user sees exactly what to fix.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, code = 'invalid_request'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(body)';
  throw new ValidationError(`${field}: ${issue.message}`, code, { field });
}
