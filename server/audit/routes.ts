/**
 * `GET /audit?since=&limit=&device_id=&action=&actor=` (admin): the audit log, oldest first. With `since`
 * it pages forward from that time (pass the last entry's `at` back as the next `since`, and skip
 * entries you already have); without, it returns the most recent `limit` entries.
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { ValidationError } from '../errors.ts';
import { parseLimit, parseSince } from '../control-plane/validate.ts';
import type { AuditLog } from './log.ts';

/** `limit`: entries per answer. */
export const AUDIT_LIMIT = { default: 100, max: 10_000 } as const;
/** `actor`: exactly one actor. */
export const ACTOR_QUERY = /^(system|public|admin|(token|device):[A-Za-z0-9_.:-]{1,64})$/;
/** `action`: an action or a prefix ending in ".". */
export const ACTION_QUERY = /^[a-z_.]{1,64}$/;

export function auditRoutes(ctx: AppContext, audit: AuditLog): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/audit', ctx.requireAdmin, async (c) => {
    const sinceMs = parseSince(c.req.query('since'));
    const limit = parseLimit(c.req.query('limit'), AUDIT_LIMIT.default, AUDIT_LIMIT.max);
    const rawDevice = c.req.query('device_id');
    const action = c.req.query('action');
    const actor = c.req.query('actor');
    if (actor !== undefined && !ACTOR_QUERY.test(actor)) {
      throw new ValidationError('actor must be token:<name>, device:<id>, system or public', 'invalid_query', { field: 'actor' });
    }
    if (action !== undefined && !ACTION_QUERY.test(action)) {
      throw new ValidationError('action must be an action name or a prefix such as "command."', 'invalid_query', { field: 'action' });
    }
    const entries = await audit.query({
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      limit,
      ...(rawDevice !== undefined ? { deviceId: assertDeviceId(rawDevice) } : {}),
      ...(action !== undefined ? { action } : {}),
      ...(actor !== undefined ? { actor } : {}),
    });
    return c.json({ success: true, count: entries.length, entries });
  });
  return app;
}
