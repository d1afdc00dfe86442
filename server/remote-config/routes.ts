/**
 * Remote configuration routes.
 *   GET  /config               device (signed): effective config + config_version (recomputed on a retransmission)
 *   GET  /config/defaults      admin: fleet defaults (effective values and the explicitly set ones)
 *   PUT  /config/defaults      admin: merge fields into the fleet defaults, bump the version
 *   GET  /config/fleet         admin: devices still on an old version
 *   GET  /config/tags          admin: every tag layer in use
 *   GET  /config/tags/:tag     admin: one tag's layer and how many devices carry the tag
 *   PUT  /config/tags/:tag     admin: merge fields (null drops one) and/or the priority into a tag's layer
 *   DELETE /config/tags/:tag   admin: empty a tag's layer
 *   GET  /config/:device_id    admin: effective config and the source of each value, tag layers, overrides, applied version, behind?
 *   PUT  /config/:device_id    admin: merge overrides (null drops one), bump the version
 *   DELETE /config/:device_id  admin: drop all overrides of a device
 * `defaults`, `fleet` and `tags` are matched before `:device_id`, so devices with those ids cannot
 * be configured individually through these paths (the registry refuses such ids).
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { ValidationError } from '../errors.ts';
import { TAG_PATTERN } from '../devices/tags.ts';
import { readAdminJson } from '../http/body.ts';
import { parseStrict } from '../control-plane/validate.ts';
import { defaultsPatchSchema, overridePatchSchema, tagLayerPatchSchema } from './fields.ts';
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

  /** A tag from the path, by the rule of device tags (devices/tags.ts). */
  const tagOf = (raw: string) => {
    if (!TAG_PATTERN.test(raw)) throw new ValidationError('tag: 1-64 characters of a-z 0-9 _ . : -', 'invalid_tag', { field: 'tag' });
    return raw;
  };

  app.get('/config/tags', admin, async (c) => c.json({ success: true, tags: await service.tagViews() }));

  app.get('/config/tags/:tag', admin, async (c) => c.json({ success: true, ...(await service.tagView(tagOf(c.req.param('tag')))) }));

  app.put('/config/tags/:tag', admin, async (c) => {
    const tag = tagOf(c.req.param('tag'));
    const patch = parseStrict(tagLayerPatchSchema, await readAdminJson(c), 'invalid_config');
    const result = await service.updateTag(tag, patch, c.get('actor'));
    // The layer this write stored (not one written since), or the current one if nothing changed.
    return c.json({ success: true, changed: result.changed, ...(await service.tagView(tag, result.changed ? result.layer : undefined)) });
  });

  app.delete('/config/tags/:tag', admin, async (c) => {
    const tag = tagOf(c.req.param('tag'));
    const result = await service.clearTag(tag, c.get('actor'));
    return c.json({ success: true, changed: result !== undefined, ...(await service.tagView(tag, result?.layer)) });
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
