/**
 * Event routes (admin), oldest first:
 *   GET /events?since=&type=&device_id=&limit=   fleet-wide
 *   GET /devices/:device_id/events?since=&type=&limit=
 * With `since` they page forward from that time; without, they return the most recent `limit`.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { ValidationError } from '../errors.ts';
import { parseLimit, parseSince } from '../control-plane/validate.ts';
import type { EventRepo } from './repo.ts';
import { EVENT_TYPES, type EventType } from './rules.ts';

function parseType(value: string | undefined): EventType | undefined {
  if (value === undefined) return undefined;
  if (!(EVENT_TYPES as readonly string[]).includes(value)) {
    throw new ValidationError(`type must be one of ${EVENT_TYPES.join(', ')}`, 'invalid_query', { field: 'type' });
  }
  return value as EventType;
}

/** `limit`: events per answer. */
export const EVENTS_LIMIT = { default: 100, max: 10_000 } as const;

export function eventRoutes(ctx: AppContext, repo: EventRepo): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const query = async (c: Context<AppEnv>, deviceId: string | undefined) => {
    const sinceMs = parseSince(c.req.query('since'));
    const type = parseType(c.req.query('type'));
    const events = await repo.query({
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      limit: parseLimit(c.req.query('limit'), EVENTS_LIMIT.default, EVENTS_LIMIT.max),
      ...(deviceId !== undefined ? { deviceId } : {}),
      ...(type !== undefined ? { type } : {}),
    });
    return c.json({ success: true, ...(deviceId !== undefined ? { device_id: deviceId } : {}), count: events.length, events });
  };

  app.get('/events', ctx.requireAdmin, (c) => {
    const raw = c.req.query('device_id');
    return query(c, raw === undefined ? undefined : assertDeviceId(raw));
  });

  app.get('/devices/:device_id/events', ctx.requireAdmin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    await ctx.registry.require(id);
    return query(c, id);
  });

  return app;
}
