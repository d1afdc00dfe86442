/** OpenAPI descriptions of the admin token routes (routes.ts beside this file). */
import { z } from 'zod';
import { isoTime, success } from '../openapi/common.ts';
import { agrees, type Agree, type RouteDocs } from '../openapi/describe.ts';
import { ROLES } from './roles.ts';
import { createTokenSchema } from './routes.ts';
import { TOKEN_NAME, type tokenView } from './tokens.ts';

const tokenViewSchema = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  created_at: isoTime,
  created_by: z.string().describe('Who created it: `token:<name>`.'),
  revoked_at: isoTime.nullable(),
  revoked_by: z.string().nullable(),
  status: z.enum(['active', 'revoked']),
});
// tokenView's status is typed string; the schema narrows it to the two values it takes.
agrees<Agree<typeof tokenViewSchema, Omit<ReturnType<typeof tokenView>, 'status'> & { status: 'active' | 'revoked' }>>();

export const tokenDocs: RouteDocs = {
  'POST /tokens': {
    summary: 'Create an admin token',
    description: 'The token is shown only in this answer; the gateway keeps its SHA-256. Names are unique for good (a revoked name stays taken).',
    auth: 'admin',
    body: { schema: createTokenSchema },
    responses: {
      201: {
        description: 'Created.',
        schema: success({ name: z.string(), role: z.enum(ROLES), token: z.string().regex(/^fgt_[A-Za-z0-9_-]{43}$/).describe('Shown only here.') }),
      },
    },
    errors: { 400: ['invalid_token'], 409: ['token_exists'] },
  },
  'GET /tokens': {
    summary: 'List admin tokens (never a token or its hash)',
    auth: 'admin',
    responses: { 200: { description: 'Every token, revoked ones included, by name.', schema: success({ count: z.number().int().min(0), tokens: z.array(tokenViewSchema) }) } },
  },
  'DELETE /tokens/:name': {
    summary: 'Revoke an admin token',
    description: 'Refused from the next request on, on every replica. The bootstrap token is revoked by changing ADMIN_TOKEN or KEYS_DIR/admin_token.',
    auth: 'admin',
    params: { name: { schema: { type: 'string', pattern: TOKEN_NAME.source }, description: 'The token name.' } },
    responses: { 200: { description: 'The revoked token.', schema: success({ token: tokenViewSchema }) } },
    errors: { 404: ['unknown_token'], 409: ['token_revoked', 'bootstrap_token'] },
  },
};
