/**
 * The command queue as the routes see it: validate, change the queue through one repository call,
 * write the audit line, then answer — so a 201 or a status change is on disk before the client
 * hears of it. Expiry happens on every poll and in a periodic sweep (`sweep`), so `expired` shows
 * up in admin views even for a device that stopped polling.
 */
import { randomUUID } from 'node:crypto';
import type { Actor, AuditEntry, AuditLog } from '../audit/log.ts';
import type { AppContext } from '../context.ts';
import { ConfigBusyError, ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { parseStrict } from '../control-plane/validate.ts';
import { describeTarget, resolveTarget, targetSchema } from '../devices/tags.ts';
import { parseWith } from '../http/validate.ts';
import type { RemoteConfigService } from '../remote-config/service.ts';
import type { CommandRepo, DeliveryRules } from './repo.ts';
import { MAX_RESULT_BYTES, createCommandSchema, resultSchema, wrappedParameterSchemas } from './schemas.ts';
import { newCommand, type CommandRecord, type CommandStatus, type CommandType } from './types.ts';

export interface CreateRequest {
  command_type: CommandType;
  parameters: Record<string, unknown>;
  expires_in?: number;
}

export class CommandService {
  readonly rules: DeliveryRules;

  constructor(
    private readonly ctx: AppContext,
    private readonly repo: CommandRepo,
    private readonly audit: AuditLog,
    private readonly remoteConfig: RemoteConfigService,
  ) {
    this.rules = {
      ackTimeoutMs: ctx.config.COMMAND_ACK_TIMEOUT_SECONDS * 1000,
      maxAttempts: ctx.config.COMMAND_MAX_ATTEMPTS,
    };
  }

  /** Parses an admin body into a typed command request; 400 naming the field on any problem. */
  parseCreate(body: unknown): CreateRequest {
    const head = parseStrict(createCommandSchema, body, 'invalid_command');
    const raw = head.parameters === undefined && head.command_type === 'reboot' ? {} : head.parameters;
    if (raw === undefined) {
      throw new ValidationError(`parameters: required for ${head.command_type}`, 'invalid_command', { field: 'parameters' });
    }
    // Parsed inside {parameters} so a failure is reported as `parameters.<field>`.
    const { parameters } = parseStrict(wrappedParameterSchemas[head.command_type], { parameters: raw }, 'invalid_command');
    return {
      command_type: head.command_type,
      parameters: parameters as Record<string, unknown>,
      ...(head.expires_in !== undefined ? { expires_in: head.expires_in } : {}),
    };
  }

  /**
   * Queues a command. `audit: false` when the caller records the request's one audit entry itself
   * (fault injection's simulate_fault).
   */
  async create(deviceId: string, req: CreateRequest, actor: Actor, options: { audit?: boolean } = {}): Promise<CommandRecord> {
    await this.ctx.registry.requireActive(deviceId);
    const now = this.ctx.clock.now();
    const limit = this.ctx.config.COMMAND_QUEUE_LIMIT;
    const full = () => new ConflictError(`device ${deviceId} already has ${limit} open commands`, 'queue_full');
    let parameters = req.parameters;
    if (req.command_type === 'set_config') {
      // Refuse before touching the config, so a 409 leaves nothing half done.
      if ((await this.repo.openCount(deviceId)) >= limit) throw full();
      // set_config is a persistent override plus a push: store it first (validated against the
      // device's effective config, bumping its version), then tell the device which version it is.
      try {
        // Audited once, as the command (its parameters carry the new config_version).
        await this.remoteConfig.updateDevice(deviceId, parameters, actor, { audit: false });
      } catch (err) {
        const field = err instanceof ValidationError ? err.details?.['field'] : undefined;
        if (typeof field !== 'string') throw err;
        throw new ValidationError(`parameters.${(err as ValidationError).message}`, 'invalid_command', { field: `parameters.${field}` });
      }
      parameters = { ...parameters, config_version: (await this.remoteConfig.effective(deviceId)).config_version };
    }
    const record = newCommand({
      command_id: randomUUID(),
      device_id: deviceId,
      command_type: req.command_type,
      parameters,
      created_at: now,
      created_by: actor,
      expires_at: req.expires_in !== undefined ? now + req.expires_in * 1000 : null,
    });
    if ((await this.repo.create(record, limit)) === 'queue_full') throw full();
    if (options.audit === false) return record;
    await this.audit.record({
      actor,
      action: 'command.created',
      device_id: deviceId,
      command_id: record.command_id,
      details: { command_type: record.command_type, parameters, expires_at: record.expires_at === null ? null : new Date(record.expires_at).toISOString() },
    });
    return record;
  }

  /**
   * Queues one command for every active device a target names ("all", "tag:<tag>", or ids), and
   * audits the request once with the count. A device whose queue is full is skipped and named. A
   * `set_config` that finds configuration changes busy (ConfigBusyError: another change stuck past
   * the bound) stops there: the devices done keep their command, the rest are named skipped
   * (`config_busy`) — failing the whole request would tell the admin nothing was done, and a
   * retry would queue the done ones twice; going on would wait out the bound once per device.
   */
  async createForTarget(body: unknown, actor: Actor): Promise<{ queued: number; command_ids: string[]; skipped: { device_id: string; reason: string }[] }> {
    const raw = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const { target: rawTarget, ...rest } = raw;
    const target = parseWith(targetSchema, rawTarget, 'invalid_command', { body: 'target' });
    const req = this.parseCreate(rest);
    const ids = resolveTarget(target, await this.ctx.store.devices.list());
    if (ids.length === 0) throw new ValidationError(`target ${describeTarget(target)} names no active device`, 'empty_target', { field: 'target' });
    const commandIds: string[] = [];
    const skipped: { device_id: string; reason: string }[] = [];
    for (const [i, id] of ids.entries()) {
      try {
        commandIds.push((await this.create(id, req, actor, { audit: false })).command_id);
      } catch (err) {
        if (err instanceof ConfigBusyError) {
          skipped.push(...ids.slice(i).map((device_id) => ({ device_id, reason: err.code })));
          break;
        }
        if (!(err instanceof ConflictError)) throw err;
        skipped.push({ device_id: id, reason: err.code });
      }
    }
    await this.audit.record({
      actor,
      action: 'command.created',
      details: { target: Array.isArray(target) ? target : target, command_type: req.command_type, parameters: req.parameters, count: commandIds.length, skipped: skipped.length },
    });
    return { queued: commandIds.length, command_ids: commandIds, skipped };
  }

  /** Device poll: the oldest deliverable command (now `sent`), or undefined. */
  async poll(deviceId: string, nonce: number): Promise<CommandRecord | undefined> {
    const outcome = await this.repo.poll(deviceId, nonce, this.ctx.clock.now(), this.rules);
    const entries: Omit<AuditEntry, 'at'>[] = outcome.expired.map((c) => this.expiredEntry(c));
    if (outcome.delivered && !outcome.repeated) {
      entries.push({
        actor: `device:${deviceId}`,
        action: 'command.sent',
        device_id: deviceId,
        command_id: outcome.delivered.command_id,
        details: { attempt: outcome.delivered.attempts },
      });
    }
    await this.audit.recordAll(entries);
    return outcome.delivered;
  }

  async result(deviceId: string, body: unknown, nonce: number): Promise<CommandRecord> {
    const { command_id, status, result } = parseStrict(resultSchema, body, 'invalid_result');
    if (result !== undefined && Buffer.byteLength(JSON.stringify(result)) > MAX_RESULT_BYTES) {
      throw new ValidationError(`result: must serialize to at most ${MAX_RESULT_BYTES} bytes`, 'invalid_result', { field: 'result' });
    }
    const outcome = await this.repo.finish(deviceId, command_id, status, result, nonce, this.ctx.clock.now());
    switch (outcome.outcome) {
      case 'unknown':
        throw new ConflictError(`no command ${command_id}`, 'unknown_command');
      case 'foreign':
        throw new ConflictError(`command ${command_id} is not for device ${deviceId}`, 'foreign_command');
      case 'not_sent':
        throw new ConflictError(`command ${command_id} has not been delivered yet`, 'command_not_sent');
      case 'already_final':
        throw new ConflictError(`command ${command_id} is already ${outcome.command.status}`, 'command_finished');
      case 'repeated':
        return outcome.command;
      case 'finished':
        await this.audit.record({
          actor: `device:${deviceId}`,
          action: `command.${status}`,
          device_id: deviceId,
          command_id,
          details: { attempts: outcome.command.attempts, result: result ?? null },
        });
        return outcome.command;
    }
  }

  async cancel(commandId: string, actor: Actor): Promise<CommandRecord> {
    const outcome = await this.repo.cancel(commandId, this.ctx.clock.now(), actor);
    if (outcome.outcome === 'unknown') throw new NotFoundError(`no command ${commandId}`, 'unknown_command');
    if (outcome.outcome === 'not_pending') {
      throw new ConflictError(`command ${commandId} is ${outcome.command.status}; only pending commands can be cancelled`, 'command_not_pending');
    }
    await this.audit.record({ actor, action: 'command.cancelled', device_id: outcome.command.device_id, command_id: commandId });
    return outcome.command;
  }

  async get(commandId: string): Promise<CommandRecord> {
    const c = await this.repo.get(commandId);
    if (!c) throw new NotFoundError(`no command ${commandId}`, 'unknown_command');
    return c;
  }

  list(deviceId: string, status?: CommandStatus): Promise<CommandRecord[]> {
    return this.repo.list(deviceId, status);
  }

  /** Expires due commands fleet-wide (periodic, and before admin reads so views are current). */
  async sweep(): Promise<number> {
    const expired = await this.repo.expireDue(this.ctx.clock.now(), this.rules);
    await this.audit.recordAll(expired.map((c) => this.expiredEntry(c)));
    return expired.length;
  }

  async prune(): Promise<number> {
    return this.repo.prune(this.ctx.clock.now() - this.ctx.config.COMMAND_RETENTION_DAYS * 86_400_000);
  }

  private expiredEntry(c: CommandRecord): Omit<AuditEntry, 'at'> {
    return {
      actor: 'system' as const,
      action: 'command.expired',
      device_id: c.device_id,
      command_id: c.command_id,
      details: { reason: c.status_reason, attempts: c.attempts },
    };
  }
}
