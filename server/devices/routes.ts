/**
 * Admin routes of the device registry: register one device or many (derived or shared-key; the
 * key is returned once), list (all at once, or a page at a time from the fleet read model),
 * show, revoke, rotate (with a grace period or immediately), reinstate a revoked device.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, AppEnv } from '../context.ts';
import { ADMIN_BODY_LIMITS, readAdminJson } from '../http/body.ts';
import { parseWith } from '../http/validate.ts';
import { assertDeviceId } from './ids.ts';
import { deviceIdSchema } from './id-schema.ts';
import { TAG_PATTERN, tagsSchema } from './tags.ts';
import { ValidationError } from '../errors.ts';
import type { IssuedKey } from './registry.ts';
import { fleetOf } from '../fleet/index.ts';
import { parseFleetQuery } from '../fleet/query.ts';
import { fleetPageView } from '../fleet/views.ts';

/** Query parameters of the paginated list (server/fleet/query.ts); `tag` alone keeps the full list. */
const PAGE_PARAMS = ['limit', 'cursor', 'q', 'status', 'sort', 'order', 'behind', 'firmware'];

// Reserved ids are refused by the registry (it knows the mounted routes).
const deviceId = deviceIdSchema();

export const createDeviceSchema = z.object({ device_id: deviceId, shared_key: z.boolean().default(false), tags: tagsSchema.default([]) }).strict();

/** Bulk registration: at most this many devices per call (a factory batch). */
export const BULK_MAX_DEVICES = 10_000;

export const bulkDevicesSchema = z
  .object({
    devices: z.array(createDeviceSchema).min(1).max(BULK_MAX_DEVICES),
  })
  .strict()
  .superRefine((b, ctx) => {
    const seen = new Set<string>();
    b.devices.forEach((d, i) => {
      if (seen.has(d.device_id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'device_id'], message: `${d.device_id} is listed twice` });
      seen.add(d.device_id);
    });
  });

export const rotateKeySchema = z.object({ immediate: z.boolean().default(false) }).strict();

export function issued({ device, key }: IssuedKey) {
  return { device_id: device.device_id, key_mode: device.key_mode, hmac_key: key, key_version: device.key_version };
}

export function deviceRoutes(ctx: AppContext): Hono<AppEnv> {
  const { registry, clock, logger } = ctx;
  const app = new Hono<AppEnv>();
  const admin = ctx.requireAdmin;

  app.post('/devices', admin, async (c) => {
    const { device_id, shared_key, tags } = parseWith(createDeviceSchema, await readAdminJson(c), 'invalid_device_id');
    const out = await registry.register(device_id, clock.now(), shared_key ? 'shared' : 'derived', tags);
    await ctx.audit.record({ actor: c.get('actor'), action: 'device.created', device_id, details: { key_mode: out.device.key_mode, ...(tags.length ? { tags } : {}) } });
    logger.info({ device_id, key_mode: out.device.key_mode }, 'device registered');
    return c.json({ success: true, ...issued(out) }, 201);
  });

  app.post('/devices/bulk', admin, async (c) => {
    const { devices } = parseWith(bulkDevicesSchema, await readAdminJson(c, ADMIN_BODY_LIMITS.bulkDevices), 'invalid_device_id');
    const out = await registry.registerMany(
      devices.map((d) => ({ device_id: d.device_id, mode: d.shared_key ? 'shared' : 'derived', tags: d.tags })),
      clock.now(),
    );
    await ctx.audit.record({
      actor: c.get('actor'),
      action: 'device.created',
      details: { count: out.length, shared_key: out.filter((d) => d.device.key_mode === 'shared').length, first: out[0]!.device.device_id, last: out.at(-1)!.device.device_id },
    });
    logger.info({ count: out.length }, 'devices registered in bulk');
    return c.json({ success: true, created: out.length, devices: out.map(issued) }, 201);
  });

  app.get('/devices', admin, async (c) => {
    // Any list parameter (limit, cursor, q, status, sort, …) asks for a page from the fleet read model.
    if (PAGE_PARAMS.some((p) => c.req.query(p) !== undefined)) {
      const fleet = fleetOf(ctx);
      return c.json(fleetPageView(fleet.model, parseFleetQuery((name) => c.req.query(name)), clock.now()));
    }
    const tag = c.req.query('tag');
    if (tag !== undefined && !TAG_PATTERN.test(tag)) throw new ValidationError('tag: 1-64 characters of a-z 0-9 _ . : -', 'invalid_query', { field: 'tag' });
    const all = await registry.list();
    const devices = tag === undefined ? all : all.filter((d) => d.tags.includes(tag));
    return c.json({ success: true, count: devices.length, devices });
  });

  app.put('/devices/:device_id/tags', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    const tags = parseWith(tagsSchema, await readAdminJson(c), 'invalid_tags');
    const change = await registry.setTags(id, tags, clock.now());
    // config_version: the change added or removed a tag with a config layer (the device re-fetches).
    const stamped = change.config_version === null ? {} : { config_version: change.config_version };
    await ctx.audit.record({ actor: c.get('actor'), action: 'device.tagged', device_id: id, details: { tags, previous: change.previous, ...stamped } });
    return c.json({ success: true, device: await registry.view(change.record) });
  });

  app.get('/devices/:device_id', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    return c.json({ success: true, device: await registry.view(await registry.require(id)) });
  });

  app.delete('/devices/:device_id', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    const record = await registry.revoke(id, clock.now());
    await ctx.audit.record({ actor: c.get('actor'), action: 'device.revoked', device_id: id });
    logger.warn({ device_id: id }, 'device revoked');
    return c.json({ success: true, device: await registry.view(record) });
  });

  app.post('/devices/:device_id/rotate-key', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    const raw = await readAdminJson(c, ADMIN_BODY_LIMITS.rotateKey, { emptyAs: {} });
    const { immediate } = parseWith(rotateKeySchema, raw, 'invalid_request');
    const out = await registry.rotate(id, clock.now(), immediate);
    await ctx.audit.record({ actor: c.get('actor'), action: 'device.key_rotated', device_id: id, details: { key_version: out.device.key_version, immediate } });
    logger.info({ device_id: id, key_version: out.device.key_version, immediate }, 'device key rotated');
    return c.json({
      success: true,
      ...issued(out),
      previous_key_valid_until: out.device.previous_key_expires_at ?? null,
    });
  });

  app.post('/devices/:device_id/reinstate', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    const out = await registry.reinstate(id, clock.now());
    await ctx.audit.record({ actor: c.get('actor'), action: 'device.reinstated', device_id: id, details: { key_version: out.device.key_version } });
    logger.warn({ device_id: id, key_version: out.device.key_version }, 'device reinstated with a new key');
    return c.json({ success: true, ...issued(out) }, 201);
  });

  return app;
}
