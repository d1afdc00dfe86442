/**
 * Admin security routes: counters (`GET /security/stats`) and the nonce reset
 * (`DELETE /security/nonces[?device_id=]`), which re-opens replay windows and is logged loudly.
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';

export function securityRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = ctx.requireAdmin;
  app.get('/security/stats', admin, async (c) => c.json({ success: true, ...(await ctx.securityStats.snapshot()) }));
  app.delete('/security/nonces', admin, async (c) => {
    const raw = c.req.query('device_id');
    const deviceId = raw === undefined ? undefined : assertDeviceId(raw);
    const reset = await ctx.store.nonces.reset(deviceId);
    await ctx.audit.record({ actor: c.get('actor'), action: 'nonce.reset', ...(deviceId ? { device_id: deviceId } : {}), details: { devices_reset: reset } });
    ctx.logger.warn(
      { device_id: deviceId ?? '*', devices_reset: reset },
      'NONCE TRACKING RESET: replay protection is re-opened for these devices until they send a new nonce',
    );
    return c.json({ success: true, devices_reset: reset, device_id: deviceId ?? null });
  });
  return app;
}
