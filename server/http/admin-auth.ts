/**
 * Bearer-token authentication for admin routes. The token is compared in constant time (both
 * sides hashed to 32 bytes first, so neither length nor content leaks through timing).
 */
import type { MiddlewareHandler } from 'hono';
import { constantTimeEqual, sha256Bytes, utf8 } from '../crypto/hmac.ts';
import { AdminAuthError } from '../errors.ts';

export function adminAuth(token: string): MiddlewareHandler {
  if (token.length < 16) throw new Error('admin token must be at least 16 characters');
  const expected = sha256Bytes(utf8(token));
  return async function requireAdmin(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AdminAuthError('admin route: send Authorization: Bearer <ADMIN_TOKEN>');
    if (!constantTimeEqual(sha256Bytes(utf8(match[1]!)), expected)) throw new AdminAuthError('admin token is wrong');
    c.set('actor', 'admin');
    await next();
  };
}
