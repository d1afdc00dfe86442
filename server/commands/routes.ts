/**
 * Command routes. Registration order matters: `/commands/:device_id/poll` and
 * `/commands/status/:command_id` come before `/commands/:device_id`, so `GET /commands/status/<id>`
 * is never read as "list device `status`" (while `GET /commands/status` still lists a device of
 * that name, and its poll `/commands/status/poll` still reaches the poll route).
 *   POST   /commands                      admin   {target, command_type, parameters} → 201 {queued, command_ids, skipped}
 *   POST   /commands/:device_id           admin   queue a command → 201 {command_id}
 *   GET    /commands/:device_id/poll      device  oldest deliverable command, or {"command": null}
 *   POST   /commands/:device_id/result    device  {command_id, status, result}
 *   GET    /commands/status/:command_id   admin   one command
 *   GET    /commands/:device_id?status=   admin   a device's commands, oldest first
 *   DELETE /commands/:command_id          admin   cancel a pending command
 */
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../context.ts';
import { assertDeviceId } from '../devices/ids.ts';
import { ValidationError } from '../errors.ts';
import { ADMIN_BODY_LIMITS, parseJson, readAdminJson, requireJsonContentType } from '../http/body.ts';
import type { Actor } from '../audit/log.ts';
import type { CommandService } from './service.ts';
import { COMMAND_STATUSES, commandView, deliveryView, type CommandStatus } from './types.ts';

export function commandRoutes(ctx: AppContext, service: CommandService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = ctx.requireAdmin;

  app.get('/commands/:device_id/poll', ctx.requireDevice, async (c) => {
    const device = c.get('device');
    const command = await service.poll(device.device_id, c.get('nonce'));
    // Empty answers are stored for retransmissions too: a replayed empty poll gets `null` again,
    // never a command queued since (which would be delivered to the replayer).
    return c.json({ command: command ? deliveryView(command) : null });
  });

  app.post('/commands/:device_id/result', ctx.requireDevice, async (c) => {
    requireJsonContentType(c);
    const device = c.get('device');
    const command = await service.result(device.device_id, parseJson(c.get('rawBody')), c.get('nonce'));
    return c.json({ success: true, command_id: command.command_id, status: command.status });
  });

  app.get('/commands/status/:command_id', admin, async (c) => {
    await service.sweep();
    return c.json({ success: true, command: commandView(await service.get(c.req.param('command_id'))) });
  });

  app.post('/commands', admin, async (c) => {
    const out = await service.createForTarget(await readAdminJson(c, ADMIN_BODY_LIMITS.commandFanOut), c.get('actor'));
    return c.json({ success: true, ...out }, 201);
  });

  app.post('/commands/:device_id', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    await ctx.registry.requireActive(id);
    const req = service.parseCreate(await readAdminJson(c));
    const command = await service.create(id, req, c.get('actor'));
    return c.json({ success: true, command_id: command.command_id, status: command.status, expires_at: commandView(command).expires_at }, 201);
  });

  app.get('/commands/:device_id', admin, async (c) => {
    const id = assertDeviceId(c.req.param('device_id'));
    await ctx.registry.require(id);
    const raw = c.req.query('status');
    if (raw !== undefined && !(COMMAND_STATUSES as readonly string[]).includes(raw)) {
      throw new ValidationError(`status must be one of ${COMMAND_STATUSES.join(', ')}`, 'invalid_query', { field: 'status' });
    }
    await service.sweep();
    const commands = (await service.list(id, raw as CommandStatus | undefined)).map(commandView);
    return c.json({ success: true, device_id: id, count: commands.length, commands });
  });

  app.delete('/commands/:command_id', admin, async (c) => {
    const command = await service.cancel(c.req.param('command_id'), c.get('actor'));
    return c.json({ success: true, command: commandView(command) });
  });

  return app;
}
