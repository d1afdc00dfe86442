/**
 * Admin routes of the device registry: register (returns the key once), list, revoke, rotate.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, AppEnv } from '../context.ts';
import { readAdminJson } from '../http/body.ts';
import { parseWith } from '../http/validate.ts';
import { assertDeviceId, isValidDeviceId } from './ids.ts';

const createSchema = z.object({
  device_id: z.string().refine(isValidDeviceId, 'must be 1-64 characters of A-Z a-z 0-9 _ . - (and not only dots)'),
});

export function deviceRoutes(ctx: AppContext): Hono<AppEnv> {
  const { registry, clock, logger } = ctx;
  const app = new Hono<AppEnv>();
  const admin = ctx.requireAdmin;

  app.post('/devices', admin, async (c) => {
    const { device_id } = parseWith(createSchema, await readAdminJson(c), 'invalid_device_id');
    const { device, key } = await registry.register(device_id, clock.now());
    logger.info({ device_id }, 'device registered');
    return c.json({ success: true, device_id: device.device_id, hmac_key: key, key_version: device.key_version }, 201);
  });

  app.get('/devices', admin, (c) => {
    const devices = registry.list();
    return c.json({ success: true, count: devices.length, devices });
  });

  app.get('/devices/:device_id', admin, (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    return c.json({ success: true, device: registry.view(registry.require(id)) });
  });

  app.delete('/devices/:device_id', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    const record = await registry.revoke(id, clock.now());
    logger.warn({ device_id: id }, 'device revoked');
    return c.json({ success: true, device: registry.view(record) });
  });

  app.post('/devices/:device_id/rotate-key', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    const { device, key } = await registry.rotate(id, clock.now());
    logger.info({ device_id: id, key_version: device.key_version }, 'device key rotated');
    return c.json({
      success: true,
      device_id: id,
      hmac_key: key,
      key_version: device.key_version,
      previous_key_valid_until: device.previous_key_expires_at,
    });
  });

  return app;
}
