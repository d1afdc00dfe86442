/**
 * Bearer-token authentication and role check for admin routes. Who: the bootstrap token (compared
 * in constant time) or a named token from the store (looked up by its hash). What they may do:
 * the least role the route needs, from the one table in server/auth/roles.ts, by method and route
 * pattern. Sets `actor` (`token:<name>`, what the audit log records) and `role`.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { requiredRole, roleAllows } from '../auth/roles.ts';
import type { AdminTokens } from '../auth/tokens.ts';
import { AdminAuthError, ForbiddenError } from '../errors.ts';

export function adminAuth(tokens: AdminTokens): MiddlewareHandler<AppEnv> {
  return async function requireAdmin(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AdminAuthError('admin route: send Authorization: Bearer <admin token>');
    const who = await tokens.identify(match[1]!);
    if (!who) throw new AdminAuthError('admin token is wrong or revoked');
    const needed = requiredRole(c.req.method, c.req.routePath);
    if (!roleAllows(who.role, needed)) {
      throw new ForbiddenError(`this needs the ${needed} role; token ${who.name} is ${who.role === 'admin' ? 'an' : 'a'} ${who.role}`, { required_role: needed });
    }
    c.set('actor', `token:${who.name}`);
    c.set('role', who.role);
    await next();
  };
}
