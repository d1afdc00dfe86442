/**
 * Admin token routes (admin role):
 *   POST   /tokens         {"name","role"} → 201 {"name","role","token"} — the token is shown only here
 *   GET    /tokens         every token (never a token or its hash), revoked ones included
 *   DELETE /tokens/:name   revoke: refused from the next request on, on every replica
 * Each creation and revocation is audited with the acting token.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, AppEnv } from '../context.ts';
import { readAdminJson } from '../http/body.ts';
import { parseWith } from '../http/validate.ts';
import { ROLES } from './roles.ts';
import { TOKEN_NAME, tokenView } from './tokens.ts';

/** The name's rule is checked by AdminTokens.create (one place); the pattern is repeated for the OpenAPI document. */
export const createTokenSchema = z.object({ name: z.string().meta({ pattern: TOKEN_NAME.source }), role: z.enum(ROLES) }).strict();

export function tokenRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = ctx.requireAdmin;

  app.post('/tokens', admin, async (c) => {
    const { name, role } = parseWith(createTokenSchema, await readAdminJson(c), 'invalid_token');
    const actor = c.get('actor');
    const { token, record } = await ctx.tokens.create(name, role, ctx.clock.now(), actor);
    await ctx.audit.record({ actor, action: 'token.created', details: { name, role } });
    ctx.logger.info({ name, role, by: actor }, 'admin token created');
    return c.json({ success: true, name: record.name, role: record.role, token }, 201);
  });

  app.get('/tokens', admin, async (c) => {
    const tokens = (await ctx.tokens.list()).map(tokenView);
    return c.json({ success: true, count: tokens.length, tokens });
  });

  app.delete('/tokens/:name', admin, async (c) => {
    const actor = c.get('actor');
    const name = c.req.param('name');
    const record = await ctx.tokens.revoke(name, ctx.clock.now(), actor);
    await ctx.audit.record({ actor, action: 'token.revoked', details: { name } });
    ctx.logger.warn({ name, by: actor }, 'admin token revoked');
    return c.json({ success: true, token: tokenView(record) });
  });

  return app;
}
