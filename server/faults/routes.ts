/**
 * Fault injection routes (admin), mounted only when FAULTS_ENABLED=1 — otherwise they do not
 * exist (404), so a production gateway cannot be told to misbehave.
 *   POST   /fault/inject    {"fault_type", "device_id", "count"?: 1..100, "delay_ms"?: network_timeout only}
 *                           response faults are armed on ctx.faults; modbus_timeout / buffer_overflow
 *                           are queued as a `simulate_fault` command {fault_type, count} → command_id
 *   GET    /fault/active    armed response faults
 *   DELETE /fault/active[?device_id=]   disarm
 *   GET    /fault/history[?limit=]      injected / triggered / queued / disarmed, oldest first
 *   DELETE /fault/history               clear the history
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { deviceIdSchema } from '../devices/id-schema.ts';
import { ValidationError } from '../errors.ts';
import { readAdminJson } from '../http/body.ts';
import { parseLimit, parseStrict } from '../control-plane/validate.ts';
import type { AuditLog } from '../audit/log.ts';
import type { CommandService } from '../commands/service.ts';
import { DEVICE_SIMULATED, FAULT_TYPES, HISTORY_LIMIT, type ResponseFault } from './injector.ts';

/** `limit` of GET /fault/history: at most what the injector keeps. */
export const FAULT_HISTORY_LIMIT = { default: HISTORY_LIMIT, max: HISTORY_LIMIT } as const;

/** POST /fault/inject's body; `delay_ms` is capped by FAULT_MAX_DELAY_MS. */
export function faultInjectSchema(maxDelayMs: number) {
  return z.strictObject({
    fault_type: z.enum(FAULT_TYPES, { error: `must be one of ${FAULT_TYPES.join(', ')}` }),
    device_id: deviceIdSchema('must be 1-64 characters of A-Z a-z 0-9 _ . -', 'must be a device id'),
    count: z.number({ error: 'must be an integer 1..100' }).int('must be an integer 1..100').min(1, 'must be 1..100').max(100, 'must be 1..100').default(1),
    delay_ms: z
      .number({ error: `must be an integer 1..${maxDelayMs}` })
      .int(`must be an integer 1..${maxDelayMs}`)
      .min(1, `must be 1..${maxDelayMs}`)
      .max(maxDelayMs, `must be 1..${maxDelayMs}`)
      .optional(),
  });
}

export function faultRoutes(ctx: AppContext, commands: CommandService, audit: AuditLog): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = ctx.requireAdmin;
  const faults = ctx.faults;
  const injectSchema = faultInjectSchema(ctx.config.FAULT_MAX_DELAY_MS);

  app.post('/fault/inject', admin, async (c) => {
    const body = parseStrict(injectSchema, await readAdminJson(c), 'invalid_fault');
    if (body.delay_ms !== undefined && body.fault_type !== 'network_timeout') {
      throw new ValidationError('delay_ms: only for network_timeout', 'invalid_fault', { field: 'delay_ms' });
    }
    await ctx.registry.requireActive(body.device_id);
    if (DEVICE_SIMULATED.has(body.fault_type)) {
      const command = await commands.create(
        body.device_id,
        { command_type: 'simulate_fault', parameters: { fault_type: body.fault_type, count: body.count } },
        c.get('actor'),
        { audit: false }, // fault.queued below is this request's one audit record
      );
      faults.recordQueued(body.device_id, body.fault_type, body.count, command.command_id);
      await audit.record({ actor: c.get('actor'), action: 'fault.queued', device_id: body.device_id, command_id: command.command_id, details: { fault_type: body.fault_type, count: body.count } });
      return c.json({ success: true, fault_type: body.fault_type, device_id: body.device_id, count: body.count, command_id: command.command_id }, 201);
    }
    const fault = faults.arm(body.device_id, body.fault_type as ResponseFault, body.count, body.delay_ms);
    await audit.record({ actor: c.get('actor'), action: 'fault.injected', device_id: body.device_id, details: { fault_type: body.fault_type, count: body.count, delay_ms: fault.delay_ms } });
    return c.json({ success: true, fault }, 201);
  });

  app.get('/fault/active', admin, (c) => {
    const active = faults.active();
    return c.json({ success: true, count: active.length, faults: active });
  });

  app.delete('/fault/active', admin, async (c) => {
    const raw = c.req.query('device_id');
    const deviceId = raw === undefined ? undefined : assertDeviceId(raw);
    const disarmed = faults.disarm(deviceId);
    await audit.record({ actor: c.get('actor'), action: 'fault.disarmed', ...(deviceId ? { device_id: deviceId } : {}), details: { disarmed } });
    return c.json({ success: true, disarmed });
  });

  app.get('/fault/history', admin, (c) => {
    const history = faults.history(parseLimit(c.req.query('limit'), FAULT_HISTORY_LIMIT.default, FAULT_HISTORY_LIMIT.max));
    return c.json({ success: true, count: history.length, history });
  });

  app.delete('/fault/history', admin, async (c) => {
    const cleared = faults.clearHistory();
    await audit.record({ actor: c.get('actor'), action: 'fault.history_cleared', details: { cleared } });
    return c.json({ success: true, cleared });
  });

  return app;
}
