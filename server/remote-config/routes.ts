/**
 * Remote configuration routes.
 *   GET  /config               device (signed): effective config + config_version (recomputed on a retransmission)
 *   GET  /config/defaults      admin: fleet defaults (effective values and the explicitly set ones)
 *   PUT  /config/defaults      admin: merge fields into the fleet defaults, bump the version
 *   GET  /config/fleet         admin: devices still on an old version
 *   GET  /config/:device_id    admin: effective config, overrides, applied version, behind?
 *   PUT  /config/:device_id    admin: merge overrides (null drops one), bump the version
 *   DELETE /config/:device_id  admin: drop all overrides of a device
 * `defaults` and `fleet` are matched before `:device_id`, so devices with those ids cannot be
 * configured individually through these paths.
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { NotFoundError } from '../errors.ts';
import { readAdminJson } from '../http/body.ts';
import { parseStrict } from '../control-plane/validate.ts';
import { defaultsPatchSchema, overridePatchSchema } from './fields.ts';
import type { RemoteConfigService } from './service.ts';

export function remoteConfigRoutes(ctx: AppContext, service: RemoteConfigService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = ctx.requireAdmin;

  /** An existing, non-revoked device. */
  const activeDevice = async (raw: string) => (await ctx.registry.requireActive(assertDeviceId(raw))).device_id;

  app.get('/config', ctx.requireDevice, async (c) => {
    const eff = await service.effective(c.get('device').device_id);
    return c.json({ success: true, config_version: eff.config_version, config: eff.config });
  });

  app.get('/config/defaults', admin, async (c) => c.json({ success: true, ...(await service.defaults()) }));

  app.put('/config/defaults', admin, async (c) => {
    const patch = parseStrict(defaultsPatchSchema, await readAdminJson(c), 'invalid_config');
    const result = await service.updateDefaults(patch, c.get('actor'));
    return c.json({ success: true, changed: result.changed, ...(await service.defaultsAfter(result)) });
  });

  app.get('/config/fleet', admin, async (c) => {
    const lag = await service.lagging();
    return c.json({ success: true, latest_version: lag.latest_version, devices: lag.total, up_to_date: lag.up_to_date, behind: lag.behind });
  });

  app.get('/config/:device_id', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    await ctx.registry.require(id);
    return c.json({ success: true, ...(await service.deviceView(id)) });
  });

  app.put('/config/:device_id', admin, async (c) => {
    const id = await activeDevice(c.req.param('device_id'));
    const patch = parseStrict(overridePatchSchema, await readAdminJson(c), 'invalid_config');
    const result = await service.updateDevice(id, patch, c.get('actor'));
    return c.json({ success: true, changed: result.changed, ...(await service.deviceView(id)) });
  });

  app.delete('/config/:device_id', admin, async (c) => {
    const id = await activeDevice(c.req.param('device_id'));
    const result = await service.clearDevice(id, c.get('actor'));
    return c.json({ success: true, changed: result !== undefined, ...(await service.deviceView(id)) });
  });

  return app;
}
