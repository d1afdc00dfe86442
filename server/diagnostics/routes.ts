/**
 * Diagnostics routes.
 *   POST /diagnostics/:device_id          device (signed): store a report → {success, config_version}
 *                                         (the device's current effective version, so it can tell it is behind)
 *   GET  /diagnostics/summary             admin: devices, entries, latest per device, firmware versions, config lag
 *   GET  /diagnostics/:device_id?limit=   admin: newest first
 * `summary` is matched before `:device_id` (a device named "summary" is not readable here).
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { ValidationError } from '../errors.ts';
import { parseJson, requireJsonContentType } from '../http/body.ts';
import { parseLimit, parseStrict } from '../control-plane/validate.ts';
import type { EventService } from '../events/service.ts';
import type { RemoteConfigService } from '../remote-config/service.ts';
import { diagnosticsSchema, type DiagnosticsRecord } from './schema.ts';
import type { DiagnosticsRepo } from './repo.ts';

/** `limit`: reports per answer. */
export const DIAGNOSTICS_LIMIT = { default: 50, max: 1000 } as const;

export function diagnosticsRoutes(
  ctx: AppContext,
  store: DiagnosticsRepo,
  events: EventService,
  remoteConfig: RemoteConfigService,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const extraLimit = ctx.config.DIAGNOSTICS_EXTRA_MAX_BYTES;

  app.post('/diagnostics/:device_id', ctx.requireDevice, async (c) => {
    requireJsonContentType(c);
    const deviceId = c.get('device').device_id;
    const report = parseStrict(diagnosticsSchema, parseJson(c.get('rawBody')), 'invalid_diagnostics');
    if (report.extra !== undefined && Buffer.byteLength(JSON.stringify(report.extra)) > extraLimit) {
      throw new ValidationError(`extra: must serialize to at most ${extraLimit} bytes`, 'invalid_diagnostics', { field: 'extra' });
    }
    const at = ctx.clock.now();
    const record: DiagnosticsRecord = { at: new Date(at).toISOString(), nonce: c.get('nonce'), ...report };
    await store.append(deviceId, record);
    await events.diagnostics(deviceId, report, at);
    return c.json({ success: true, config_version: (await remoteConfig.effective(deviceId)).config_version });
  });

  app.get('/diagnostics/summary', ctx.requireAdmin, async (c) => {
    const overview = await store.overview();
    // Maps, turned into objects with fromEntries: keys are device-chosen strings (even "__proto__").
    const firmware = new Map<string, number>();
    const resetReasons = new Map<string, number>();
    let entries = 0;
    for (const d of overview) {
      entries += d.entries;
      if (!d.latest) continue;
      firmware.set(d.latest.firmware_version, (firmware.get(d.latest.firmware_version) ?? 0) + 1);
      resetReasons.set(d.latest.reset_reason, (resetReasons.get(d.latest.reset_reason) ?? 0) + 1);
    }
    const lag = await remoteConfig.lagging();
    return c.json({
      success: true,
      retention_days: ctx.config.DIAGNOSTICS_RETENTION_DAYS,
      devices: overview.length,
      entries,
      firmware_versions: Object.fromEntries(firmware),
      reset_reasons: Object.fromEntries(resetReasons),
      config_lag: { latest_version: lag.latest_version, devices: lag.total, up_to_date: lag.up_to_date, behind: lag.behind },
      latest: Object.fromEntries(overview.map((d) => [d.device_id, d.latest])),
    });
  });

  app.get('/diagnostics/:device_id', ctx.requireAdmin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    await ctx.registry.require(id);
    const entries = await store.recent(id, parseLimit(c.req.query('limit'), DIAGNOSTICS_LIMIT.default, DIAGNOSTICS_LIMIT.max));
    return c.json({ success: true, device_id: id, count: entries.length, entries });
  });

  return app;
}
